# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixture trees of kernel interfaces, shared by module_utils and module tests.

A TK3 node (facts sheet section 5): /proc/sys/kernel/stats_isolated (0644) and
container_stats_isolated (0222), and for every non-root cgroup
/sys/fs/cgroup/<controller>/<cgroup>/<controller>.stats_isolated for the memory, cpuset, cpuacct
and blkio controllers, plus blkio.diskstats, which prints the cgroup's diskstats lines once they are
enabled (section 8).  A TK4 node: no switch, cgroupfs in /proc/filesystems.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest

CONTROLLERS = ('memory', 'cpuset', 'cpuacct', 'blkio')

# What a cgroup's blkio.diskstats prints once enabled: /proc/diskstats lines of the cgroup's own I/O, as
# block/genhd.c diskstats_show formats them on 4.14 (major, minor, name, 11 counters); a CVM's virtio disk.
DISKSTATS_LINES = ' 253       0 vda 1 0 8 0 0 0 0 0 0 0 0\n 253       1 vda1 1 0 8 0 0 0 0 0 0 0 0\n'


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
        """Set a cgroup's flag files ({controller: 0/1}) and blkio.diskstats.

        ``diskstats``: True for a file that prints DISKSTATS_LINES, False for one that prints nothing,
        a string for that content, None for no file.
        """
        for controller, value in flags.items():
            directory = self.tmpdir.join('sys', 'fs', 'cgroup', controller, *cgroup.strip('/').split('/'))
            directory.join('%s.stats_isolated' % controller).write('%d\n' % value, ensure=True)
        if diskstats is not None:
            self.tmpdir.join('sys', 'fs', 'cgroup', 'blkio', *cgroup.strip('/').split('/')).join(
                'blkio.diskstats').write(diskstats if isinstance(diskstats, str) else
                                         DISKSTATS_LINES if diskstats else '', ensure=True)

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


# ---------------------------------------------------------------------------
# Boot loader trees: /boot as grub2-mkconfig (EL7) or kernel-install (EL8+) leaves it
# ---------------------------------------------------------------------------

# A machine id, as BLS entry file names start with it (/etc/machine-id).
MACHINE_ID = '4a1f3c0e8b5d4e2f9a7b6c5d4e3f2a1b'


def grubenv_block(lines):
    """A GRUB environment block as grub2-editenv writes it: header, NAME=value lines, '#' to 1024 bytes.

    Written here by hand so that tests of the parser do not depend on its own renderer.
    """
    body = '# GRUB Environment Block\n' + ''.join(line + '\n' for line in lines)
    return body + '#' * (1024 - len(body.encode('utf-8')))


def bls_entry(kernel, title, linux_prefix=''):
    """A BootLoaderSpec entry shaped like the ones kernel-install writes on TencentOS 3 / EL8."""
    return ('title %(title)s\n'
            'version %(kernel)s\n'
            'linux %(prefix)s/vmlinuz-%(kernel)s\n'
            'initrd %(prefix)s/initramfs-%(kernel)s.img $tuned_initrd\n'
            'options $kernelopts $tuned_params\n'
            'id tencentos-20220325104113-%(kernel)s\n'
            'grub_users $grub_users\n'
            'grub_arg --unrestricted\n'
            'grub_class kernel\n') % {'title': title, 'kernel': kernel, 'prefix': linux_prefix}


# Shaped like grub2-mkconfig output on CentOS 7 / TencentOS 2.4 (BIOS: linux16/initrd16,
# GRUB_DEFAULT=saved, GRUB_DISABLE_SUBMENU=true): the 00_header lines that use grubenv, and one
# 10_linux menuentry per kernel. UUIDs are made up.
GRUB_CFG_HEAD = '''#
# DO NOT EDIT THIS FILE
#
# It is automatically generated by grub2-mkconfig using templates
# from /etc/grub.d and settings from /etc/default/grub
#

### BEGIN /etc/grub.d/00_header ###
set pager=1

if [ -s $prefix/grubenv ]; then
  load_env
fi
if [ "${next_entry}" ] ; then
   set default="${next_entry}"
   set next_entry=
   save_env next_entry
   set boot_once=true
else
   set default="${saved_entry}"
fi

if [ x"${feature_menuentry_id}" = xy ]; then
  menuentry_id_option="--id"
else
  menuentry_id_option=""
fi

export menuentry_id_option
### END /etc/grub.d/00_header ###

### BEGIN /etc/grub.d/10_linux ###
'''

GRUB_CFG_ENTRY = (
    "menuentry '%(title)s' --class centos --class gnu-linux --class gnu --class os --unrestricted "
    "$menuentry_id_option 'gnulinux-%(kernel)s-advanced-6c5e0f9a-2b1d-4c3e-9f8a-7d6b5c4a3e2f' {\n"
    '''\tload_video
\tset gfxpayload=keep
\tinsmod gzio
\tinsmod part_msdos
\tinsmod xfs
\tset root='hd0,msdos1'
\tif [ x$feature_platform_search_hint = xy ]; then
\t  search --no-floppy --fs-uuid --set=root --hint='hd0,msdos1'  0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e
\telse
\t  search --no-floppy --fs-uuid --set=root 0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e
\tfi
\tlinux16 %(prefix)s/vmlinuz-%(kernel)s root=/dev/mapper/tl-root ro crashkernel=auto rd.lvm.lv=tl/root rhgb quiet \
LANG=en_US.UTF-8
\tinitrd16 %(prefix)s/initramfs-%(kernel)s.img
}
''')

GRUB_CFG_TAIL = '''### END /etc/grub.d/10_linux ###

### BEGIN /etc/grub.d/40_custom ###
# This file provides an easy way to add custom menu entries.
### END /etc/grub.d/40_custom ###
'''


def legacy_title(kernel):
    return 'TencentOS Linux (%s) 2.4 (Final)' % kernel


def grub_cfg(kernels, prefix=''):
    """A generated grub.cfg listing ``kernels`` in menu order."""
    entries = [GRUB_CFG_ENTRY % {'title': legacy_title(kernel), 'kernel': kernel, 'prefix': prefix}
               for kernel in kernels]
    return GRUB_CFG_HEAD + ''.join(entries) + GRUB_CFG_TAIL


class BootTree:
    """Builds /boot (and /proc/sys/kernel/osrelease) below a temporary directory standing for /.

    The text builders are attributes too, for tests that parse text without a tree.
    """

    machine_id = MACHINE_ID
    grubenv_block = staticmethod(grubenv_block)
    bls_entry = staticmethod(bls_entry)
    grub_cfg = staticmethod(grub_cfg)
    legacy_title = staticmethod(legacy_title)

    @staticmethod
    def bls_id(kernel):
        return '%s-%s' % (MACHINE_ID, kernel)

    def __init__(self, tmpdir):
        self.tmpdir = tmpdir
        self.root = str(tmpdir)

    def path(self, path):
        return self.tmpdir.join(*path.strip('/').split('/'))

    def images(self, kernels):
        """The kernel image and initramfs of each kernel (stand-ins: what matters is that they are not empty)."""
        for kernel in kernels:
            self.path('/boot/vmlinuz-%s' % kernel).write('vmlinuz stand-in', ensure=True)
            self.path('/boot/initramfs-%s.img' % kernel).write('initramfs stand-in', ensure=True)

    def bls(self, kernels, grubenv=None, linux_prefix=''):
        """EL8+: one /boot/loader/entries/<machine-id>-<kernel>.conf per kernel; returns the root."""
        self.images(kernels)
        for kernel in kernels:
            self.path('/boot/loader/entries/%s-%s.conf' % (MACHINE_ID, kernel)).write(
                bls_entry(kernel, 'TencentOS Linux (%s) 3.1 (Final)' % kernel, linux_prefix), ensure=True)
        if grubenv is not None:
            self.grubenv(grubenv)
        return self.root

    def legacy(self, kernels, grubenv=None, prefix=''):
        """EL7: a grub.cfg with one menuentry per kernel, in menu order; returns the root."""
        self.images(kernels)
        self.path('/boot/grub2/grub.cfg').write(grub_cfg(kernels, prefix), ensure=True)
        if grubenv is not None:
            self.grubenv(grubenv)
        return self.root

    def grubenv(self, lines):
        self.path('/boot/grub2/grubenv').write(grubenv_block(lines), ensure=True)

    def read_grubenv(self):
        return self.path('/boot/grub2/grubenv').read_binary().decode('utf-8')

    def running(self, kernel):
        self.path('/proc/sys/kernel/osrelease').write(kernel + '\n', ensure=True)
        return self.root


@pytest.fixture
def boot_tree(tmpdir):
    return BootTree(tmpdir)


def _snapshot(root):
    """Content and mtime of every file below root, and where each symbolic link points."""
    files = {}
    for directory, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(directory, name)
            if os.path.islink(path) and not os.path.exists(path):
                # A link to an absolute host path (a systemd wants link) dangles below root.
                files[path] = (None, None, os.readlink(path))
                continue
            with open(path, 'rb') as handle:
                files[path] = (handle.read(), os.stat(path).st_mtime, os.path.islink(path) and os.readlink(path))
    return files


@pytest.fixture
def snapshot():
    """snapshot(root) -> what a module must leave unchanged below root: compare two of them."""
    return _snapshot
