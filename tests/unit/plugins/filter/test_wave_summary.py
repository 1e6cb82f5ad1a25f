# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a roll-out in waves stands after a wave, and whether Ansible stops it there.

The stop rule is ansible-core's (2.16 and newest alike): the linear strategy compares the failed hosts of
the current wave (the task queue manager forgets earlier waves' failed hosts at each new wave) with the
size of the wave, and the playbook executor ends the play when every host of the wave failed or became
unreachable.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.tencentos.fleet.plugins.filter.wave_summary import FilterModule, wave_summary

KERNEL_FAILING = ['failed', 'fell_back']


def rows(**outcomes):
    return [{'host': host, 'outcome': outcome, 'msg': ''} for host, outcome in sorted(outcomes.items())]


def test_the_filter_is_named_as_the_playbooks_call_it():
    assert FilterModule().filters() == {'wave_summary': wave_summary}


def test_a_wave_with_a_host_that_fell_back_stops_a_roll_out_that_allows_no_failure():
    summary = wave_summary(rows(tos24='moved', tos31='fell_back', tos4='moved', oc9='not_reached'),
                           ['tos4', 'tos31'], ['tos24', 'tos31', 'tos4', 'oc9'], 0, failing=KERNEL_FAILING)
    assert summary['stopped'] is True
    assert summary['last_wave'] == ['tos31', 'tos4']
    assert summary['wave_failed'] == ['tos31'] and summary['wave_unreachable'] == []


def test_a_wave_of_hosts_that_moved_goes_on():
    summary = wave_summary(rows(tos24='moved', tos4='already', oc9='not_reached'), ['tos4'],
                           ['tos24', 'tos4', 'oc9'], 0, failing=KERNEL_FAILING)
    assert summary['stopped'] is False


def test_only_more_than_the_percentage_stops():
    two_of_four = rows(a='failed', b='failed', c='patched', d='unchanged')
    assert wave_summary(two_of_four, ['a', 'b', 'c', 'd'], ['a', 'b', 'c', 'd'], 50)['stopped'] is False
    assert wave_summary(two_of_four, ['a', 'b', 'c', 'd'], ['a', 'b', 'c', 'd'], 49.9)['stopped'] is True


def test_failed_hosts_of_earlier_waves_do_not_count_again():
    """Ansible fails an earlier wave's failed hosts out of the play; the new wave is judged on its own."""
    summary = wave_summary(rows(a='failed', b='patched', c='patched', d='patched'), ['c', 'd'], ['b', 'c', 'd'], 50)
    assert summary['stopped'] is False
    assert summary['rows'][0]['outcome'] == 'failed'


def test_the_failing_outcomes_are_the_playbooks():
    """fell_back fails a host of kernel_upgrade.yml; the default (hotpatch.yml's) is 'failed' only."""
    wave = rows(tos31='fell_back')
    assert wave_summary(wave, ['tos31'], ['tos31'], 0, failing=KERNEL_FAILING)['stopped'] is True
    assert wave_summary(wave, ['tos31'], ['tos31'], 0)['stopped'] is False


def test_a_host_that_left_the_play_without_a_recorded_failure_became_unreachable():
    given = [{'host': 'tos4', 'outcome': 'moved', 'msg': 'running 6.6.117-45.tl4.x86_64'},
             {'host': 'tos24', 'outcome': 'started', 'msg': ''}]
    summary = wave_summary(given, ['tos24', 'tos4'], [], 0, failing=KERNEL_FAILING)
    by_host = dict((row['host'], row) for row in summary['rows'])
    assert by_host['tos4'] == {'host': 'tos4', 'outcome': 'unreachable',
                               'msg': 'Ansible took the unreachable host out of the roll-out; '
                                      'last recorded: moved (running 6.6.117-45.tl4.x86_64)'}
    assert by_host['tos24'] == {'host': 'tos24', 'outcome': 'unreachable',
                                'msg': 'Ansible took the unreachable host out of the roll-out'}
    assert summary['wave_unreachable'] == ['tos24', 'tos4']


def test_a_host_that_left_the_play_after_a_recorded_failure_stays_failed():
    summary = wave_summary(rows(tos31='fell_back', tos4='moved'), ['tos4'], ['tos4'], 0, failing=KERNEL_FAILING)
    assert summary['rows'][0] == {'host': 'tos31', 'outcome': 'fell_back', 'msg': ''}


def test_unreachable_hosts_count_in_the_wave_size_but_not_among_the_failed():
    """As in Ansible: with one failed and one unreachable host of four, 25 % does not stop the roll-out."""
    summary = wave_summary(rows(a='failed', b='started', c='patched', d='patched'), ['a', 'b', 'c', 'd'],
                           ['a', 'c', 'd'], 25)
    assert summary['wave_failed'] == ['a'] and summary['wave_unreachable'] == ['b']
    assert summary['stopped'] is False


def test_a_wave_whose_hosts_all_failed_or_became_unreachable_stops_even_at_100_percent():
    summary = wave_summary(rows(a='failed', b='patched'), ['a', 'b'], ['a'], 100)
    assert summary['stopped'] is True
    assert wave_summary(rows(a='failed', b='patched'), ['a', 'b'], ['a', 'b'], 100)['stopped'] is False


def test_the_input_rows_are_left_as_they_were():
    given = rows(a='moved', b='moved')
    before = copy.deepcopy(given)
    wave_summary(given, ['a', 'b'], ['a'], 0)
    assert given == before


@pytest.mark.parametrize('value, stopped', [(0, True), ('0', True), ('34%', False), (' 33.3 ', True), (100, False)])
def test_the_percentage_is_read_as_ansible_reads_it(value, stopped):
    summary = wave_summary(rows(a='failed', b='patched', c='patched'), ['a', 'b', 'c'], ['a', 'b', 'c'], value)
    assert summary['stopped'] is stopped


@pytest.mark.parametrize('value', [-1, 101, 'ten', True, None])
def test_a_percentage_out_of_0_to_100_is_refused(value):
    with pytest.raises(AnsibleFilterError, match='max_fail_percentage must be a number from 0 to 100'):
        wave_summary(rows(a='patched'), ['a'], ['a'], value)


@pytest.mark.parametrize('given, wave, remaining, message', [
    ([{'host': 'a'}], ['a'], ['a'], 'each a dict with host and outcome'),
    ('a', ['a'], ['a'], 'the input must be a list of rows'),
    (rows(a='patched'), 'a', ['a'], 'wave must be a list of host names, got str'),
    (rows(a='patched'), ['a'], None, 'remaining must be a list of host names, got NoneType'),
])
def test_input_that_is_not_rows_and_host_lists_is_refused(given, wave, remaining, message):
    with pytest.raises(AnsibleFilterError, match=message):
        wave_summary(given, wave, remaining, 0)


def test_the_figures_of_the_whole_roll_out_count_every_outcome_and_name_the_hosts_that_failed_or_left():
    """What the playbooks publish with set_stats: everything but the rows."""
    summary = wave_summary(rows(tos24='moved', tos31='fell_back', tos4='moved', oc9='not_reached', oc8='started'),
                           ['tos4', 'tos31', 'oc8'], ['tos24', 'tos31', 'tos4', 'oc9'], 100, failing=KERNEL_FAILING)
    assert summary['outcomes'] == {'moved': 2, 'fell_back': 1, 'not_reached': 1, 'unreachable': 1}
    assert summary['failed'] == ['tos31'] and summary['unreachable'] == ['oc8']
    assert sorted(summary) == ['failed', 'last_wave', 'outcomes', 'rows', 'stopped', 'unreachable', 'wave_failed',
                               'wave_unreachable']
