# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report's rows, from what site.yml leaves in hostvars."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import json

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.tencentos.fleet.plugins.filter.fleet_report_rows import FilterModule, fleet_report_rows

ISOLATION_VAR = '__tencentos_fleet_stats_isolation'

# ansible_facts.tencentos of the simulated tos24 (TencentOS 2.4, TK3) after the repos role ran, as
# tencentos.fleet.tencentos_facts returned it on the simulated fleet (molecule/resources); only the keys
# the report reads, and the kernel's installed list left out.
TOS24_FACTS = {
    'release': {'distribution': 'TencentOS', 'family': 'tencentos', 'version': '2.4', 'major': 2, 'minor': 4},
    'kernel': {'release': '4.14.105-19-0020.1', 'flavour': 'tk3', 'line': 'tk3',
               'boot': {'default': '4.14.105-19-0020.1', 'next': None, 'reboot_pending': False, 'style': 'legacy'}},
    'features': {'stats_isolation': 'off', 'cgroupfs': {'available': False, 'mounted_at': None},
                 'livepatch_abi': 'livepatch', 'hot_patches': []},
    'repos': {'enabled': [{'file': '/etc/yum.repos.d/tencentos-fleet.repo', 'gpgcheck': True,
                           'host': '10.0.2.2:18080', 'id': 'tlinux'}],
              'gpgcheck': True, 'hosts': ['10.0.2.2:18080'], 'managed_file': '/etc/yum.repos.d/tencentos-fleet.repo'},
}

# The same for tos31 (TencentOS 3.1, TK4) before any role ran: no stats isolation, cgroupfs, no repository.
TOS31_FACTS = {
    'release': {'distribution': 'TencentOS', 'family': 'tencentos', 'version': '3.1', 'major': 3, 'minor': 1},
    'kernel': {'release': '5.4.119-19-0009.1', 'flavour': 'tk4', 'line': 'tk4',
               'boot': {'default': '5.4.119-19-0009.1', 'next': None, 'reboot_pending': False, 'style': 'bls'}},
    'features': {'stats_isolation': 'absent', 'cgroupfs': {'available': True, 'mounted_at': None},
                 'livepatch_abi': 'livepatch', 'hot_patches': []},
    'repos': {'enabled': [], 'gpgcheck': False, 'hosts': [], 'managed_file': None},
}

# tencentos.fleet.stats_isolation's result on the simulated tos24 (four test containers), one made isolated.
TOS24_ISOLATION = {
    'changed': False, 'supported': True, 'host_switch': 'off',
    'containers': [
        {'cgroup': '/docker/3f2a', 'effective': 'off', 'flags': {'blkio': True, 'cpuacct': True, 'cpuset': False, 'memory': True}},
        {'cgroup': '/kubepods/besteffort/pod2/node-exporter', 'effective': 'off',
         'flags': {'blkio': False, 'cpuacct': False, 'cpuset': False, 'memory': False}},
        {'cgroup': '/kubepods/burstable/pod1/app', 'effective': 'on',
         'flags': {'blkio': True, 'cpuacct': True, 'cpuset': True, 'memory': True}},
    ],
}

# What Ansible registers for a task skipped by its condition (site.yml skips the module where the feature is absent).
SKIPPED = {'changed': False, 'skipped': True, 'skip_reason': 'Conditional result was False', 'false_condition': '...'}


def hostvars(**hosts):
    return dict((name, {'inventory_hostname': name, 'ansible_facts': {'tencentos': facts} if facts else {},
                        ISOLATION_VAR: isolation})
                for name, (facts, isolation) in hosts.items())


def test_the_filter_is_named_as_the_playbook_calls_it():
    assert FilterModule().filters() == {'fleet_report_rows': fleet_report_rows}


def test_a_tk3_row_counts_the_isolated_containers_of_the_registered_result():
    rows = fleet_report_rows(['tos24'], hostvars(tos24=(TOS24_FACTS, TOS24_ISOLATION)), stats_isolation_var=ISOLATION_VAR)
    assert rows == [{
        'host': 'tos24', 'release': 'TencentOS 2.4', 'family': 'tencentos', 'version': '2.4',
        'kernel': '4.14.105-19-0020.1', 'default_kernel': '4.14.105-19-0020.1', 'reboot': 'no', 'flavour': 'tk3', 'line': 'tk3',
        'stats_isolation': 'off', 'stats_isolation_summary': 'off (1/3 containers isolated)',
        'livepatch_abi': 'livepatch', 'hot_patches': 'none', 'repos': '10.0.2.2:18080 gpg=on', 'repos_managed': True,
    }]


def test_a_node_that_skipped_the_module_reports_the_facts_and_cgroupfs():
    rows = fleet_report_rows(['tos31'], hostvars(tos31=(TOS31_FACTS, SKIPPED)), stats_isolation_var=ISOLATION_VAR)
    assert rows[0]['stats_isolation_summary'] == 'absent (cgroupfs available)'
    assert rows[0]['repos'] == 'none' and rows[0]['repos_managed'] is False


def test_without_the_registered_variable_the_column_comes_from_the_facts():
    rows = fleet_report_rows(['tos24'], hostvars(tos24=(TOS24_FACTS, TOS24_ISOLATION)))
    assert rows[0]['stats_isolation_summary'] == 'off'


def test_a_host_without_facts_gets_a_row_that_says_so():
    rows = fleet_report_rows(['tos24', 'gone'], hostvars(tos24=(TOS24_FACTS, None), gone=(None, None)))
    assert rows[1] == {
        'host': 'gone', 'release': 'no facts (unreachable or failed)', 'family': None, 'version': None,
        'kernel': '-', 'default_kernel': '-', 'reboot': '-', 'flavour': '-', 'line': '-', 'stats_isolation': '-',
        'stats_isolation_summary': '-', 'livepatch_abi': '-', 'hot_patches': '-', 'repos': '-', 'repos_managed': None,
    }


def test_a_host_missing_from_hostvars_is_a_host_without_facts():
    rows = fleet_report_rows(['unknown'], {})
    assert rows[0]['release'] == 'no facts (unreachable or failed)'


def test_rows_keep_the_order_of_the_hosts_given():
    variables = hostvars(tos24=(TOS24_FACTS, None), tos31=(TOS31_FACTS, None))
    assert [row['host'] for row in fleet_report_rows(['tos31', 'tos24'], variables)] == ['tos31', 'tos24']


@pytest.mark.parametrize('boot, expected', [
    ({'default': '5.4.119-19-0010.1', 'next': '5.4.119-19-0010.1', 'reboot_pending': True}, 'pending: 5.4.119-19-0010.1 once'),
    ({'default': '5.4.119-19-0010.1', 'next': None, 'reboot_pending': True}, 'pending: 5.4.119-19-0010.1'),
    ({'default': None, 'next': None, 'reboot_pending': False}, 'no'),
])
def test_the_reboot_column_names_the_kernel_the_next_boot_starts(boot, expected):
    facts = copy.deepcopy(TOS31_FACTS)
    facts['kernel']['boot'] = boot
    row = fleet_report_rows(['tos31'], hostvars(tos31=(facts, None)))[0]
    assert row['reboot'] == expected
    assert row['default_kernel'] == (boot['default'] or '-')


def test_the_hot_patches_column_marks_patches_in_transition_and_disabled():
    facts = copy.deepcopy(TOS24_FACTS)
    facts['features']['hot_patches'] = [
        {'name': 'livepatch_a', 'abi': 'livepatch', 'enabled': True, 'transition': False},
        {'name': 'livepatch_b', 'abi': 'livepatch', 'enabled': True, 'transition': True},
        {'name': 'kpatch_c', 'abi': 'kpatch', 'enabled': False, 'transition': False},
    ]
    row = fleet_report_rows(['tos24'], hostvars(tos24=(facts, None)))[0]
    assert row['hot_patches'] == 'livepatch_a, livepatch_b (in transition), kpatch_c (disabled)'


def test_the_repos_column_shouts_when_a_repository_is_not_gpg_checked():
    facts = copy.deepcopy(TOS24_FACTS)
    facts['repos']['gpgcheck'] = False
    facts['repos']['hosts'] = ['mirrors.tencentyun.com', 'mirrors.tencent.com']
    row = fleet_report_rows(['tos24'], hostvars(tos24=(facts, None)))[0]
    assert row['repos'] == 'mirrors.tencentyun.com mirrors.tencent.com gpg=OFF'


def test_a_release_without_version_has_no_trailing_space():
    facts = copy.deepcopy(TOS31_FACTS)
    facts['release'].update({'distribution': 'other', 'version': None})
    row = fleet_report_rows(['x'], hostvars(x=(facts, None)))[0]
    assert row['release'] == 'other' and row['version'] is None


def test_the_rows_are_plain_data_for_to_json():
    rows = fleet_report_rows(['tos24'], hostvars(tos24=(TOS24_FACTS, TOS24_ISOLATION)), stats_isolation_var=ISOLATION_VAR)
    assert json.loads(json.dumps(rows)) == rows


def test_facts_without_a_subset_the_report_needs_are_refused_naming_host_and_key():
    facts = copy.deepcopy(TOS24_FACTS)
    del facts['kernel']['boot']
    with pytest.raises(AnsibleFilterError, match=r'tencentos facts of host tos24 have no kernel\.boot'):
        fleet_report_rows(['tos24'], hostvars(tos24=(facts, None)))


@pytest.mark.parametrize('hosts, variables, message', [
    ('tos24', {}, 'the input must be a list of host names, got str'),
    (['tos24'], ['tos24'], 'hostvars must be the hostvars mapping, got list'),
])
def test_input_that_is_not_hosts_and_hostvars_is_refused(hosts, variables, message):
    with pytest.raises(AnsibleFilterError, match=message):
        fleet_report_rows(hosts, variables)
