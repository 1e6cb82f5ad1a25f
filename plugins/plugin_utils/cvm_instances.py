# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CVM instances as the inventory shows them: host variables, host names and API filters.

Plain functions over the plain dicts the CVM API returns (``DescribeInstances``' ``InstanceSet``), so
the unit tests need neither the SDK nor Ansible. Controller side only (Python 3.10+).
"""

from __future__ import annotations

import functools
import re

# DescribeInstances takes at most 10 filters a request, and at most 5 values a filter.
MAX_FILTERS = 10
MAX_FILTER_VALUES = 5

# CVM instance states (API reference, InstanceStatus).
INSTANCE_STATES = ('PENDING', 'LAUNCH_FAILED', 'RUNNING', 'STOPPED', 'STARTING', 'STOPPING', 'REBOOTING',
                   'SHUTDOWN', 'TERMINATING')

# Where a host name can come from, besides a Jinja2 expression of host variables.
HOSTNAME_SOURCES = ('private_ip', 'public_ip', 'instance_id', 'instance_name')

# Tags become a dict under this name. Never `tags`: Ansible reserves it (a play keyword), and a host
# variable named so draws a warning on every run.
TAGS_VARIABLE = 'tencentcloud_tags'

# Values lifted out of nested API structures to the top level, because they are what users group and
# filter by: (host variable, API structure, API field).
LIFTED = (
    ('zone', 'Placement', 'Zone'),
    ('project_id', 'Placement', 'ProjectId'),
    ('vpc_id', 'VirtualPrivateCloud', 'VpcId'),
    ('subnet_id', 'VirtualPrivateCloud', 'SubnetId'),
    ('key_ids', 'LoginSettings', 'KeyIds'),
)

# The API fields that become host variables by default (``hostvars_fields: basic``): what users name,
# group, filter and connect by. Every other field (disks, bandwidth, latest operation, ...) only with
# ``hostvars_fields: all``: on a fleet of thousands, each variable costs ansible-inventory time and memory.
BASIC_FIELDS = ('InstanceId', 'InstanceName', 'InstanceType', 'InstanceState', 'InstanceChargeType', 'CPU', 'Memory',
                'PrivateIpAddresses', 'PublicIpAddresses', 'IPv6Addresses', 'SecurityGroupIds', 'OsName', 'ImageId',
                'CreatedTime', 'ExpiredTime', 'Uuid', 'HostName')

# Fields that would carry a secret if the API ever returned one: never made host variables.
SECRET_FIELDS = frozenset(('Password',))


@functools.lru_cache(maxsize=512)  # a few dozen field names, met once per instance each
def snake_name(name):
    """``InstanceId`` -> ``instance_id``; runs of capitals stay one word (``GPUInfo`` -> ``gpu_info``).

    ``IPv6`` is one word too (``PublicIPv6Addresses`` -> ``public_ipv6_addresses``), which a plain
    capitals rule would split into ``i_pv6``.
    """
    name = name.replace('IPv6', 'Ipv6')
    name = re.sub(r'([A-Z]+)([A-Z][a-z])', r'\1_\2', name)
    name = re.sub(r'([a-z0-9])([A-Z])', r'\1_\2', name)
    return name.lower()


def snake_value(value):
    """An API value with every dict key in snake_case, at any depth; secret fields and nulls left out.

    The API sends every field of its model, null where there is no value (most of them, on most
    instances): leaving those out halves the inventory of a large fleet, and ``| default`` reads the
    same either way.
    """
    if isinstance(value, dict):
        return {snake_name(key): snake_value(item) for key, item in value.items()
                if key not in SECRET_FIELDS and item is not None}
    if isinstance(value, list):
        return [snake_value(item) for item in value]
    return value


def tags_dict(tags):
    """The API's ``[{"Key": k, "Value": v}, ...]`` as ``{k: v}`` (an absent list is no tags)."""
    return {tag.get('Key'): tag.get('Value') for tag in tags or () if tag.get('Key') is not None}


# OsName of public images, e.g. "TencentOS Server 3.1 (TK4)", "TencentOS Server 3.1 for ARM64 (TK4)",
# "TencentOS Server 4 for x86_64", "Tencent Linux release 2.4 (Final)", "CentOS 7.9 64位",
# "Ubuntu Server 22.04 LTS 64位".
_TENCENTOS_NAME = re.compile(r'^\s*(?:TencentOS Server|Tencent ?OS Server|Tencent Linux)(?:\s+release)?\s+(?P<version>\d+(?:\.\d+)*)',
                             re.IGNORECASE)
_OTHER_NAME = re.compile(r'^\s*(?P<name>[A-Za-z][A-Za-z ]*?)(?:\s+release)?\s+(?P<version>\d+(?:\.\d+)*)')
_KERNEL_TAG = re.compile(r'\((TK\d+)\)', re.IGNORECASE)
# The kernel a TencentOS release's image runs unless its name says otherwise (facts sheet, section 1):
# 2.x images without "(TK4)" run the TK3 4.14 kernel, 3.x images run TK4 (5.4).
_DEFAULT_KERNEL = {'2': 'TK3', '3': 'TK4'}


def os_release(os_name):
    """What an instance's OsName says about its release: a hint, since it names the image the instance
    was created from, not what an in-place upgrade made of it since.

    Returns ``{"id", "name", "version", "major", "kernel"}``; ``id`` is the os-release(5) style id
    (``tencentos``, ``centos``, ``ubuntu``...), ``kernel`` the TencentOS kernel line (``TK3``,
    ``TK4``) or None. Every value is None when the name is not recognised.
    """
    hint = dict.fromkeys(('id', 'name', 'version', 'major', 'kernel'))
    text = os_name or ''
    match = _TENCENTOS_NAME.match(text)
    if match:
        version = match.group('version')
        major = version.split('.')[0]
        tag = _KERNEL_TAG.search(text)
        hint.update(id='tencentos', name='TencentOS Server', version=version, major=major,
                    kernel=tag.group(1).upper() if tag else _DEFAULT_KERNEL.get(major))
        return hint
    match = _OTHER_NAME.match(text)
    if match:
        name = ' '.join(match.group('name').split())
        version = match.group('version')
        hint.update(id=name.split()[0].lower(), name=name, version=version, major=version.split('.')[0])
    return hint


def host_variables(instance, region, all_fields=False):
    """The host variables of one API instance, in snake_case, without any prefix or suffix.

    ``all_fields``: every field of the API's instance, else only BASIC_FIELDS. The lifted values, the
    region, the tags and the release hint are always there.
    """
    fields = instance if all_fields else {key: instance[key] for key in BASIC_FIELDS if key in instance}
    variables = snake_value({key: value for key, value in fields.items() if key != 'Tags'})
    for name, structure, field in LIFTED:
        variables[name] = (instance.get(structure) or {}).get(field)
    variables['region'] = region
    variables[TAGS_VARIABLE] = tags_dict(instance.get('Tags'))
    variables['os_release'] = os_release(instance.get('OsName'))
    for listed in ('private_ip_addresses', 'public_ip_addresses', 'security_group_ids', 'ipv6_addresses', 'key_ids'):
        variables[listed] = variables.get(listed) or []
    return variables


def variable_names(api_fields, all_fields=False):
    """Every host variable name ``host_variables`` may set, given the API's instance field names.

    Used to tell a variable named in ``hostnames`` from a typo of a source name.
    """
    fields = api_fields if all_fields else BASIC_FIELDS
    names = {snake_name(field) for field in fields if field not in SECRET_FIELDS and field != 'Tags'}
    return names | {name for name, _structure, _field in LIFTED} | {'region', TAGS_VARIABLE, 'os_release'}


def first_address(addresses):
    """The first address of an API address list, or None."""
    return addresses[0] if addresses else None


def hostname_from_source(source, variables):
    """The host name a named source gives for these (unprefixed) host variables, or None."""
    if source == 'private_ip':
        return first_address(variables.get('private_ip_addresses'))
    if source == 'public_ip':
        return first_address(variables.get('public_ip_addresses'))
    return variables.get(source) or None


def api_filters(filters):
    """``{"zone": "ap-guangzhou-3", "tag:env": ["prod", "dev"]}`` as the API's Filters list.

    Values are strings (numbers such as a project id become their text); a filter's values are
    OR-ed by the API, filters AND-ed.
    """
    result = []
    for name in sorted(filters):
        values = filters[name]
        if not isinstance(values, list):
            values = [values]
        result.append({'Name': name, 'Values': [str(value) for value in values]})
    return result


def filter_problems(label, filters):
    """What is wrong with one filter set (a dict), each problem naming ``label``; [] when fine."""
    if not isinstance(filters, dict):
        return ['%s must be a dict of filter name to value(s), got %s' % (label, type(filters).__name__)]
    problems = []
    if len(filters) > MAX_FILTERS:
        problems.append('%s has %d filters; DescribeInstances takes at most %d a request' % (label, len(filters), MAX_FILTERS))
    for name, values in filters.items():
        values = values if isinstance(values, list) else [values]
        if not values:
            problems.append('%s.%s has no value' % (label, name))
        elif len(values) > MAX_FILTER_VALUES:
            problems.append('%s.%s has %d values; DescribeInstances takes at most %d a filter (split it into include_filters)'
                            % (label, name, len(values), MAX_FILTER_VALUES))
        for value in values:
            if isinstance(value, (dict, list, bool)) or value is None:
                problems.append('%s.%s: %r is not a string or number' % (label, name, value))
    return problems


def with_states(filters, states):
    """A filter set with the instance-state filter added (``states`` empty: every state).

    A set that names ``instance-state`` itself keeps its own.
    """
    if not states or 'instance-state' in filters:
        return dict(filters)
    combined = dict(filters)
    combined['instance-state'] = list(states)
    return combined
