# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The stats_isolation module on fixture trees of TK3 and TK4 nodes."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest

from ansible_collections.tencentos.fleet.plugins.modules import stats_isolation

APP = '/kubepods/burstable/pod1/app'
ALL_ON = {'memory': 1, 'cpuset': 1, 'cpuacct': 1, 'blkio': 1}
ALL_OFF = {'memory': 0, 'cpuset': 0, 'cpuacct': 0, 'blkio': 0}


@pytest.fixture
def node(kernel_tree, monkeypatch):
    """A TK3 node with one isolated container; the module reads and writes below it."""
    kernel_tree.tk3('0', {APP: (ALL_ON, False)})
    monkeypatch.setattr(stats_isolation, 'ROOT', kernel_tree.root)
    return kernel_tree


def host_switch(node):
    return node.tmpdir.join('proc', 'sys', 'kernel', 'stats_isolated').read().strip()


def test_query_reports_and_writes_nothing(node, run_module, snapshot):
    before = snapshot(node.root)
    failed, result = run_module(stats_isolation, {})
    assert not failed and result['changed'] is False
    assert result['supported'] is True and result['host_switch'] == 'off'
    assert result['kernel'] == {'release': '4.14.105-19-0020.1', 'flavour': 'tk3'}
    assert result['containers'] == [{'cgroup': APP, 'diskstats': False, 'effective': 'off',
                                     'flags': {'memory': True, 'cpuset': True, 'cpuacct': True, 'blkio': True}}]
    assert snapshot(node.root) == before


def test_enable_then_enable_again(node, run_module):
    failed, result = run_module(stats_isolation, {'state': 'enabled'})
    assert not failed and result['changed'] is True
    assert host_switch(node) == '1'
    assert result['host_switch'] == 'on' and result['containers'][0]['effective'] == 'on'
    failed, result = run_module(stats_isolation, {'state': 'enabled'})
    assert not failed and result['changed'] is False


def test_disable(node, run_module):
    node.tmpdir.join('proc', 'sys', 'kernel', 'stats_isolated').write('1\n')
    failed, result = run_module(stats_isolation, {'state': 'disabled'})
    assert not failed and result['changed'] is True
    assert host_switch(node) == '0'


def test_check_mode_predicts_and_writes_nothing(node, run_module, snapshot):
    before = snapshot(node.root)
    failed, result = run_module(stats_isolation, {'state': 'enabled', '_ansible_check_mode': True,
                                                  '_ansible_diff': True})
    assert not failed and result['changed'] is True
    assert result['host_switch'] == 'on' and result['containers'][0]['effective'] == 'on'
    assert result['diff'] == {'before': 'kernel.stats_isolated = 0\n', 'after': 'kernel.stats_isolated = 1\n'}
    assert snapshot(node.root) == before


def test_enabled_on_tk4_fails_before_touching_anything(kernel_tree, monkeypatch, run_module, snapshot):
    root = kernel_tree.tk4()
    monkeypatch.setattr(stats_isolation, 'ROOT', root)
    before = snapshot(root)
    failed, result = run_module(stats_isolation, {'state': 'enabled'})
    assert failed
    assert 'state=enabled refused, nothing was changed' in result['msg'] and 'cgroupfs' in result['msg']
    assert snapshot(root) == before


def test_query_on_tk4_succeeds_unsupported(kernel_tree, monkeypatch, run_module):
    monkeypatch.setattr(stats_isolation, 'ROOT', kernel_tree.tk4(cgroupfs_mounted=True))
    failed, result = run_module(stats_isolation, {})
    assert not failed
    assert (result['supported'], result['host_switch']) == (False, 'absent')
    assert result['cgroupfs'] == {'available': True, 'mounted_at': '/cgroupfs'}


def test_expect_on_fails_with_the_reason(node, run_module):
    failed, result = run_module(stats_isolation, {'expect': 'on'})
    assert failed
    assert result['msg'] == ('stats isolation is not on as expected: host switch kernel.stats_isolated is off; '
                             '%s is off (flags off: none)' % APP)


def test_expect_is_checked_after_the_switch(node, run_module):
    failed, _result = run_module(stats_isolation, {'state': 'enabled', 'expect': 'on'})
    assert not failed


def test_expect_off_fails_when_a_container_is_isolated(node, run_module):
    node.tmpdir.join('proc', 'sys', 'kernel', 'stats_isolated').write('1\n')
    failed, result = run_module(stats_isolation, {'expect': 'off'})
    assert failed and APP in result['msg']


class KernelStandIn:
    """Plays the kernel for container_stats_isolated: records writes, refuses reads, and (if told
    to) sets the writer's cgroup flags as the TK3 kernel does."""

    def __init__(self, node, monkeypatch, applies=True):
        self.node = node
        self.writes = []
        self.applies = applies
        switch = os.path.join(node.root, 'proc/sys/kernel/container_stats_isolated')
        real_open = open

        def guarded_open(path, mode='r', *args, **kwargs):
            if os.path.abspath(str(path)) == switch:
                if 'w' not in mode:
                    raise AssertionError('container_stats_isolated was opened for reading')
                return Recorder(self)
            return real_open(path, mode, *args, **kwargs)
        try:
            import builtins
        except ImportError:  # Python 2
            import __builtin__ as builtins
        monkeypatch.setattr(builtins, 'open', guarded_open)

    def written(self, value):
        self.writes.append(value)
        if self.applies:
            flag = int(value.strip())
            self.node.set_flags(APP, dict((name, flag) for name in ALL_ON))


class Recorder:
    def __init__(self, kernel):
        self.kernel = kernel

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def write(self, value):
        self.kernel.written(value)


@pytest.fixture
def inside_app(node):
    """The module runs inside the container APP (its /proc/self/cgroup)."""
    node.tmpdir.join('proc', 'self', 'cgroup').write('4:memory:%s\n5:cpuset:%s\n' % (APP, APP), ensure=True)
    return node


def test_query_and_the_host_switch_never_open_the_container_switch(node, monkeypatch, run_module):
    kernel = KernelStandIn(node, monkeypatch)
    assert run_module(stats_isolation, {})[0] is False
    assert run_module(stats_isolation, {'state': 'enabled', 'expect': 'on'})[0] is False
    assert kernel.writes == []


def test_container_opt_out_writes_the_switch_and_confirms(inside_app, monkeypatch, run_module):
    kernel = KernelStandIn(inside_app, monkeypatch)
    failed, result = run_module(stats_isolation, {'container_state': 'disabled'})
    assert not failed and result['changed'] is True
    assert kernel.writes == ['0\n']
    assert result['container_write'] == {'value': 0, 'cgroup': APP, 'written': True, 'confirmed': True}


def test_container_already_in_state_is_not_written(inside_app, monkeypatch, run_module):
    kernel = KernelStandIn(inside_app, monkeypatch)
    failed, result = run_module(stats_isolation, {'container_state': 'enabled'})
    assert not failed and result['changed'] is False
    assert kernel.writes == []


def test_container_write_not_taken_by_the_kernel_fails(inside_app, monkeypatch, run_module):
    monkeypatch.setattr(stats_isolation, 'CONFIRM_INTERVAL', 0)
    kernel = KernelStandIn(inside_app, monkeypatch, applies=False)
    failed, result = run_module(stats_isolation, {'container_state': 'disabled'})
    assert failed and 'but the flags of cgroup %s' % APP in result['msg']
    assert kernel.writes == ['0\n']


def test_container_check_mode_writes_nothing(inside_app, monkeypatch, run_module):
    kernel = KernelStandIn(inside_app, monkeypatch)
    failed, result = run_module(stats_isolation, {'container_state': 'disabled', '_ansible_check_mode': True})
    assert not failed and result['changed'] is True
    assert kernel.writes == []


def test_container_without_visible_flags_writes_and_warns(node, monkeypatch, run_module):
    node.tmpdir.join('proc', 'self', 'cgroup').write('4:memory:/elsewhere\n', ensure=True)
    node.tmpdir.join('sys', 'fs', 'cgroup').remove()
    kernel = KernelStandIn(node, monkeypatch, applies=False)
    failed, result = run_module(stats_isolation, {'container_state': 'disabled'})
    assert not failed and result['changed'] is True
    assert kernel.writes == ['0\n']
    assert result['container_write']['confirmed'] is None


@pytest.mark.parametrize('state', ['enabled', 'disabled'])
def test_the_node_switch_and_a_container_switch_in_one_task_are_refused(inside_app, monkeypatch, run_module, state):
    kernel = KernelStandIn(inside_app, monkeypatch)
    switch_before = host_switch(inside_app)
    failed, result = run_module(stats_isolation, {'state': state, 'container_state': 'disabled'})
    assert failed and host_switch(inside_app) == switch_before
    assert result['msg'] == ('state=%s and container_state=disabled: state switches the node (a task on the node), '
                             'container_state one container (a task inside it); give one of them; nothing was changed'
                             % state)
    assert kernel.writes == []


def test_a_container_switch_run_on_the_node_itself_is_refused(inside_app, monkeypatch, run_module):
    # The initial PID namespace's fixed inode (include/linux/proc_ns.h): this process is the node's, not a container's.
    inside_app.tmpdir.join('proc', 'self', 'ns').ensure(dir=True)
    os.symlink('pid:[4026531836]', str(inside_app.tmpdir.join('proc', 'self', 'ns', 'pid')))
    kernel = KernelStandIn(inside_app, monkeypatch)
    failed, result = run_module(stats_isolation, {'container_state': 'enabled'})
    assert failed and result['msg'].startswith('container_state=enabled: this task runs on the node itself')
    assert result['msg'].endswith('; nothing was changed')
    assert kernel.writes == []
