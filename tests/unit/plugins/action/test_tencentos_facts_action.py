# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller side of tencentos_facts: facts that merge, gathered once per host per play.

The plugin runs with ansible-core's own Play, Block and Task objects (the play is told by the task's play, as
in a real run), and a stand-in for the host that answers the module the way the module answers for the
simulated tos24. Between tasks the host's facts are stored the way Ansible stores a task's ansible_facts
(VariableManager.set_host_facts: each top-level key replaced), which is what used to drop subsets.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import types

import pytest

from ansible.playbook.block import Block
from ansible.playbook.play import Play
from ansible.playbook.task import Task

from ansible_collections.tencentos.fleet.plugins.action import tencentos_facts as action

# ansible_facts.tencentos of the simulated tos24 (TencentOS 2.4, TK3), as tencentos.fleet.tencentos_facts returned
# it on the simulated fleet (molecule/resources), one entry a subset; only a few keys of each.
TOS24 = {
    'release': {'distribution': 'TencentOS', 'family': 'tencentos', 'version': '2.4', 'pkg_mgr': 'yum',
                'vars_files': ['TencentOS_2.4.yml', 'TencentOS_2.yml', 'default.yml']},
    'kernel': {'release': '4.14.105-19-0013', 'flavour': 'tk3', 'line': 'tk3',
               'boot': {'style': 'legacy', 'default': '4.14.105-19-0013', 'next': None, 'reboot_pending': False}},
    'features': {'stats_isolation': 'off', 'livepatch_abi': 'livepatch', 'hot_patches': []},
    'virtualization': {'container': True, 'container_type': 'podman'},
    'repos': {'managed_file': None, 'enabled': [], 'hosts': [], 'gpgcheck': False},
}
PYTHON = {'version': '3.6.8', 'executable': '/usr/bin/python3'}
# What a run gathers besides what it asks for: the subsets the roles read.
ROLE_SUBSETS = ['release', 'kernel', 'features', 'virtualization']


class Host(object):
    """The host: answers each module run with the requested subsets, numbered by the run that read them,
    and keeps its facts between tasks as Ansible does."""

    def __init__(self):
        self.runs = []
        self.ansible_facts = {}

    def module(self, module_name=None, module_args=None, task_vars=None, **_kwargs):
        self.runs.append(copy.deepcopy(module_args))
        if module_args.get('gather_subset') == ['hardware']:
            return {'failed': True, 'msg': 'value of gather_subset must be one or more of: all, release, kernel, '
                                           'features, virtualization, repos. Got no match for: hardware'}
        subsets = action.requested_subsets(module_args.get('gather_subset'))
        facts = dict((subset, dict(TOS24[subset], read_by_run=len(self.runs))) for subset in subsets)
        facts['python'] = PYTHON
        return {'changed': False, 'ansible_facts': {'tencentos': facts}}

    def task_vars(self):
        return {'ansible_facts': copy.deepcopy(self.ansible_facts), 'inventory_hostname': 'tos24'}

    def store(self, result):
        """What the strategy does with a task's result: VariableManager.set_host_facts updates the top level."""
        if 'ansible_facts' in result and not result.get('failed'):
            self.ansible_facts.update(copy.deepcopy(result['ansible_facts']))


def task_in(play, **args):
    task = Task(block=Block(play=play))
    task.action = 'tencentos.fleet.tencentos_facts'
    task.args = args
    return task


@pytest.fixture
def host():
    return Host()


@pytest.fixture
def run(host, monkeypatch):
    """run(task) -> the plugin's result for the task on the host, stored in the host's facts."""
    monkeypatch.setattr(action.ActionModule, '_execute_module', lambda plugin, **kwargs: host.module(**kwargs))
    monkeypatch.setattr(action.ActionModule, '_remove_tmp_path', lambda plugin, path, **kwargs: None)

    def run_task(task, task_vars=None):
        connection = types.SimpleNamespace(_shell=types.SimpleNamespace(tmpdir=None))
        plugin = action.ActionModule(task, connection, None, None, None, None)
        result = plugin.run(task_vars=host.task_vars() if task_vars is None else task_vars)
        host.store(result)
        return result
    return run_task


def test_the_four_roles_of_one_play_keep_the_release_for_the_repos_handler(host, run):
    """The issue's composition: repos, kernel, sysctl and hotpatch in one play, each with its own facts call;
    the repos role's handler reads the release at the end of the play."""
    play = Play()
    for subsets in (['release', 'kernel'], ['release', 'kernel'], ['kernel', 'features', 'virtualization'],
                    ['kernel', 'features']):
        assert not run(task_in(play, gather_subset=subsets)).get('failed')
    assert host.ansible_facts['tencentos']['release']['pkg_mgr'] == 'yum'
    # One module run: the first call gathers every subset, so that the later roles' calls run none.
    assert [call['gather_subset'] for call in host.runs] == [ROLE_SUBSETS]


def test_a_narrower_later_call_never_removes_a_subset(host, run):
    run(task_in(Play()))
    run(task_in(Play(), gather_subset=['kernel']))
    assert sorted(host.ansible_facts['tencentos']) == ['features', 'gathered', 'kernel', 'python', 'release',
                                                       'repos', 'virtualization']


def test_the_subsets_gathered_now_replace_the_same_subsets_and_the_others_stay(host, run):
    play = Play()
    run(task_in(play, gather_subset=['release', 'kernel']))
    run(task_in(play, gather_subset=['kernel'], refresh=True))
    facts = host.ansible_facts['tencentos']
    assert facts['kernel']['read_by_run'] == 2
    assert facts['release']['read_by_run'] == 1


def test_subsets_gathered_in_the_same_play_are_not_gathered_again(host, run):
    play = Play()
    run(task_in(play, gather_subset=['release', 'kernel']))
    result = run(task_in(play, gather_subset=['kernel']))
    assert len(host.runs) == 1
    assert result['changed'] is False and not result.get('failed')
    assert result['msg'] == 'kernel already gathered in this play, not gathered again (refresh: true gathers them again)'
    assert result['ansible_facts']['tencentos']['kernel']['read_by_run'] == 1


def test_the_first_call_of_a_play_gathers_every_subset_so_that_the_later_calls_run_no_module(host, run):
    play = Play()
    result = run(task_in(play, gather_subset=['release', 'kernel']))
    assert host.runs == [{'gather_subset': ROLE_SUBSETS}]
    assert result['msg'] == 'gathered release, kernel, features, virtualization'
    result = run(task_in(play, gather_subset=['features', 'virtualization']))
    assert len(host.runs) == 1 and result['ansible_facts']['tencentos']['features']['read_by_run'] == 1


def test_a_call_that_asks_for_more_gathers_every_subset_not_gathered_yet_and_no_other(host, run):
    play = Play()
    run(task_in(play, gather_subset=['release', 'kernel']))
    # After a refresh of the kernel, only the kernel counts as gathered in the play.
    run(task_in(play, gather_subset=['kernel'], refresh=True))
    result = run(task_in(play, gather_subset=['kernel', 'features']))
    assert host.runs[2] == {'gather_subset': ['release', 'features', 'virtualization']}
    assert result['msg'] == 'gathered release, features, virtualization; kernel already gathered in this play'
    assert host.ansible_facts['tencentos']['gathered']['subsets'] == ROLE_SUBSETS
    assert host.ansible_facts['tencentos']['kernel']['read_by_run'] == 2


def test_the_record_names_the_play_and_what_it_gathered(host, run):
    play = Play()
    run(task_in(play, gather_subset='kernel,release'))
    assert host.ansible_facts['tencentos']['gathered'] == {'subsets': ROLE_SUBSETS, 'play': play._uuid}
    run(task_in(play, gather_subset=['features'], refresh=True))
    assert host.ansible_facts['tencentos']['gathered'] == {'subsets': ['features'], 'play': play._uuid}


def test_a_new_play_gathers_again(host, run):
    run(task_in(Play(), gather_subset=['kernel']))
    later = Play()
    result = run(task_in(later, gather_subset=['kernel']))
    assert len(host.runs) == 2 and result['msg'] == 'gathered release, kernel, features, virtualization'
    assert host.ansible_facts['tencentos']['gathered'] == {'subsets': ROLE_SUBSETS, 'play': later._uuid}


def test_the_task_a_worker_runs_is_a_copy_of_the_play_s_task_and_of_the_same_play(host, run):
    play = Play()
    run(task_in(play, gather_subset=['kernel']).copy())
    run(task_in(play, gather_subset=['kernel']).copy())
    assert len(host.runs) == 1


def test_refresh_gathers_again_and_is_not_passed_to_the_module(host, run):
    play = Play()
    run(task_in(play, gather_subset=['kernel', 'features']))
    result = run(task_in(play, gather_subset=['features'], refresh=True))
    assert host.runs[1] == {'gather_subset': ['features']}
    assert result['msg'] == 'gathered features'
    assert host.ansible_facts['tencentos']['features']['read_by_run'] == 2


def test_after_a_refresh_the_other_subsets_are_gathered_again_when_asked_for(host, run):
    """After a reboot (roles/kernel/tasks/reboot.yml refreshes the kernel) the features read before it are stale."""
    play = Play()
    run(task_in(play, gather_subset=['kernel', 'features']))
    run(task_in(play, gather_subset=['kernel'], refresh='yes'))
    assert host.runs[1] == {'gather_subset': ['kernel']}
    assert host.ansible_facts['tencentos']['gathered']['subsets'] == ['kernel']
    assert 'features' in host.ansible_facts['tencentos']
    run(task_in(play, gather_subset=['kernel', 'features']))
    assert host.runs[2] == {'gather_subset': ['release', 'features', 'virtualization']}


def test_refresh_must_be_a_boolean(host, run):
    result = run(task_in(Play(), refresh='maybe'))
    assert result['failed'] is True and result['msg'] == "refresh is 'maybe': it must be true or false"
    assert host.runs == []


def test_a_subset_the_module_refuses_reaches_the_module_unchanged_and_nothing_is_merged(host, run):
    run(task_in(Play(), gather_subset=['release']))
    result = run(task_in(Play(), gather_subset=['hardware']))
    assert host.runs[1] == {'gather_subset': ['hardware']}
    assert result['failed'] is True and 'Got no match for: hardware' in result['msg']
    assert host.ansible_facts['tencentos']['release']['read_by_run'] == 1


def test_check_mode_gathers_and_merges_as_a_normal_run(host, run):
    play = Play()
    run(task_in(play, gather_subset=['release']))
    run(task_in(play, gather_subset=['release'], refresh=True))
    task = task_in(play, gather_subset=['release', 'kernel'])
    task.check_mode = True
    result = run(task)
    assert host.runs[2] == {'gather_subset': ['kernel', 'features', 'virtualization']}
    assert sorted(result['ansible_facts']['tencentos']) == ['features', 'gathered', 'kernel', 'python', 'release',
                                                            'virtualization']
    assert result['ansible_facts']['tencentos']['release']['read_by_run'] == 2


def test_a_task_outside_a_play_always_gathers(host, run):
    task = Task()
    task.args = {'gather_subset': ['kernel']}
    run(task)
    run(task)
    assert len(host.runs) == 2
    assert host.ansible_facts['tencentos']['gathered'] == {'subsets': ['kernel'], 'play': None}


def test_delegated_facts_merge_into_the_facts_of_the_host_they_are_stored_for(host, run):
    """With delegate_facts the facts go to the delegated host: it is that host's facts that are kept."""
    play = Play()
    task = task_in(play, gather_subset=['kernel'])
    task.delegate_to, task.delegate_facts = 'tos31', True
    tos31_facts = {'tencentos': {'release': {'distribution': 'TencentOS', 'version': '3.1'},
                                 'gathered': {'subsets': ['release'], 'play': play._uuid}}}
    result = run(task, task_vars=dict(host.task_vars(), hostvars={'tos31': {'ansible_facts': tos31_facts}}))
    assert result['ansible_facts']['tencentos']['release'] == {'distribution': 'TencentOS', 'version': '3.1'}


@pytest.mark.parametrize('gather_subset, expected', [
    (None, ['release', 'kernel', 'features', 'virtualization', 'repos']),
    (['all'], ['release', 'kernel', 'features', 'virtualization', 'repos']),
    (['repos', 'release'], ['release', 'repos']),
    ('kernel, features', ['kernel', 'features']),
    ([], []),
    (['hardware'], None),
    ([1], None),
    ({'kernel': True}, None),
])
def test_requested_subsets_reads_the_option_as_the_module_does(gather_subset, expected):
    assert action.requested_subsets(gather_subset) == expected


def test_delegated_facts_of_a_host_outside_the_inventory_start_empty(host, run):
    """The facts of the host the task runs for are not the delegated host's: none of them is carried over."""
    play = Play()
    run(task_in(play, gather_subset=['release']))
    task = task_in(play, gather_subset=['kernel'])
    task.delegate_to, task.delegate_facts = '10.0.0.9', True
    result = run(task, task_vars=dict(host.task_vars(), hostvars={}))
    assert sorted(result['ansible_facts']['tencentos']) == ['features', 'gathered', 'kernel', 'python', 'release',
                                                            'virtualization']
    assert result['ansible_facts']['tencentos']['release']['read_by_run'] == 2


def test_repos_is_gathered_only_when_asked_so_that_a_call_after_the_repos_role_reads_the_new_repositories(host, run):
    play = Play()
    run(task_in(play, gather_subset=['release', 'kernel']))
    result = run(task_in(play, gather_subset=['repos']))
    assert host.runs[1] == {'gather_subset': ['repos']}
    assert result['msg'] == 'gathered repos'
    assert host.ansible_facts['tencentos']['gathered']['subsets'] == ROLE_SUBSETS + ['repos']
