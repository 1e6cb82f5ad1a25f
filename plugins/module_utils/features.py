# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kernel features a host offers: stats isolation, cgroups, hot patch interfaces (sections 4 and 5).

Plain functions over plain values (file contents, strings, a ``root`` directory that stands
for ``/``), so that unit tests run them against fixture trees without Ansible.  Section
numbers refer to the facts sheet ``docs/tencentos-facts.md``.  Importable by target
Pythons 2.7 and 3.6 to 3.13: standard library only.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible_collections.tencentos.fleet.plugins.module_utils.files import host_path, list_dir, read_text


def stats_isolation_state(text):
    """Map the content of /proc/sys/kernel/stats_isolated to absent, off or on.

    ``None`` (file missing: a kernel without the feature) is "absent", never "off".
    """
    if text is None:
        return 'absent'
    value = text.strip()
    if not value:
        return 'absent'
    try:
        return 'on' if int(value) != 0 else 'off'
    except ValueError:
        return 'absent'


def parse_mounts(text):
    """Return (device, mountpoint, fstype) tuples from /proc/mounts text."""
    mounts = []
    for line in (text or '').splitlines():
        fields = line.split()
        if len(fields) >= 3:
            mounts.append((fields[0], fields[1].replace('\\040', ' '), fields[2]))
    return mounts


def filesystem_available(filesystems_text, fstype):
    """Tell whether /proc/filesystems lists ``fstype``."""
    for line in (filesystems_text or '').splitlines():
        fields = line.split()
        if fields and fields[-1] == fstype:
            return True
    return False


def cgroup_version(mounts):
    """Return v1, v2, hybrid or none from the parsed mount table."""
    v1 = any(fstype == 'cgroup' for _dev, _mnt, fstype in mounts)
    v2 = [mnt for _dev, mnt, fstype in mounts if fstype == 'cgroup2']
    if v1 and v2:
        return 'hybrid'
    if v1:
        return 'v1'
    if v2:
        return 'v2'
    return 'none'


def livepatch_abi(root='/'):
    """Return livepatch, kpatch or none: which hot-patch sysfs interface the kernel offers (section 4)."""
    if os.path.isdir(host_path(root, '/sys/kernel/livepatch')):
        return 'livepatch'
    if os.path.isdir(host_path(root, '/sys/kernel/kpatch')):
        return 'kpatch'
    return 'none'


LIVEPATCH_SYSFS = '/sys/kernel/livepatch'
KPATCH_SYSFS = '/sys/kernel/kpatch'


def _sysfs_flag(root, path):
    """Read a 0/1 sysfs attribute: True, False, or None when it is absent or holds something else."""
    value = (read_text(root, path) or '').strip()
    return {'1': True, '0': False}.get(value)


def hot_patch_dirs(root='/'):
    """Return ``(abi, name, directory)`` for every hot patch the kernel has registered (section 4).

    The upstream ABI has one directory a patch below /sys/kernel/livepatch. The kpatch core
    module keeps its patches below /sys/kernel/kpatch/patches (dynup's core) or directly below
    /sys/kernel/kpatch (TencentOS' tkernel fork [3p]); its other entries are not patches, so a
    directory counts only when it has an ``enabled`` attribute.
    """
    found = []
    livepatch = host_path(root, LIVEPATCH_SYSFS)
    for name in sorted(list_dir(livepatch)):
        if os.path.isdir(os.path.join(livepatch, name)):
            found.append(('livepatch', name, LIVEPATCH_SYSFS + '/' + name))
    for base in (KPATCH_SYSFS + '/patches', KPATCH_SYSFS):
        directory = host_path(root, base)
        for name in sorted(list_dir(directory)):
            if os.path.isfile(os.path.join(directory, name, 'enabled')):
                found.append(('kpatch', name, base + '/' + name))
    return found


def read_hot_patch(root, abi, name, directory):
    """One registered patch: its name, ABI, ``enabled`` and ``transition`` (section 4).

    kpatch core patches switch under stop_machine and have no ``transition``: False for them.
    A patch whose directory vanished while it was read (a disabled patch is freed since 5.1)
    reads as None.
    """
    enabled = _sysfs_flag(root, directory + '/enabled')
    if enabled is None and not os.path.isdir(host_path(root, directory)):
        return None
    transition = _sysfs_flag(root, directory + '/transition')
    return {'name': name, 'abi': abi, 'enabled': bool(enabled), 'transition': bool(transition)}


def read_hot_patches(root='/'):
    """Every hot patch the kernel has registered, upstream ABI first, each ABI's in name order.

    See :func:`hot_patch_dirs` and :func:`read_hot_patch`.
    """
    patches = [read_hot_patch(root, abi, name, directory) for abi, name, directory in hot_patch_dirs(root)]
    return [patch for patch in patches if patch is not None]


def cgroupfs_state(root, mounts):
    """Whether the kernel offers TK4's cgroupfs filesystem (section 5) and where it is mounted."""
    mounted = [mnt for _dev, mnt, fstype in mounts if fstype == 'cgroupfs']
    return {
        'available': filesystem_available(read_text(root, '/proc/filesystems'), 'cgroupfs'),
        'mounted_at': mounted[0] if mounted else None,
    }


def gather_features(root='/', which=None):
    """Report stats isolation, cgroupfs, hot-patch ABI, kpatch CLI, hot patches and cgroup version.

    ``which`` finds an executable by name (returns a path or None).
    """
    mounts = parse_mounts(read_text(root, '/proc/mounts'))
    return {
        'stats_isolation': stats_isolation_state(read_text(root, '/proc/sys/kernel/stats_isolated')),
        'cgroupfs': cgroupfs_state(root, mounts),
        'livepatch_abi': livepatch_abi(root),
        'kpatch_core': os.path.isdir(host_path(root, '/sys/kernel/kpatch')),
        'kpatch_cli': which('kpatch') if which else None,
        'hot_patches': read_hot_patches(root),
        'cgroup_version': cgroup_version(mounts),
    }
