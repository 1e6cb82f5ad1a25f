# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixture trees of kernel interfaces, shared by module_utils and module tests.

A TK3 node (facts sheet section 5): /proc/sys/kernel/stats_isolated (0644) and
container_stats_isolated (0222), and for every non-root cgroup
/sys/fs/cgroup/<controller>/<cgroup>/<controller>.stats_isolated for the memory, cpuset, cpuacct
and blkio controllers, plus blkio.diskstats.  A TK4 node: no switch, cgroupfs in /proc/filesystems.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

CONTROLLERS = ('memory', 'cpuset', 'cpuacct', 'blkio')


class KernelTree:
    """Builds kernel interface files below a temporary directory standing for /."""

    def __init__(self, tmpdir):
        self.tmpdir = tmpdir
        self.root = str(tmpdir)

    def tk3(self, host_switch='0', containers=None, osrelease='4.14.105-19-0020.1'):
        """Lay out a TK3 node and return its root."""
        tmpdir = self.tmpdir
        kernel = tmpdir.join('proc', 'sys', 'kernel')
        kernel.join('osrelease').write(osrelease + '\n', ensure=True)
        kernel.join('stats_isolated').write(host_switch + '\n')
        kernel.join('container_stats_isolated').write('')
        kernel.join('container_stats_isolated').chmod(0o222)
        tmpdir.join('proc', 'filesystems').write('nodev\tcgroup\nnodev\tproc\n')
        tmpdir.join('proc', 'mounts').write('cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0\n')
        for controller in CONTROLLERS:
            # The root cgroup has no flag file on the real kernel.
            tmpdir.join('sys', 'fs', 'cgroup', controller, 'cgroup.procs').write('1\n', ensure=True)
        for cgroup, (flags, diskstats) in (containers or {}).items():
            self.set_flags(cgroup, flags, diskstats)
        return self.root

    def set_flags(self, cgroup, flags, diskstats=None):
        """Set a cgroup's flag files ({controller: 0/1}) and blkio.diskstats."""
        for controller, value in flags.items():
            directory = self.tmpdir.join('sys', 'fs', 'cgroup', controller, *cgroup.strip('/').split('/'))
            directory.join('%s.stats_isolated' % controller).write('%d\n' % value, ensure=True)
        if diskstats is not None:
            self.tmpdir.join('sys', 'fs', 'cgroup', 'blkio', *cgroup.strip('/').split('/')).join(
                'blkio.diskstats').write('%d\n' % diskstats, ensure=True)

    def tk4(self, cgroupfs_mounted=False):
        """Lay out a TK4 node (no stats isolation, cgroupfs available) and return its root."""
        tmpdir = self.tmpdir
        tmpdir.join('proc', 'sys', 'kernel', 'osrelease').write('5.4.119-19-0009.1\n', ensure=True)
        tmpdir.join('proc', 'filesystems').write('nodev\tcgroup\nnodev\tcgroup2\nnodev\tcgroupfs\n')
        tmpdir.join('proc', 'mounts').write('cgroupfs /cgroupfs cgroupfs rw 0 0\n' if cgroupfs_mounted else '')
        return self.root


@pytest.fixture
def kernel_tree(tmpdir):
    return KernelTree(tmpdir)
