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


# What the roles of playbooks/provision.yml leave on the simulated tos24 (tke_node group of examples/inventory) after a
# first run: the kernel, sysctl and hotpatch roles' result facts as their tasks/main.yml set them, and the profile from
# the group's variables. The sysctl key lists are keys of the tke_node profile (roles/sysctl/vars) as a container
# splits them: global keys written to the file only, the bridge keys missing without br_netfilter.
TOS24_PROVISIONED = {
    'tencentos_kernel_result': {'outcome': 'pending_reboot', 'target': '4.14.105-19-0020.1', 'start': '4.14.105-19-0013',
                                'msg': 'running 4.14.105-19-0013; reboot required to run 4.14.105-19-0020.1 (boots once '
                                       'into it, then verify with this role)'},
    'tencentos_kernel_reboot_required': True,
    'tencentos_sysctl_profile': 'tke_node',
    'tencentos_sysctl_result': {'file': '/etc/sysctl.d/99-tencentos-fleet.conf',
                                'applied': ['net.core.somaxconn', 'vm.max_map_count'],
                                'persisted_only': ['kernel.panic', 'vm.overcommit_memory', 'vm.panic_on_oom'],
                                'missing': ['net.bridge.bridge-nf-call-iptables', 'net.bridge.bridge-nf-call-ip6tables'],
                                'confinement': 'a container (podman, PID namespace not the initial one)',
                                'pending': ['kernel.panic', 'vm.overcommit_memory', 'vm.panic_on_oom']},
    'tencentos_hotpatch_result': {'kernel': '4.14.105-19-0013', 'outcome': 'patched', 'changed': ['livepatch_test_pkg'],
                                  'unchanged': [], 'rolled_back': [], 'failed_patch': None,
                                  'skipped': [{'name': 'livepatch_test_pkg', 'kernel': '5.4.119-19-0009.1',
                                               'reason': 'livepatch_test_pkg skipped: built for kernel 5.4.119-19-0009.1, '
                                                         'the host runs 4.14.105-19-0013'}],
                                  'msg': 'kernel 4.14.105-19-0013: 1 patch(es) changed (livepatch_test_pkg), 1 skipped'},
}


def hostvars(**hosts):
    return dict((name, {'inventory_hostname': name, 'ansible_facts': {'tencentos': facts} if facts else {},
                        ISOLATION_VAR: isolation})
                for name, (facts, isolation) in hosts.items())


def provisioned(variables, host, **results):
    """hostvars with the role results of TOS24_PROVISIONED (or those given) on ``host``."""
    variables[host].update(TOS24_PROVISIONED)
    variables[host].update(results)
    return variables


def test_the_filter_is_named_as_the_playbook_calls_it():
    assert FilterModule().filters() == {'fleet_report_rows': fleet_report_rows}


def test_a_tk3_row_counts_the_isolated_containers_of_the_registered_result():
    rows = fleet_report_rows(['tos24'], hostvars(tos24=(TOS24_FACTS, TOS24_ISOLATION)), stats_isolation_var=ISOLATION_VAR)
    assert rows == [{
        'host': 'tos24', 'release': 'TencentOS 2.4', 'family': 'tencentos', 'version': '2.4',
        'kernel': '4.14.105-19-0020.1', 'default_kernel': '4.14.105-19-0020.1', 'reboot': 'no', 'flavour': 'tk3', 'line': 'tk3',
        'stats_isolation': 'off', 'stats_isolation_summary': 'off (1/3 containers isolated)',
        'livepatch_abi': 'livepatch', 'hot_patches': 'none', 'repos': '10.0.2.2:18080 gpg=on', 'repos_managed': True,
        'provisioned': False, 'repos_configured': 'tlinux', 'kernel_outcome': None, 'kernel_result': '-',
        'sysctl_result': '-', 'hotpatch_result': '-',
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
        'provisioned': False, 'repos_configured': '-', 'kernel_outcome': None, 'kernel_result': '-',
        'sysctl_result': '-', 'hotpatch_result': '-',
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


def test_a_host_that_failed_before_the_report_gathered_every_subset_gets_the_no_facts_row():
    """provision.yml: a host that failed in the sysctl role keeps the subsets its roles gathered, and leaves the
    play before the report gathers the others; one such host must not take the fleet's report down."""
    partial = dict((subset, TOS24_FACTS[subset]) for subset in ('release', 'kernel'))
    variables = provisioned(hostvars(tos24=(partial, None), tos31=(TOS31_FACTS, None)), 'tos24')
    del variables['tos24']['tencentos_sysctl_result'], variables['tos24']['tencentos_hotpatch_result']
    rows = fleet_report_rows(['tos24', 'tos31'], variables)
    assert rows[0]['release'] == 'no facts (unreachable or failed)' and rows[0]['kernel'] == '-'
    assert rows[0]['kernel_result'] == 'staged 4.14.105-19-0020.1, runs after a reboot'
    assert rows[1]['release'] == 'TencentOS 3.1'


def test_a_provisioned_row_says_what_each_role_did():
    rows = fleet_report_rows(['tos24'], provisioned(hostvars(tos24=(TOS24_FACTS, None)), 'tos24'))
    row = rows[0]
    assert row['provisioned'] is True
    assert row['repos_configured'] == 'tlinux'
    assert row['kernel_outcome'] == 'pending_reboot'
    assert row['kernel_result'] == 'staged 4.14.105-19-0020.1, runs after a reboot'
    assert row['sysctl_result'] == 'tke_node: 2 set live, 3 at the next boot, 2 missing'
    assert row['hotpatch_result'] == 'applied livepatch_test_pkg; 1 for another kernel skipped'


def test_a_second_provisioning_run_reports_everything_in_place():
    variables = provisioned(hostvars(tos24=(TOS24_FACTS, None)), 'tos24',
                            tencentos_sysctl_result=dict(TOS24_PROVISIONED['tencentos_sysctl_result'],
                                                         applied=[], pending=[], missing=[]),
                            tencentos_hotpatch_result=dict(TOS24_PROVISIONED['tencentos_hotpatch_result'], outcome='unchanged',
                                                           changed=[], unchanged=['livepatch_test_pkg']))
    row = fleet_report_rows(['tos24'], variables)[0]
    assert row['sysctl_result'] == 'tke_node: in place'
    assert row['hotpatch_result'] == 'in place livepatch_test_pkg; 1 for another kernel skipped'


@pytest.mark.parametrize('result, expected', [
    ({'outcome': 'already', 'target': '6.6.117-45.tl4.x86_64', 'start': '6.6.117-45.tl4.x86_64'},
     'already on 6.6.117-45.tl4.x86_64'),
    ({'outcome': 'moved', 'target': '6.6.117-45.tl4.x86_64', 'start': '6.6.98-40.2.tl4.x86_64'},
     'moved to 6.6.117-45.tl4.x86_64 from 6.6.98-40.2.tl4.x86_64'),
    ({'outcome': 'fell_back', 'target': '5.4.119-19-0010.1', 'start': '5.4.119-19-0009.1'},
     'FELL BACK: 5.4.119-19-0010.1 did not come up, 5.4.119-19-0009.1 runs'),
    # The role's first record: a host that failed before the role recorded its outcome.
    ({'outcome': 'started', 'target': None, 'start': None, 'msg': ''}, 'FAILED before it finished'),
])
def test_the_kernel_column_of_provisioning_tells_each_outcome(result, expected):
    variables = provisioned(hostvars(tos4=(TOS31_FACTS, None)), 'tos4', tencentos_kernel_result=result)
    assert fleet_report_rows(['tos4'], variables)[0]['kernel_result'] == expected


def test_a_rolled_back_hotpatch_run_is_shouted():
    result = dict(TOS24_PROVISIONED['tencentos_hotpatch_result'], outcome='failed', changed=[],
                  failed_patch='livepatch_test_pkg', rolled_back=[])
    variables = provisioned(hostvars(tos24=(TOS24_FACTS, None)), 'tos24', tencentos_hotpatch_result=result)
    assert fleet_report_rows(['tos24'], variables)[0]['hotpatch_result'] == 'FAILED (livepatch_test_pkg), rolled back: nothing'


def test_a_host_without_patches_for_any_kernel_says_none_were_asked_for():
    result = {'kernel': '6.6.98-40.2.tl4.x86_64', 'outcome': 'unchanged', 'changed': [], 'unchanged': [], 'skipped': [],
              'rolled_back': [], 'failed_patch': None, 'msg': ''}
    variables = provisioned(hostvars(tos4=(TOS31_FACTS, None)), 'tos4', tencentos_hotpatch_result=result)
    assert fleet_report_rows(['tos4'], variables)[0]['hotpatch_result'] == 'none asked for'


def test_the_repositories_column_lists_only_the_repos_role_s_file():
    facts = copy.deepcopy(TOS24_FACTS)
    facts['repos']['enabled'].append({'file': '/etc/yum.repos.d/other.repo', 'gpgcheck': True, 'host': 'example.com', 'id': 'epel'})
    facts['repos']['enabled'].append({'file': '/etc/yum.repos.d/tencentos-fleet.repo', 'gpgcheck': True,
                                      'host': '10.0.2.2:18080', 'id': 'tlinux-tkernel4'})
    rows = fleet_report_rows(['tos24', 'tos31'], hostvars(tos24=(facts, None), tos31=(TOS31_FACTS, None)))
    assert rows[0]['repos_configured'] == 'tlinux tlinux-tkernel4'
    assert rows[1]['repos_configured'] == 'none'


def test_without_a_sysctl_profile_variable_the_column_has_only_the_counts():
    variables = provisioned(hostvars(tos24=(TOS24_FACTS, None)), 'tos24')
    del variables['tos24']['tencentos_sysctl_profile']
    assert fleet_report_rows(['tos24'], variables)[0]['sysctl_result'] == '2 set live, 3 at the next boot, 2 missing'


FACTS_VAR = '__tencentos_fleet_facts'


@pytest.mark.parametrize('registered', [
    None,
    {'failed': True, 'msg': 'the module failed'},
    {'unreachable': True, 'msg': 'ssh: connect to host 10.253.1.1 port 22: No route to host'},
    {'skipped': True, 'skip_reason': 'Conditional result was False'},
])
def test_with_the_report_s_facts_variable_a_host_whose_facts_task_did_not_gather_gets_the_no_facts_row(registered):
    """provision.yml: a host that failed in a role keeps every subset the play's first facts call gathered, which no
    longer describe it; it leaves the play before the report's facts task, and the report says it has no facts."""
    variables = provisioned(hostvars(tos24=(TOS24_FACTS, None), tos31=(TOS31_FACTS, None)), 'tos24')
    variables['tos31'][FACTS_VAR] = {'changed': False, 'msg': 'gathered release, kernel, features, virtualization, repos'}
    if registered is not None:
        variables['tos24'][FACTS_VAR] = registered
    rows = fleet_report_rows(['tos24', 'tos31'], variables, facts_var=FACTS_VAR)
    assert rows[0]['release'] == 'no facts (unreachable or failed)' and rows[0]['kernel'] == '-'
    assert rows[0]['kernel_result'] == 'staged 4.14.105-19-0020.1, runs after a reboot'
    assert rows[1]['release'] == 'TencentOS 3.1'
    # Without the option, the facts the host kept make its row.
    assert fleet_report_rows(['tos24'], variables)[0]['release'] == 'TencentOS 2.4'
