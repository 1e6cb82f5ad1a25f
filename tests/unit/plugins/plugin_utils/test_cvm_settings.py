# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cvm inventory's options, checked before any API call (plugin_utils/cvm_settings.py)."""

from __future__ import annotations

import pytest

from ansible_collections.tencentos.fleet.plugins.plugin_utils.cvm_settings import check_options, query_fingerprint

API_FIELDS = ['InstanceId', 'InstanceName', 'Uuid', 'PrivateIpAddresses', 'Placement', 'Tags', 'OsName', 'SystemDisk']

# The plugin's defaults (DOCUMENTATION), as get_option returns them.
DEFAULTS = {
    'regions': ['ap-guangzhou'],
    'exclude_regions': [],
    'instance_states': ['RUNNING'],
    'filters': {},
    'include_filters': [],
    'exclude_filters': [],
    'hostnames': ['private_ip', 'instance_id'],
    'hostvars_prefix': '',
    'hostvars_suffix': '',
    'hostvars_fields': 'basic',
    'timeout': 30,
    'max_attempts': 5,
    'retry_backoff': 1.0,
    'endpoint': 'cvm.tencentcloudapi.com',
}


def check(**options):
    return check_options(dict(DEFAULTS, **options), API_FIELDS)


def problems_of(**options):
    settings, problems = check(**options)
    assert settings is None and problems
    return problems


def test_the_defaults_query_running_instances():
    settings, problems = check()
    assert problems == []
    assert settings['queries'] == [{'instance-state': ['RUNNING']}]
    assert settings['exclusions'] == [] and settings['regions'] == ['ap-guangzhou']


def test_every_query_and_exclusion_takes_the_states():
    settings = check(filters={'zone': 'ap-guangzhou-3'}, include_filters=[{'tag:role': 'db'}],
                     exclude_filters=[{'instance-name': 'old'}], instance_states=['running', 'stopped'])[0]
    assert settings['queries'] == [{'zone': 'ap-guangzhou-3', 'instance-state': ['RUNNING', 'STOPPED']},
                                   {'tag:role': 'db', 'instance-state': ['RUNNING', 'STOPPED']}]
    assert settings['exclusions'] == [{'instance-name': 'old', 'instance-state': ['RUNNING', 'STOPPED']}]


def test_no_states_means_every_state():
    settings = check(instance_states=[])[0]
    assert settings['queries'] == [{}]


@pytest.mark.parametrize('regions, exclude, expected', [
    ([], [], 'regions is empty'),
    (['all', 'ap-guangzhou'], [], "regions: 'all' queries every region the account has; it cannot be listed with others (ap-guangzhou)"),
    (['Guangzhou'], [], "regions: 'Guangzhou' is not a region name such as ap-guangzhou"),
    # $ would let the final newline through (a value pasted from a file).
    (['ap-guangzhou\n'], [], "regions: 'ap-guangzhou\\n' is not a region name such as ap-guangzhou"),
    (['all'], ['ap guangzhou'], "exclude_regions: 'ap guangzhou' is not a region name such as ap-guangzhou"),
    (['ap-guangzhou'], ['ap-beijing'], 'exclude_regions applies to regions: [all] only'),
])
def test_regions_are_checked(regions, exclude, expected):
    problems = problems_of(regions=regions, exclude_regions=exclude)
    assert any(problem.startswith(expected) for problem in problems), problems


def test_all_regions_with_exclusions_is_fine():
    settings, problems = check(regions=['all'], exclude_regions=['ap-singapore'])
    assert problems == [] and settings['exclude_regions'] == ['ap-singapore']


def test_states_are_checked():
    assert problems_of(instance_states=['running', 'asleep']) == [
        "instance_states: 'ASLEEP' is not one of PENDING, LAUNCH_FAILED, RUNNING, STOPPED, STARTING, STOPPING, "
        'REBOOTING, SHUTDOWN, TERMINATING']
    assert problems_of(instance_states=['RUNNING', 'STOPPED', 'PENDING', 'STARTING', 'STOPPING', 'REBOOTING']) == [
        'instance_states lists 6 states; the API takes at most 5 (an empty list means every state)']


def test_hostnames_take_sources_variables_and_expressions():
    settings, problems = check(hostnames=['instance_name', 'uuid', "instance_name ~ '.corp.example'", 'private_ip'])
    assert problems == [] and settings['hostnames'][2] == "instance_name ~ '.corp.example'"


def test_a_misspelt_source_is_refused_not_taken_for_an_expression():
    assert problems_of(hostnames=['private_ip_address']) == [
        "hostnames[0]: 'private_ip_address' is not one of private_ip, public_ip, instance_id, instance_name, nor a host "
        "variable; an expression of host variables works too, e.g. instance_name ~ '.corp.example'"]


def test_hostname_variables_follow_the_fields_chosen():
    assert problems_of(hostnames=['placement'])[0].startswith("hostnames[0]: 'placement' is not one of")
    assert check(hostnames=['placement'], hostvars_fields='all')[1] == []


def test_hostname_variables_are_named_with_the_prefix():
    assert check(hostnames=['cvm_uuid'], hostvars_prefix='cvm_')[1] == []
    assert problems_of(hostnames=['uuid'], hostvars_prefix='cvm_')[0].startswith("hostnames[0]: 'uuid' is not one of")


def test_empty_hostnames_are_refused():
    assert problems_of(hostnames=[]) == ['hostnames is empty: list where host names come from, e.g. [private_ip, instance_id]']


@pytest.mark.parametrize('option, value', [('hostvars_prefix', '1x_'), ('hostvars_prefix', 'a-'), ('hostvars_suffix', '.x')])
def test_prefix_and_suffix_must_make_variable_names(option, value):
    assert problems_of(**{option: value})[0].startswith('%s: %r would make invalid variable names' % (option, value))


@pytest.mark.parametrize('option, value', [('timeout', 0), ('max_attempts', 0), ('retry_backoff', -1.0)])
def test_numbers_are_checked(option, value):
    assert problems_of(**{option: value})[0].startswith('%s: %r' % (option, value))


@pytest.mark.parametrize('endpoint', ['ftp://cvm.example', 'https://cvm.example/v3', 'http://'])
def test_a_bad_endpoint_is_refused(endpoint):
    assert problems_of(endpoint=endpoint)[0].startswith('endpoint: endpoint %r is not' % endpoint)


def test_every_problem_is_reported_at_once():
    problems = problems_of(regions=[], hostnames=['nope'], timeout=0, filters={'zone': []})
    assert len(problems) == 4


def test_the_fingerprint_follows_the_question_not_the_presentation():
    settings = check()[0]
    base = query_fingerprint(settings, 'cvm.tencentcloudapi.com')
    assert query_fingerprint(check(hostnames=['instance_id'], hostvars_prefix='x_')[0], 'cvm.tencentcloudapi.com') == base
    assert query_fingerprint(check(regions=['ap-shanghai'])[0], 'cvm.tencentcloudapi.com') != base
    assert query_fingerprint(check(filters={'zone': 'z'})[0], 'cvm.tencentcloudapi.com') != base
    assert query_fingerprint(check(instance_states=[])[0], 'cvm.tencentcloudapi.com') != base
    assert query_fingerprint(settings, 'http://127.0.0.1:1') != base


def test_the_state_filter_counts_against_the_limit():
    ten = {'tag:k%d' % index: 'v' for index in range(10)}
    assert problems_of(filters=ten) == ['filters has 11 filters with the instance-state filter of instance_states; '
                                        'DescribeInstances takes at most 10']
    assert check(filters=ten, instance_states=[])[1] == []
