# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: cvm
short_description: Tencent Cloud CVM instances as an inventory
version_added: 1.0.0
description:
  - Asks the CVM API (C(DescribeInstances), and C(DescribeRegions) for O(regions=[all])) which instances a
    Tencent Cloud account has, and makes them hosts, with snake_case host variables, tags as a dict, and a
    hint of the TencentOS release from the image's OS name.
  - Uses the official Tencent Cloud SDK, only its C(tencentcloud-sdk-python-common) and
    C(tencentcloud-sdk-python-cvm) packages, which must be installed on the controller (or in the execution
    environment, from this collection's C(meta/ee-requirements.txt)).
  - The inventory file's name must end in C(cvm.yml) or C(cvm.yaml) (for example C(prod.cvm.yml)); other
    files are left to other plugins. AWX and AAP skip an inventory source whose name does not match without
    saying so.
  - Every host is in the group C(cvm).
  - Credentials are never shown, not in errors, warnings, verbose output or the cache.
author:
  - tencentos.fleet contributors (@tencentos-fleet)
requirements:
  - tencentcloud-sdk-python-common
  - tencentcloud-sdk-python-cvm
extends_documentation_fragment:
  - constructed
  - inventory_cache
options:
  plugin:
    description: Marks the file as this plugin's.
    required: true
    type: str
    choices: [tencentos.fleet.cvm]
  regions:
    description:
      - The regions to query, for example C([ap-guangzhou, ap-shanghai]).
      - C([all]) asks C(DescribeRegions) for every region available to the account first. A region that
        then fails (not enabled for the account, not allowed by a CAM policy) is left out with a warning,
        as is any region that fails with O(region_errors=warn).
      - Querying every region is slow for an account with few of them in use; list yours.
      - Without this option in the inventory file, the environment variable E(TENCENTCLOUD_REGION) gives them,
        separated by commas (the AWX credential type of C(extensions/awx/) injects it).
    type: list
    elements: str
    required: true
    env:
      - name: TENCENTCLOUD_REGION
  exclude_regions:
    description: Regions left out of O(regions=[all]).
    type: list
    elements: str
    default: []
  region_errors:
    description:
      - What a region that fails after the retries does to the inventory.
      - V(warn) leaves its hosts out and says so in a warning; the other regions' hosts are there. Such a
        partial answer is not written to the cache.
      - V(fail) fails the whole inventory.
      - Errors of the credentials (C(AuthFailure.*)) fail the inventory in any case, and so does a run in
        which every region failed.
    type: str
    choices: [warn, fail]
    default: warn
  filters:
    description:
      - C(DescribeInstances) filters, as a dict of filter name to a value or a list of values, for example
        C(zone), C(vpc-id), C(instance-name), C(tag-key), C(tag:<key>). The values of one filter are OR-ed,
        filters are AND-ed.
      - At most 10 filters, and 5 values a filter (the API's limits), counting the C(instance-state) filter
        that O(instance_states) adds.
      - See U(https://www.tencentcloud.com/document/api/213/33258) for every filter.
    type: dict
    default: {}
  include_filters:
    description:
      - More queries, each a dict like O(filters); their instances are added to those of O(filters).
      - Each entry costs its own queries in every region.
    type: list
    elements: dict
    default: []
  exclude_filters:
    description: Queries whose instances are left out, each a dict like O(filters).
    type: list
    elements: dict
    default: []
  instance_states:
    description:
      - The instance states that make a host, added to every query as the C(instance-state) filter (unless
        the query has one). An empty list means every state.
      - At most 5 states.
    type: list
    elements: str
    default: [RUNNING]
  hostnames:
    description:
      - Where a host's name comes from, in order; the first that gives a name is used, and an instance for
        which none does is left out with a warning.
      - V(private_ip) and V(public_ip) are the primary network interface's first address, V(instance_id) and
        V(instance_name) the instance's.
      - Any other entry is a Jinja2 expression of the host variables (as named with O(hostvars_prefix) and
        O(hostvars_suffix)), as in O(compose), for example C(instance_name ~ '.corp.example').
      - Two instances with the same name make one host only; the second is left out with a warning.
      - A name that holds C({{), C({%) or C({#) is not taken (the next entry is tried), so that no instance name
        is ever run as a template.
    type: list
    elements: str
    default: [private_ip, instance_id]
  hostvars_fields:
    description:
      - Which fields of the API's instance become host variables (always with C(region), C(zone), C(project_id),
        C(vpc_id), C(subnet_id), C(key_ids), C(tencentcloud_tags) and C(os_release)).
      - V(basic) are C(instance_id), C(instance_name), C(instance_type), C(instance_state), C(instance_charge_type),
        C(cpu), C(memory), C(private_ip_addresses), C(public_ip_addresses), C(ipv6_addresses), C(security_group_ids),
        C(os_name), C(image_id), C(created_time), C(expired_time), C(uuid) and C(host_name).
      - V(all) adds every other field (C(placement), C(system_disk), C(data_disks), C(internet_accessible),
        C(virtual_private_cloud), C(latest_operation), ...), which makes the inventory of a large fleet about
        twice as big and slow.
    type: str
    choices: [basic, all]
    default: basic
  hostvars_prefix:
    description: Put before the name of every host variable this plugin sets (not those of O(compose)).
    type: str
    default: ''
  hostvars_suffix:
    description: Put after the name of every host variable this plugin sets (not those of O(compose)).
    type: str
    default: ''
  secret_id:
    description:
      - The API key's SecretId. With O(secret_key); without both, a TCCLI O(profile) or the SDK's default
        chain is used (C(~/.tencentcloud/credentials), C(/etc/tencentcloud/credentials), the CAM role of the
        CVM the controller runs on, a TKE OIDC role).
      - Never shown in any output.
    type: str
    env:
      - name: TENCENTCLOUD_SECRET_ID
  secret_key:
    description: The API key's SecretKey. Never shown in any output.
    type: str
    env:
      - name: TENCENTCLOUD_SECRET_KEY
  token:
    description: The session token of temporary credentials (STS, CAM role). Never shown in any output.
    type: str
    env:
      - name: TENCENTCLOUD_SECURITY_TOKEN
      - name: TENCENTCLOUD_SESSION_TOKEN
  profile:
    description:
      - A TCCLI profile to take the credentials from, C(~/.tccli/<profile>.credential) (as C(tccli configure)
        writes it), when O(secret_id) and O(secret_key) are not set.
    type: str
  endpoint:
    description:
      - The CVM API endpoint, a host name or an C(http://host[:port]) or C(https://host[:port]) URL.
        C(cvm.intl.tencentcloudapi.com) is the international site's; private clouds and tests have their own.
    type: str
    default: cvm.tencentcloudapi.com
  timeout:
    description: Seconds an API request may take (to connect, and then to answer).
    type: int
    default: 30
  max_attempts:
    description:
      - Attempts of an API request that meets C(RequestLimitExceeded) or a network error, with exponential
        back-off between them. Other errors are not retried.
    type: int
    default: 5
  retry_backoff:
    description: Seconds before the first retry; each retry waits about twice as long, at most 30 s.
    type: float
    default: 1.0
notes:
  - Host variables (before O(hostvars_prefix) and O(hostvars_suffix)) are fields of the API's C(Instance) in
    snake_case (see O(hostvars_fields)), and C(region), C(zone), C(project_id), C(vpc_id), C(subnet_id) and
    C(key_ids) (None when the API has no value; C(key_ids) is C([])). Another field the API leaves null is not
    set; the address and security group lists are C([]) when empty.
  - Tags are the dict C(tencentcloud_tags); there is no host variable C(tags), a name Ansible reserves.
  - C(os_release) is what the image's OS name says (C(id), C(name), C(version), C(major), C(kernel)), for
    example C(id=tencentos), C(name=TencentOS Server), C(version=3.1), C(major=3), C(kernel=TK4) for the
    OS name C(TencentOS Server 3.1) followed by C(TK4) in parentheses. It names the image the instance was
    created from; an instance upgraded in place since says otherwise in its own facts.
  - With O(cache), what the API answered is cached, and used until O(cache_timeout) or C(--flush-cache);
    the host names, variables and groups are made again from it on every run, so a change of O(hostnames)
    or O(compose) needs no refresh. A cached answer to other O(regions), filters or O(endpoint) is not used.
seealso:
  - name: The cvm inventory guide
    description: Examples, AWX, and what the tests prove.
    link: https://github.com/tencentos-fleet/tencentos.fleet/blob/main/docs/inventory-cvm.md
"""

EXAMPLES = r"""
# The smallest inventory file, prod.cvm.yml: the running instances of two regions, named by private IP.
#   plugin: tencentos.fleet.cvm
#   regions: [ap-guangzhou, ap-shanghai]
#
# Every region but one, named by instance name, cached for an hour:
#   plugin: tencentos.fleet.cvm
#   regions: [all]
#   exclude_regions: [ap-singapore]
#   hostnames: [instance_name, instance_id]
#   cache: true
#   cache_plugin: ansible.builtin.jsonfile
#   cache_connection: ~/.cache/tencentos-fleet-inventory
#   cache_timeout: 3600
#
# tke.cvm.yml: the nodes of two TKE node pools (tagged by their pools), but not those tagged for
# maintenance, grouped by zone and by TencentOS release.
plugin: tencentos.fleet.cvm
regions: [ap-guangzhou]
filters:
  tag:tke-nodepool: [np-web, np-batch]
exclude_filters:
  - tag:maintenance: "true"
keyed_groups:
  - key: zone
    prefix: zone
  - key: os_release.id ~ '_' ~ os_release.version
    prefix: os
groups:
  tencentos: os_release.id == 'tencentos'
compose:
  ansible_host: private_ip_addresses[0]
"""

import re

import ansible.template
from ansible.errors import AnsibleError, AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.tencentos.fleet.plugins.plugin_utils import cvm_api
from ansible_collections.tencentos.fleet.plugins.plugin_utils.cvm_instances import (
    HOSTNAME_SOURCES, host_variables, hostname_from_source)
from ansible_collections.tencentos.fleet.plugins.plugin_utils.cvm_settings import (
    ALL_REGIONS, check_options, query_fingerprint)

GROUP = 'cvm'
TEMPLATE_MARKS = re.compile(r'\{\{|\{%|\{#')
OPTION_NAMES = ('regions', 'exclude_regions', 'instance_states', 'filters', 'include_filters', 'exclude_filters',
                'hostnames', 'hostvars_prefix', 'hostvars_suffix', 'hostvars_fields', 'timeout', 'max_attempts',
                'retry_backoff', 'endpoint')

# Whoever may name or tag an instance must not be able to run a template on the controller: the API's
# values are data. ansible-core 2.19 and later (data tagging, trust_as_template) treat a plugin's values
# so by default; older ones need them marked unsafe, which costs a walk over every value.
if hasattr(ansible.template, 'trust_as_template'):
    def as_data(variables):
        return variables
else:
    as_data = wrap_var


class _RetryLog:
    """Hands the retries' messages (error code and message; never a secret) to -vvv output."""

    def __init__(self, display):
        self.display = display

    def debug(self, message, *args):
        self.display.vvv('tencentos.fleet.cvm: ' + (message % args))


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):

    NAME = 'tencentos.fleet.cvm'

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(('cvm.yml', 'cvm.yaml'))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        missing = cvm_api.sdk_missing_message()
        if missing:
            raise AnsibleParserError(missing)
        settings = self._settings()
        answer = self._api_answer(path, settings, use_cache=cache)
        self._report_failures(answer['failures'])
        self._add_hosts(answer['instances'], settings)

    def _settings(self):
        options = {name: self.get_option(name) for name in OPTION_NAMES}
        settings, problems = check_options(options, cvm_api.instance_fields())
        if problems:
            raise AnsibleParserError('tencentos.fleet.cvm: the inventory options are not valid:\n- ' + '\n- '.join(problems))
        settings['region_errors'] = self.get_option('region_errors')
        return settings

    def _api_answer(self, path, settings, use_cache):
        """What the API answered: ``{"query", "instances": {region: [...]}, "failures": {region: text}}``.

        ``use_cache`` is False with --flush-cache: then the API is asked and the cache written again.
        """
        fingerprint = query_fingerprint(settings, self.get_option('endpoint'))
        cache_key = self.get_cache_key(path)
        caching = self.get_option('cache')
        if caching and use_cache:
            try:
                cached = self._cache[cache_key]
            except KeyError:
                cached = None
            if cached and cached.get('query') == fingerprint:
                return cached
        answer = self._ask_api(settings)
        answer['query'] = fingerprint
        # A partial answer is not kept: the next run asks the failed regions again.
        if caching and not answer['failures']:
            self._cache[cache_key] = answer
        return answer

    def _ask_api(self, settings):
        try:
            credential, source = cvm_api.resolve_credential(
                self.get_option('secret_id'), self.get_option('secret_key'), self.get_option('token'),
                self.get_option('profile'))
        except cvm_api.CredentialError as error:
            raise AnsibleError('tencentos.fleet.cvm: %s' % error) from None
        self.display.vvv('tencentos.fleet.cvm: credentials from %s' % source)  # where from, never what
        connection = cvm_api.Connection(
            credential, endpoint=self.get_option('endpoint'), timeout=self.get_option('timeout'),
            max_attempts=self.get_option('max_attempts'), retry_backoff=self.get_option('retry_backoff'),
            log=_RetryLog(self.display))
        try:
            regions = self._regions(connection, settings)
            instances, failures = cvm_api.fleet_instances(connection, regions, settings['queries'], settings['exclusions'])
        except cvm_api.CvmApiError as error:
            raise AnsibleError('tencentos.fleet.cvm: the CVM API refused the credentials: %s' % error) from None
        if failures and (settings['region_errors'] == 'fail' or not instances):
            raise AnsibleError('tencentos.fleet.cvm: no inventory, regions failed: %s' % self._failure_text(failures))
        return {'instances': instances, 'failures': {region: str(error) for region, error in failures.items()}}

    def _regions(self, connection, settings):
        if settings['regions'] != [ALL_REGIONS]:
            return settings['regions']
        try:
            available = connection.regions()
        except cvm_api.CvmApiError as error:
            if error.about_credentials:
                raise
            raise AnsibleError('tencentos.fleet.cvm: regions [all]: DescribeRegions failed: %s' % error) from None
        return [region for region in available if region not in settings['exclude_regions']]

    @staticmethod
    def _failure_text(failures):
        return '; '.join('%s: %s' % (region, failures[region]) for region in sorted(failures))

    def _report_failures(self, failures):
        for region in sorted(failures):
            self.display.warning('tencentos.fleet.cvm: region %s left out of the inventory: %s' % (region, failures[region]))

    def _add_hosts(self, instances, settings):
        prefix, suffix = settings['prefix'], settings['suffix']
        strict = self.get_option('strict')
        self.inventory.add_group(GROUP)
        seen = {}
        for region in sorted(instances):
            for instance in instances[region]:
                plain = host_variables(instance, region, settings['all_fields'])
                variables = as_data({prefix + name + suffix: value for name, value in plain.items()})
                name = self._hostname(settings['hostnames'], plain, variables)
                instance_id = instance.get('InstanceId')
                if not name:
                    self.display.warning('tencentos.fleet.cvm: instance %s has no host name from %s: left out'
                                         % (instance_id, ', '.join(settings['hostnames'])))
                    continue
                if name in seen:
                    self.display.warning('tencentos.fleet.cvm: instances %s and %s have the same host name %s: %s is left out'
                                         % (seen[name], instance_id, name, instance_id))
                    continue
                seen[name] = instance_id
                self.inventory.add_host(name, group=GROUP)
                for variable, value in variables.items():
                    self.inventory.set_variable(name, variable, value)
                self._set_composite_vars(self.get_option('compose'), variables, name, strict=strict)
                self._add_host_to_composed_groups(self.get_option('groups'), variables, name, strict=strict)
                self._add_host_to_keyed_groups(self.get_option('keyed_groups'), variables, name, strict=strict)

    def _hostname(self, hostnames, plain, variables):
        """The first name the ``hostnames`` entries give, or None.

        Sources read the plain host variables; expressions see them as named on the host, like compose.
        """
        for entry in hostnames:
            if entry in HOSTNAME_SOURCES:
                name = hostname_from_source(entry, plain)
            else:
                try:
                    name = self._compose(entry, variables)
                except Exception as error:  # an expression undefined for this host: try the next entry
                    if self.get_option('strict'):
                        raise AnsibleError('tencentos.fleet.cvm: hostnames entry %r: %s' % (entry, error)) from None
                    continue
            # A name is a plain string from here on, which ansible-core before 2.19 would template when a
            # play uses inventory_hostname: a name that looks like a template is not taken.
            if name not in (None, '') and not TEMPLATE_MARKS.search(str(name)):
                return str(name)
        return None
