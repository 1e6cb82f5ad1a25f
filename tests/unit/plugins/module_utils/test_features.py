# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kernel features (facts sheet sections 4 and 5) and container detection, on fixture trees."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest

from ansible_collections.tencentos.fleet.plugins.module_utils import features
from ansible_collections.tencentos.fleet.plugins.module_utils import host_facts
from ansible_collections.tencentos.fleet.plugins.module_utils import namespaces

# /proc/mounts of a cgroup v1 "hybrid" host (systemd's layout, as on the test machines).
HYBRID_MOUNTS = (
    'proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n'
    'tmpfs /sys/fs/cgroup tmpfs ro,nosuid,nodev,noexec,mode=755 0 0\n'
    'cgroup2 /sys/fs/cgroup/unified cgroup2 rw,nosuid,nodev,noexec,relatime 0 0\n'
    'cgroup /sys/fs/cgroup/memory cgroup rw,nosuid,nodev,noexec,relatime,memory 0 0\n'
)
V2_MOUNTS = 'cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate 0 0\n'
V1_MOUNTS = 'cgroup /sys/fs/cgroup/cpuset cgroup rw,nosuid,nodev,noexec,relatime,cpuset 0 0\n'
# TK4 with cgroupfs mounted as its docs describe: mount -t cgroupfs cgroupfs /cgroupfs
CGROUPFS_MOUNT = 'cgroupfs /cgroupfs cgroupfs rw,relatime 0 0\n'


def make_tree(tmpdir, files):
    for path, content in files.items():
        tmpdir.join(path).write(content, ensure=True)
    return str(tmpdir)


@pytest.mark.parametrize('content, state', [
    (None, 'absent'),
    ('0\n', 'off'),
    ('1\n', 'on'),
    ('2\n', 'on'),
    ('', 'absent'),
])
def test_stats_isolation_absent_off_and_on_are_never_confused(content, state):
    assert features.stats_isolation_state(content) == state


def test_stats_isolation_read_from_the_kernel_interface(tmpdir):
    root = make_tree(tmpdir, {'proc/sys/kernel/stats_isolated': '1\n'})
    assert features.gather_features(root)['stats_isolation'] == 'on'
    os.remove(os.path.join(root, 'proc/sys/kernel/stats_isolated'))
    assert features.gather_features(root)['stats_isolation'] == 'absent'


@pytest.mark.parametrize('mounts, version', [
    (HYBRID_MOUNTS, 'hybrid'),
    (V2_MOUNTS, 'v2'),
    (V1_MOUNTS, 'v1'),
    ('', 'none'),
])
def test_cgroup_version_from_the_mount_table(mounts, version):
    assert features.cgroup_version(features.parse_mounts(mounts)) == version


def test_cgroupfs_available_and_mounted_on_tk4(tmpdir):
    root = make_tree(tmpdir, {
        'proc/filesystems': 'nodev\tsysfs\nnodev\tcgroup\nnodev\tcgroup2\nnodev\tcgroupfs\n\text4\n',
        'proc/mounts': V2_MOUNTS + CGROUPFS_MOUNT,
    })
    found = features.gather_features(root)
    assert found['cgroupfs'] == {'available': True, 'mounted_at': '/cgroupfs'}


def test_cgroup_and_cgroup2_are_not_cgroupfs(tmpdir):
    root = make_tree(tmpdir, {'proc/filesystems': 'nodev\tcgroup\nnodev\tcgroup2\n', 'proc/mounts': V2_MOUNTS})
    assert features.gather_features(root)['cgroupfs'] == {'available': False, 'mounted_at': None}


def test_livepatch_abi_prefers_the_upstream_interface(tmpdir):
    root = str(tmpdir)
    assert features.livepatch_abi(root) == 'none'
    tmpdir.join('sys', 'kernel', 'kpatch').ensure(dir=True)
    assert features.livepatch_abi(root) == 'kpatch'
    tmpdir.join('sys', 'kernel', 'livepatch').ensure(dir=True)
    assert features.livepatch_abi(root) == 'livepatch'
    assert features.gather_features(root)['kpatch_core'] is True


def test_hot_patches_registered_by_the_kernel_are_reported(tmpdir):
    # A TencentOS x86 kernel has both interfaces (section 4): a patch of each, one of them mid-transition.
    root = make_tree(tmpdir, {
        'sys/kernel/livepatch/livepatch_fix_one/enabled': '1\n',
        'sys/kernel/livepatch/livepatch_fix_one/transition': '1\n',
        'sys/kernel/livepatch/livepatch_fix_one/force': '',
        'sys/kernel/kpatch/kpatch_fix_two/enabled': '1\n',
    })
    tmpdir.join('sys', 'kernel', 'livepatch', 'livepatch_fix_one', 'vmlinux', 'cmdline_proc_show,1').ensure(dir=True)
    assert features.gather_features(root)['hot_patches'] == [
        {'name': 'livepatch_fix_one', 'abi': 'livepatch', 'enabled': True, 'transition': True},
        {'name': 'kpatch_fix_two', 'abi': 'kpatch', 'enabled': True, 'transition': False}]


def test_no_hot_patches_reported_as_an_empty_list(tmpdir):
    tmpdir.join('sys', 'kernel', 'livepatch').ensure(dir=True)
    assert features.gather_features(str(tmpdir))['hot_patches'] == []


def test_kpatch_cli_found_through_which(tmpdir):
    found = features.gather_features(str(tmpdir), which=lambda name: '/usr/sbin/' + name)
    assert found['kpatch_cli'] == '/usr/sbin/kpatch'
    assert features.gather_features(str(tmpdir), which=lambda name: None)['kpatch_cli'] is None


def make_namespaces(tmpdir, own, pid1):
    for pid, links in (('self', own), ('1', pid1)):
        for kind, target in links.items():
            link = tmpdir.join('proc', pid, 'ns', kind)
            link.dirpath().ensure(dir=True)
            os.symlink(target, str(link))


def test_real_host_is_not_a_container_even_with_a_stale_marker(tmpdir):
    initial = {'pid': 'pid:[4026531836]', 'net': 'net:[4026531833]', 'user': 'user:[4026531837]'}
    make_namespaces(tmpdir, initial, initial)
    tmpdir.join('.dockerenv').write('')
    facts = namespaces.gather_virtualization(str(tmpdir))
    assert facts['container'] is False
    assert facts['container_type'] is None
    assert facts['namespaces']['pid'] == {'initial': True, 'differs_from_pid1': False}


def test_podman_container_is_told_by_its_pid_namespace_and_marker(tmpdir):
    own = {'pid': 'pid:[4026532401]', 'net': 'net:[4026532404]', 'user': 'user:[4026532400]'}
    make_namespaces(tmpdir, own, own)
    tmpdir.join('run', '.containerenv').write('engine="podman-4.3.1"\n', ensure=True)
    facts = namespaces.gather_virtualization(str(tmpdir))
    assert facts['container'] is True
    assert facts['container_type'] == 'podman'
    assert facts['namespaces']['pid']['initial'] is False
    assert facts['namespaces']['user']['initial'] is False


def test_network_namespace_differing_from_pid1_is_reported(tmpdir):
    make_namespaces(tmpdir,
                    {'pid': 'pid:[4026531836]', 'net': 'net:[4026532500]'},
                    {'pid': 'pid:[4026531836]', 'net': 'net:[4026531833]'})
    facts = namespaces.namespace_facts(str(tmpdir))
    assert facts['net']['differs_from_pid1'] is True
    assert facts['pid']['differs_from_pid1'] is False


def test_unreadable_namespaces_are_unknown_not_false(tmpdir):
    facts = namespaces.gather_virtualization(str(tmpdir))
    assert facts['namespaces']['pid'] == {'initial': None, 'differs_from_pid1': None}
    assert facts['container'] is False


def test_kubernetes_pod_told_from_pid1_cgroup_when_namespaces_are_unknown(tmpdir):
    tmpdir.join('proc', '1', 'cgroup').write('12:memory:/kubepods/burstable/pod1234/abcd\n', ensure=True)
    facts = namespaces.gather_virtualization(str(tmpdir))
    assert facts['container'] is True
    assert facts['container_type'] == 'kubernetes'


def test_container_variable_of_pid1_names_the_engine(tmpdir):
    tmpdir.join('proc', '1', 'environ').write('PATH=/usr/bin\0container=lxc\0', ensure=True)
    assert namespaces.container_type(str(tmpdir)) == 'lxc'


def test_gather_facts_honours_subsets(tmpdir):
    facts = host_facts.gather_facts(subsets=('features',), root=str(tmpdir))
    assert sorted(facts) == ['features', 'python']
