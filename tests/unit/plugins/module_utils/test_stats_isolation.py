# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stats isolation on fixture trees laid out as on TK3, TK4 and stock kernels (facts sheet section 5)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.tencentos.fleet.plugins.module_utils import stats_isolation as si

# Containers of the fixture node: flags per controller, and whether blkio.diskstats prints lines.
ISOLATED = {'/kubepods/burstable/pod1/app': ({'memory': 1, 'cpuset': 1, 'cpuacct': 1, 'blkio': 1}, True)}
OPTED_OUT = {'/kubepods/besteffort/pod2/node-exporter': ({'memory': 0, 'cpuset': 0, 'cpuacct': 0, 'blkio': 0}, False)}
MIXED = {'/docker/3f2a': ({'memory': 1, 'cpuset': 0, 'cpuacct': 1, 'blkio': 1}, False)}


def test_host_switch_absent_off_and_on_are_never_confused(kernel_tree, tmpdir):
    root = kernel_tree.tk3('0')
    assert si.support(root)[:2] == (True, 'off')
    tmpdir.join('proc', 'sys', 'kernel', 'stats_isolated').write('1\n')
    assert si.support(root)[:2] == (True, 'on')
    tmpdir.join('proc', 'sys', 'kernel', 'stats_isolated').remove()
    assert si.support(root)[:2] == (False, 'absent')


def test_every_non_root_cgroup_with_flag_files_is_a_container(kernel_tree, tmpdir):
    containers = dict(ISOLATED, **OPTED_OUT)
    containers.update(MIXED)
    root = kernel_tree.tk3('1', containers)
    tmpdir.join('sys', 'fs', 'cgroup', 'memory', 'memory.stats_isolated').write('1\n')
    assert si.list_isolation_cgroups(root) == sorted(containers)


def test_effective_state_is_host_switch_and_flags(kernel_tree):
    containers = dict(ISOLATED, **OPTED_OUT)
    containers.update(MIXED)
    report = si.query(kernel_tree.tk3('1', containers))
    effective = dict((c['cgroup'], c['effective']) for c in report['containers'])
    assert effective == {'/kubepods/burstable/pod1/app': 'on',
                         '/kubepods/besteffort/pod2/node-exporter': 'off',
                         '/docker/3f2a': 'partial'}


def test_flipping_one_flag_changes_the_effective_state(kernel_tree):
    root = kernel_tree.tk3('1', ISOLATED)
    assert si.query(root)['containers'][0]['effective'] == 'on'
    kernel_tree.set_flags('/kubepods/burstable/pod1/app', {'cpuset': 0})
    container = si.query(root)['containers'][0]
    assert container['effective'] == 'partial'
    assert container['flags']['cpuset'] is False


def test_host_switch_off_makes_every_container_off(kernel_tree):
    report = si.query(kernel_tree.tk3('0', ISOLATED))
    assert report['containers'][0]['effective'] == 'off'
    assert report['containers'][0]['flags'] == {'memory': True, 'cpuset': True, 'cpuacct': True, 'blkio': True}


def test_diskstats_setting_is_reported(kernel_tree):
    containers = dict(ISOLATED, **OPTED_OUT)
    report = si.query(kernel_tree.tk3('1', containers))
    diskstats = dict((c['cgroup'], c['diskstats']) for c in report['containers'])
    assert diskstats == {'/kubepods/burstable/pod1/app': True, '/kubepods/besteffort/pod2/node-exporter': False}


# blkio.diskstats (facts sheet section 8): reading it prints the cgroup's own /proc/diskstats lines once
# writing has enabled them, and nothing before. Lines as block/genhd.c diskstats_show prints them: 4.14
# (11 counters) and 5.4 (15: the discard counters added in 4.18) shapes.
DISKSTATS_4_14 = ' 253       0 vda 1 0 8 0 0 0 0 0 0 0 0\n'
DISKSTATS_5_4 = ' 253      16 vdb 1520 12 98321 840 77 30 2144 95 0 903 935 0 0 0 0\n'


@pytest.mark.parametrize('content, enabled', [
    (DISKSTATS_4_14, True),
    (DISKSTATS_4_14 + '   8       0 sda 4 0 32 1 0 0 0 0 0 1 1\n', True),
    (DISKSTATS_5_4, True),
    ('', False),
    ('\n', False),
    # Not diskstats lines: the state is unknown, not guessed (a 0 or 1 here is not a flag).
    ('0\n', None),
    ('1\n', None),
    (DISKSTATS_4_14 + 'garbage\n', None),
    (None, None),
], ids=['4.14-line', 'two-disks', '5.4-line', 'empty', 'blank-line', 'bare-0', 'bare-1', 'line-and-garbage',
        'unreadable'])
def test_diskstats_state_is_whether_the_file_prints_lines(content, enabled):
    assert si.diskstats_enabled(content) is enabled


def test_diskstats_of_a_container_comes_from_its_lines(kernel_tree):
    root = kernel_tree.tk3('1', {'/kubepods/burstable/pod1/app': ({'blkio': 1}, DISKSTATS_4_14),
                                 '/kubepods/besteffort/pod2/node-exporter': ({'blkio': 1}, ''),
                                 '/docker/3f2a': ({'blkio': 1}, '1\n')})
    diskstats = dict((c['cgroup'], c['diskstats']) for c in si.query(root)['containers'])
    assert diskstats == {'/kubepods/burstable/pod1/app': True, '/kubepods/besteffort/pod2/node-exporter': False,
                         '/docker/3f2a': None}


def test_unreadable_controller_is_unknown_and_does_not_count(kernel_tree):
    root = kernel_tree.tk3('1', {'/lxc/web': ({'memory': 1, 'cpuacct': 1}, None)})
    container = si.query(root)['containers'][0]
    assert container['flags'] == {'memory': True, 'cpuset': None, 'cpuacct': True, 'blkio': None}
    assert container['diskstats'] is None
    assert container['effective'] == 'on'


def test_cgroups_option_limits_the_report(kernel_tree):
    containers = dict(ISOLATED, **OPTED_OUT)
    root = kernel_tree.tk3('1', containers)
    report = si.query(root, cgroups=['kubepods/besteffort/pod2/node-exporter'])
    assert [c['cgroup'] for c in report['containers']] == ['/kubepods/besteffort/pod2/node-exporter']


def test_pids_are_reported_by_their_memory_cgroup(kernel_tree, tmpdir):
    root = kernel_tree.tk3('1', dict(ISOLATED, **OPTED_OUT))
    tmpdir.join('proc', '4242', 'cgroup').write(
        '11:cpuset:/kubepods/besteffort/pod2/node-exporter\n'
        '4:memory:/kubepods/besteffort/pod2/node-exporter\n'
        '1:name=systemd:/kubepods/besteffort/pod2/node-exporter\n', ensure=True)
    report = si.query(root, pids=['4242', '999999'])
    assert [c['cgroup'] for c in report['containers']] == ['/kubepods/besteffort/pod2/node-exporter']
    assert report['missing_pids'] == ['999999']


def test_tk4_is_unsupported_and_points_to_cgroupfs(kernel_tree):
    report = si.query(kernel_tree.tk4(cgroupfs_mounted=True))
    assert report['supported'] is False
    assert report['host_switch'] == 'absent'
    assert 'cgroupfs' in report['reason'] and 'tk4' in report['reason']
    assert report['cgroupfs'] == {'available': True, 'mounted_at': '/cgroupfs'}
    assert report['containers'] == []


def test_stock_kernel_is_unsupported_without_cgroupfs_advice(kernel_tree, tmpdir):
    tmpdir.join('proc', 'sys', 'kernel', 'osrelease').write('3.10.0-1160.el7.x86_64\n', ensure=True)
    supported, host_switch, reason = si.support(str(tmpdir))
    assert (supported, host_switch) == (False, 'absent')
    assert 'stock' in reason and 'cgroupfs' not in reason


@pytest.mark.parametrize('host_switch, containers, expect, problems', [
    ('1', ISOLATED, 'on', 0),
    ('1', OPTED_OUT, 'on', 1),
    ('0', ISOLATED, 'on', 2),
    ('0', ISOLATED, 'off', 0),
    ('1', ISOLATED, 'off', 1),
    ('1', OPTED_OUT, 'off', 0),
    ('1', {}, 'off', 1),
    ('0', {}, 'off', 0),
    ('1', {}, 'on', 0),
])
def test_compliance(kernel_tree, host_switch, containers, expect, problems):
    report = si.query(kernel_tree.tk3(host_switch, containers))
    assert len(si.compliance_problems(report, expect)) == problems


def test_compliance_message_names_the_container_and_its_flags(kernel_tree):
    report = si.query(kernel_tree.tk3('1', MIXED))
    assert si.compliance_problems(report, 'on') == ['/docker/3f2a is partial (flags off: cpuset)']


def test_unsupported_kernel_never_complies_with_on(kernel_tree):
    problems = si.compliance_problems(si.query(kernel_tree.tk4()), 'on')
    assert len(problems) == 1 and 'not supported' in problems[0]
