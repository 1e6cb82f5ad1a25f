# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""TK3's container stats isolation: the host switch and the per-cgroup flags (facts sheet section 5).

- ``/proc/sys/kernel/stats_isolated``: the host switch, a normal read-write sysctl.
- ``/proc/sys/kernel/container_stats_isolated``: write-only (mode 0222, EACCES even for root on a
  real kernel); a write sets the flags of the *writer's own* cgroups. Never read here.
- ``/sys/fs/cgroup/<controller>/<cgroup>/<controller>.stats_isolated`` for the memory, cpuset,
  cpuacct and blkio controllers (cgroup v1, absent on the root cgroup): the readable per-cgroup
  flags.
- ``/sys/fs/cgroup/blkio/<cgroup>/blkio.diskstats`` is not a 0/1 flag (facts sheet section 8):
  reading it prints the cgroup's own diskstats lines, in /proc/diskstats' shape; writing it
  enables them. Whether the cgroup's diskstats view is on is read from whether it has lines.
- A container is effectively isolated where the host switch is on AND its flags are on.

Pure functions over a ``root`` directory standing for ``/``, as in tencentos.py.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re

from ansible_collections.tencentos.fleet.plugins.module_utils.kernel_release import parse_kernel_release
from ansible_collections.tencentos.fleet.plugins.module_utils.features import (
    cgroupfs_state, parse_mounts, stats_isolation_state)
from ansible_collections.tencentos.fleet.plugins.module_utils.files import host_path, read_text

HOST_SWITCH = '/proc/sys/kernel/stats_isolated'
CONTAINER_SWITCH = '/proc/sys/kernel/container_stats_isolated'
CGROUP_ROOT = '/sys/fs/cgroup'
CONTROLLERS = ('memory', 'cpuset', 'cpuacct', 'blkio')

CGROUPFS_ADVICE = (
    'TK4 and later kernels replace it with the cgroupfs filesystem: mount -t cgroupfs cgroupfs /cgroupfs '
    'and bind-mount /cgroupfs/proc/meminfo, cpuinfo, stat, loadavg, uptime and diskstats into containers')


def flag_file(controller, cgroup):
    """Path of one controller's isolation flag of ``cgroup`` (a path like /kubepods/pod1/abc)."""
    return '%s/%s/%s/%s.stats_isolated' % (CGROUP_ROOT, controller, cgroup.strip('/'), controller)


def diskstats_file(cgroup):
    return '%s/blkio/%s/blkio.diskstats' % (CGROUP_ROOT, cgroup.strip('/'))


# One line of /proc/diskstats (block/genhd.c, diskstats_show): major, minor, device name, then the
# counters (11 on 4.14, more on later kernels), e.g. " 253       0 vda 1 0 8 0 0 0 0 0 0 0 0".
_DISKSTATS_LINE = re.compile(r'^\s*\d+\s+\d+\s+\S+(\s+\d+){4,}\s*$')


def diskstats_enabled(text):
    """Read blkio.diskstats: True when it prints diskstats lines, False when it prints nothing.

    None when it cannot be read, or when it holds something that is not diskstats lines (such as
    a bare 0 or 1): the state is then not known, and is not guessed.
    """
    if text is None:
        return None
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return False
    if all(_DISKSTATS_LINE.match(line) for line in lines):
        return True
    return None


def _flag(text):
    """Read a 0/1 flag file's content: True, False, or None when it cannot be read."""
    if text is None:
        return None
    try:
        return int(text.strip()) != 0
    except ValueError:
        return None


def cgroup_flags(root, cgroup):
    """Return ({controller: True/False/None}, diskstats True/False/None) of one cgroup."""
    flags = dict((controller, _flag(read_text(root, flag_file(controller, cgroup))))
                 for controller in CONTROLLERS)
    return flags, diskstats_enabled(read_text(root, diskstats_file(cgroup)))


def effective_state(host_switch, flags):
    """Tell whether a cgroup's /proc view is isolated: on, off or partial.

    ``partial``: the host switch is on and some of the cgroup's flags are on, others off.
    Flags that cannot be read (the controller is not mounted) do not count.
    """
    known = [value for value in flags.values() if value is not None]
    if host_switch != 'on' or not any(known):
        return 'off'
    return 'on' if all(known) else 'partial'


def list_isolation_cgroups(root):
    """Every non-root cgroup that carries at least one isolation flag file, sorted."""
    found = set()
    for controller in CONTROLLERS:
        top = host_path(root, '%s/%s' % (CGROUP_ROOT, controller))
        name = '%s.stats_isolated' % controller
        for directory, _subdirs, files in os.walk(top):
            if name in files and os.path.normpath(directory) != os.path.normpath(top):
                found.add('/' + os.path.relpath(directory, top).replace(os.sep, '/'))
    return sorted(found)


def parse_proc_cgroup(text):
    """Map controller -> cgroup path from /proc/<pid>/cgroup (v1 lines "4:memory:/path")."""
    paths = {}
    for line in (text or '').splitlines():
        parts = line.split(':', 2)
        if len(parts) != 3:
            continue
        for controller in parts[1].split(','):
            if controller in CONTROLLERS:
                paths[controller] = parts[2]
    return paths


def cgroups_of_pid(root, pid):
    """The isolation-relevant cgroup of a process (its memory cgroup, else any controller's)."""
    paths = parse_proc_cgroup(read_text(root, '/proc/%s/cgroup' % pid))
    for controller in CONTROLLERS:
        if controller in paths:
            return paths[controller]
    return None


def container_report(root, cgroup, host_switch):
    flags, diskstats = cgroup_flags(root, cgroup)
    return {
        'cgroup': cgroup,
        'flags': flags,
        'diskstats': diskstats,
        'effective': effective_state(host_switch, flags),
    }


def support(root='/'):
    """Return (supported, host_switch, reason) for this kernel."""
    host_switch = stats_isolation_state(read_text(root, HOST_SWITCH))
    if host_switch != 'absent':
        return True, host_switch, None
    release = (read_text(root, '/proc/sys/kernel/osrelease') or '').strip()
    kernel = parse_kernel_release(release)
    reason = ('kernel %s (%s) has no kernel.stats_isolated: only the TK3 4.14 kernel of TencentOS '
              'Server 2.2/2.4 has container stats isolation' % (release or 'unknown', kernel['flavour']))
    if kernel['flavour'] in ('tk4', 'tl4', 'opencloudos'):
        reason += '. ' + CGROUPFS_ADVICE
    return False, host_switch, reason


def query(root='/', cgroups=None, pids=None):
    """Everything the stats_isolation module reports, read-only.

    ``cgroups`` (paths) and ``pids`` limit the containers reported; without either, every non-root
    cgroup that carries the flag files is reported.
    """
    supported, host_switch, reason = support(root)
    release = (read_text(root, '/proc/sys/kernel/osrelease') or '').strip()
    selected = []
    missing_pids = []
    for pid in pids or []:
        cgroup = cgroups_of_pid(root, pid)
        if cgroup is None:
            missing_pids.append(pid)
        elif cgroup not in selected:
            selected.append(cgroup)
    for cgroup in cgroups or []:
        cgroup = '/' + cgroup.strip('/')
        if cgroup not in selected:
            selected.append(cgroup)
    if not cgroups and not pids:
        selected = list_isolation_cgroups(root)
    return {
        'supported': supported,
        'reason': reason,
        'host_switch': host_switch,
        'kernel': {'release': release, 'flavour': parse_kernel_release(release)['flavour']},
        'cgroupfs': cgroupfs_state(root, parse_mounts(read_text(root, '/proc/mounts'))),
        'containers': [container_report(root, cgroup, host_switch) for cgroup in selected],
        'missing_pids': missing_pids,
    }


def compliance_problems(report, expect):
    """List why ``report`` does not meet ``expect`` (on/off); empty when it does.

    ``on``: the feature exists, the host switch is on and every container reported is fully
    isolated.  ``off``: no container reported is isolated in any way; with no container to
    report, the host switch itself must be off (every new container would start isolated).
    """
    problems = []
    if expect == 'on':
        if not report['supported']:
            problems.append('stats isolation is not supported: %s' % report['reason'])
        elif report['host_switch'] != 'on':
            problems.append('host switch kernel.stats_isolated is %s' % report['host_switch'])
        for container in report['containers']:
            if container['effective'] != 'on':
                off = sorted(name for name, value in container['flags'].items() if value is False)
                problems.append('%s is %s (flags off: %s)' % (
                    container['cgroup'], container['effective'], ', '.join(off) or 'none'))
    else:
        if not report['containers'] and report['host_switch'] == 'on':
            problems.append('host switch kernel.stats_isolated is on: every new container starts isolated')
        for container in report['containers']:
            if container['effective'] != 'off':
                on = sorted(name for name, value in container['flags'].items() if value)
                problems.append('%s is %s (host switch on, flags on: %s)' % (
                    container['cgroup'], container['effective'], ', '.join(on)))
    return problems
