# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Containers and namespaces: which namespaces a process shares with the host (section 6).

Plain functions over plain values (file contents, strings, a ``root`` directory that stands
for ``/``), so that unit tests run them against fixture trees without Ansible.  Section
numbers refer to the facts sheet ``docs/tencentos-facts.md``.  Importable by target
Pythons 2.7 and 3.6 to 3.13: standard library only.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible_collections.tencentos.fleet.plugins.module_utils.files import host_path, read_link, read_text


# Since Linux 3.8 the initial namespaces have fixed /proc inode numbers (include/linux/proc_ns.h:
# PROC_PID_INIT_INO, PROC_USER_INIT_INO, PROC_IPC_INIT_INO, PROC_UTS_INIT_INO).  The initial network
# namespace has no fixed number, so for it only a comparison with PID 1 is possible.
INITIAL_NAMESPACE_LINKS = {
    'pid': 'pid:[4026531836]',
    'user': 'user:[4026531837]',
    'ipc': 'ipc:[4026531839]',
    'uts': 'uts:[4026531838]',
}

_CGROUP_MARKERS = (
    ('kubepods', 'kubernetes'),
    ('libpod', 'podman'),
    ('docker', 'docker'),
    ('containerd', 'containerd'),
    ('lxc', 'lxc'),
)


def container_type(root='/'):
    """Return which container engine the host runs under, or None on a real host."""
    if os.path.exists(host_path(root, '/run/.containerenv')):
        return 'podman'
    if os.path.exists(host_path(root, '/.dockerenv')):
        return 'docker'
    environ = read_text(root, '/proc/1/environ') or ''
    for variable in environ.split('\0'):
        if variable.startswith('container=') and len(variable) > len('container='):
            return variable[len('container='):]
    cgroups = read_text(root, '/proc/1/cgroup') or ''
    for marker, engine in _CGROUP_MARKERS:
        if marker in cgroups:
            return engine
    return None


def namespace_facts(root='/'):
    """Tell which namespaces are the initial ones and which differ from PID 1's."""
    facts = {}
    for kind in ('pid', 'net', 'user'):
        own = read_link(root, '/proc/self/ns/%s' % kind)
        pid1 = read_link(root, '/proc/1/ns/%s' % kind)
        entry = {'differs_from_pid1': (own != pid1) if (own and pid1) else None}
        if kind in INITIAL_NAMESPACE_LINKS:
            entry['initial'] = (own == INITIAL_NAMESPACE_LINKS[kind]) if own else None
        facts[kind] = entry
    return facts


def gather_virtualization(root='/'):
    """Report whether the host is a container and which namespaces it runs in."""
    engine = container_type(root)
    namespaces = namespace_facts(root)
    # Marker files outlive their purpose (a VM image built in Docker keeps /.dockerenv), and
    # every container engine gives its containers their own PID namespace unless told not
    # to: a marker counts only where the PID namespace cannot be told to be the initial one.
    pid_initial = namespaces['pid'].get('initial')
    in_container = pid_initial is False or (pid_initial is None and engine is not None)
    return {
        'container': in_container,
        'container_type': (engine or 'unknown') if in_container else None,
        'namespaces': namespaces,
    }
