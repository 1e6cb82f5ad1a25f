# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cvm inventory plugin's options, checked all at once before any API call.

``check_options`` takes the option values as Ansible read them and returns the settings the plugin
works with, or every problem found, each naming the option, the value seen and what is allowed.
Plain values in, plain values out: the unit tests need neither Ansible nor the SDK.
"""

from __future__ import annotations

import json
import re

from ansible_collections.tencentos.fleet.plugins.plugin_utils.cvm_api import parse_endpoint
from ansible_collections.tencentos.fleet.plugins.plugin_utils.cvm_instances import (
    HOSTNAME_SOURCES, INSTANCE_STATES, MAX_FILTER_VALUES, MAX_FILTERS, filter_problems, variable_names, with_states)

ALL_REGIONS = 'all'
REGION_NAME = re.compile(r'^[a-z0-9]+(-[a-z0-9]+)+\Z')
IDENTIFIER = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*\Z')
PREFIX = re.compile(r'^([A-Za-z_][A-Za-z0-9_]*)?\Z')
SUFFIX = re.compile(r'^[A-Za-z0-9_]*\Z')


def region_problems(regions, exclude_regions):
    problems = []
    if not regions:
        problems.append("regions is empty: list the regions to query (e.g. [ap-guangzhou, ap-shanghai]), or [all]")
    if ALL_REGIONS in regions and len(regions) > 1:
        problems.append("regions: 'all' queries every region the account has; it cannot be listed with others (%s)"
                        % ', '.join(region for region in regions if region != ALL_REGIONS))
    for option, names in (('regions', regions), ('exclude_regions', exclude_regions)):
        for name in names:
            if name != ALL_REGIONS and not (isinstance(name, str) and REGION_NAME.match(name)):
                problems.append('%s: %r is not a region name such as ap-guangzhou' % (option, name))
    if exclude_regions and regions != [ALL_REGIONS]:
        problems.append('exclude_regions applies to regions: [all] only; leave the regions out of the list instead')
    return problems


def state_problems(states):
    problems = ['instance_states: %r is not one of %s' % (state, ', '.join(INSTANCE_STATES))
                for state in states if state not in INSTANCE_STATES]
    if len(states) > MAX_FILTER_VALUES:
        problems.append('instance_states lists %d states; the API takes at most %d (an empty list means every state)'
                        % (len(states), MAX_FILTER_VALUES))
    return problems


def hostname_problems(hostnames, known_variables):
    """Each entry is a source name, a host variable, or an expression; a bare word that is neither a
    source nor a variable is taken for a typo rather than for an expression that is always undefined."""
    if not hostnames:
        return ['hostnames is empty: list where host names come from, e.g. [private_ip, instance_id]']
    problems = []
    for index, entry in enumerate(hostnames):
        if not isinstance(entry, str) or not entry.strip():
            problems.append('hostnames[%d]: %r is not a source name or an expression' % (index, entry))
        elif entry not in HOSTNAME_SOURCES and IDENTIFIER.match(entry) and entry not in known_variables:
            problems.append("hostnames[%d]: %r is not one of %s, nor a host variable; an expression of host variables "
                            "works too, e.g. instance_name ~ '.corp.example'" % (index, entry, ', '.join(HOSTNAME_SOURCES)))
    return problems


def number_problems(timeout, max_attempts, retry_backoff):
    problems = []
    if timeout <= 0:
        problems.append('timeout: %r is not a number of seconds above 0' % timeout)
    if max_attempts < 1:
        problems.append('max_attempts: %r is not a number of attempts of 1 or more' % max_attempts)
    if retry_backoff < 0:
        problems.append('retry_backoff: %r is not a number of seconds of 0 or more' % retry_backoff)
    return problems


def decoration_problems(prefix, suffix):
    problems = []
    if not PREFIX.match(prefix):
        problems.append('hostvars_prefix: %r would make invalid variable names; use letters, digits and _, '
                        'not starting with a digit' % prefix)
    if not SUFFIX.match(suffix):
        problems.append('hostvars_suffix: %r would make invalid variable names; use letters, digits and _' % suffix)
    return problems


def check_options(options, api_fields):
    """``(settings, problems)`` for the option values ``options`` (a dict, as get_option gives them).

    ``api_fields`` are the SDK's Instance field names, to know the host variable names.
    """
    # TENCENTCLOUD_REGION='' (an AWX credential's empty region) or a trailing comma gives empty names: none is a region.
    regions = [region for region in options['regions'] or [] if region != '']
    exclude_regions = list(options['exclude_regions'] or [])
    states = [str(state).upper() for state in options['instance_states'] or []]
    filters = options['filters'] or {}
    include_filters = list(options['include_filters'] or [])
    exclude_filters = list(options['exclude_filters'] or [])
    prefix, suffix = options['hostvars_prefix'] or '', options['hostvars_suffix'] or ''
    all_fields = options['hostvars_fields'] == 'all'
    known_variables = {prefix + name + suffix for name in variable_names(api_fields, all_fields)}

    problems = region_problems(regions, exclude_regions) + state_problems(states)
    labelled = [('filters', filters)] + [('include_filters[%d]' % index, filter_set) for index, filter_set in enumerate(include_filters)] \
        + [('exclude_filters[%d]' % index, filter_set) for index, filter_set in enumerate(exclude_filters)]
    for label, filter_set in labelled:
        set_problems = filter_problems(label, filter_set)
        # The state filter counts against the API's limit too.
        if not set_problems and len(with_states(filter_set, states)) > MAX_FILTERS:
            set_problems.append('%s has %d filters with the instance-state filter of instance_states; DescribeInstances '
                                'takes at most %d' % (label, len(with_states(filter_set, states)), MAX_FILTERS))
        problems += set_problems
    problems += hostname_problems(options['hostnames'], known_variables)
    problems += decoration_problems(prefix, suffix)
    problems += number_problems(options['timeout'], options['max_attempts'], options['retry_backoff'])
    try:
        parse_endpoint(options['endpoint'])
    except ValueError as error:
        problems.append('endpoint: %s' % error)
    if problems:
        return None, problems

    # Every query, and every exclusion, takes the state filter: an exclusion must not reach
    # instances the queries left out anyway, or cost more pages than they do.
    queries = [with_states(filter_set, states) for filter_set in [filters] + include_filters]
    exclusions = [with_states(filter_set, states) for filter_set in exclude_filters]
    settings = {
        'regions': regions,
        'exclude_regions': exclude_regions,
        'queries': queries,
        'exclusions': exclusions,
        'hostnames': list(options['hostnames']),
        'prefix': prefix,
        'suffix': suffix,
        'all_fields': all_fields,
    }
    return settings, []


def query_fingerprint(settings, endpoint):
    """What the API was asked, as text: a cached answer to another question is not used."""
    question = {key: settings[key] for key in ('regions', 'exclude_regions', 'queries', 'exclusions')}
    question['endpoint'] = endpoint
    return json.dumps(question, sort_keys=True)
