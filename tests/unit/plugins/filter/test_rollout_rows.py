# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rows of the two roll-out summaries, from the facts the kernel and hotpatch roles leave on each host."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.tencentos.fleet.plugins.filter import hotpatch_rows as hotpatch_filter
from ansible_collections.tencentos.fleet.plugins.filter import kernel_upgrade_rows as kernel_filter
from ansible_collections.tencentos.fleet.plugins.filter.hotpatch_rows import hotpatch_rows
from ansible_collections.tencentos.fleet.plugins.filter.kernel_upgrade_rows import kernel_upgrade_rows

# tencentos_kernel_result as roles/kernel leaves it (tasks/main.yml, tasks/fell_back.yml), values from the
# simulated fleet's roll-out (tests/fleet/test_kernel_upgrade.py).
MOVED = {'outcome': 'moved', 'start': '4.14.105-19-0013', 'target': '4.14.105-19-0020.1',
         'msg': 'running 4.14.105-19-0020.1; no reboot required\n'}
FELL_BACK = {'outcome': 'fell_back', 'start': '5.4.119-19-0009.1', 'target': '5.4.119-19-0010.1',
             'msg': 'kernel 5.4.119-19-0010.1 did not come up: after the reboot the host runs 5.4.119-19-0009.1'}
# What roles/kernel/tasks/preview.yml records before its first step.
STARTED = {'outcome': 'started', 'target': None, 'start': None, 'msg': ''}

# tencentos_hotpatch_result as roles/hotpatch leaves it (tasks/main.yml, tasks/rollback.yml), from the
# simulated fleet's roll-out (tests/fleet/test_hotpatch.py).
PATCHED = {'kernel': '4.14.105-19-0013', 'outcome': 'patched', 'changed': ['livepatch_test_url'], 'unchanged': [],
           'skipped': [{'name': 'livepatch_test_url', 'kernel': '5.4.119-19-0009.1',
                        'reason': 'livepatch_test_url: built for 5.4.119-19-0009.1, the host runs 4.14.105-19-0013'}],
           'rolled_back': [], 'failed_patch': None,
           'msg': 'kernel 4.14.105-19-0013: 1 patch(es) changed (livepatch_test_url), 1 skipped'}
ROLLED_BACK = {'kernel': '5.4.119-19-0009.1', 'outcome': 'failed', 'changed': [], 'unchanged': [], 'skipped': [],
               'rolled_back': ['livepatch_earlier'], 'failed_patch': 'livepatch_test_url',
               'msg': 'Load: the transition to patched did not complete in 3 s; rolled back: livepatch_earlier '}


def variables(**results):
    return dict((host, {'inventory_hostname': host, name: result} if result else {'inventory_hostname': host})
                for host, (name, result) in results.items())


def kernel(result):
    return ('tencentos_kernel_result', result)


def hotpatch(result):
    return ('tencentos_hotpatch_result', result)


def test_the_filters_are_named_as_the_playbooks_call_them():
    assert kernel_filter.FilterModule().filters() == {'kernel_upgrade_rows': kernel_upgrade_rows}
    assert hotpatch_filter.FilterModule().filters() == {'hotpatch_rows': hotpatch_rows}


def test_kernel_rows_say_where_each_host_went_sorted_by_host():
    hostvars = variables(tos24=kernel(MOVED), tos31=kernel(FELL_BACK), oc9=kernel(None))
    rows = kernel_upgrade_rows(['tos31', 'tos24', 'oc9'], hostvars)
    assert rows == [
        {'host': 'oc9', 'outcome': 'not_reached', 'from': '-', 'to': '-', 'msg': ''},
        {'host': 'tos24', 'outcome': 'moved', 'from': '4.14.105-19-0013', 'to': '4.14.105-19-0020.1',
         'msg': 'running 4.14.105-19-0020.1; no reboot required'},
        {'host': 'tos31', 'outcome': 'fell_back', 'from': '5.4.119-19-0009.1', 'to': '5.4.119-19-0010.1',
         'msg': FELL_BACK['msg']},
    ]


def test_a_kernel_switch_that_recorded_no_outcome_stays_started():
    """The wave summary decides what a host still at 'started' is, from whether it is still in the play."""
    row = kernel_upgrade_rows(['tos4'], variables(tos4=kernel(STARTED)))[0]
    assert row == {'host': 'tos4', 'outcome': 'started', 'from': '-', 'to': '-', 'msg': ''}


def test_hotpatch_rows_name_the_changed_skipped_and_rolled_back_patches():
    hostvars = variables(tos24=hotpatch(PATCHED), tos31=hotpatch(ROLLED_BACK), oc9=hotpatch(None))
    rows = hotpatch_rows(['tos31', 'tos24', 'oc9'], hostvars)
    assert rows == [
        {'host': 'oc9', 'kernel': '-', 'outcome': 'not_reached', 'changed': [], 'skipped': [], 'rolled_back': [],
         'msg': ''},
        {'host': 'tos24', 'kernel': '4.14.105-19-0013', 'outcome': 'patched', 'changed': ['livepatch_test_url'],
         'skipped': ['livepatch_test_url for 5.4.119-19-0009.1'], 'rolled_back': [], 'msg': PATCHED['msg']},
        {'host': 'tos31', 'kernel': '5.4.119-19-0009.1', 'outcome': 'failed', 'changed': [], 'skipped': [],
         'rolled_back': ['livepatch_earlier'], 'msg': ROLLED_BACK['msg'].strip()},
    ]


def test_a_failure_recorded_by_the_playbook_alone_is_a_row_too():
    """hotpatch.yml's rescue records only outcome and msg when the role failed before its own record."""
    row = hotpatch_rows(['tos4'], variables(tos4=hotpatch({'outcome': 'failed', 'msg': 'the hotpatch role failed'})))[0]
    assert row == {'host': 'tos4', 'kernel': '-', 'outcome': 'failed', 'changed': [], 'skipped': [], 'rolled_back': [],
                   'msg': 'the hotpatch role failed'}


def test_a_host_missing_from_hostvars_is_not_reached():
    assert kernel_upgrade_rows(['ghost'], {})[0]['outcome'] == 'not_reached'
    assert hotpatch_rows(['ghost'], {})[0]['outcome'] == 'not_reached'


@pytest.mark.parametrize('rows_filter', [kernel_upgrade_rows, hotpatch_rows])
@pytest.mark.parametrize('hosts, hostvars, message', [
    ('tos24', {}, 'the input must be a list of host names'),
    (['tos24'], 'tos24', 'hostvars must be the hostvars mapping, got str'),
])
def test_input_that_is_not_hosts_and_hostvars_is_refused(rows_filter, hosts, hostvars, message):
    with pytest.raises(AnsibleFilterError, match=message):
        rows_filter(hosts, hostvars)
