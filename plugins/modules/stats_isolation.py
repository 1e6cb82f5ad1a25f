#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: stats_isolation
short_description: Check and switch TencentOS container stats isolation (TK3 kernels)
version_added: 1.0.0
description:
  - The TK3 kernel (4.14) of TencentOS Server 2.2/2.4 can show each container its own CPU, memory,
    load, uptime and disk figures in C(/proc), in the kernel, without LXCFS. This module reports
    whether that is on for the node and for each container, switches the node's switch, switches
    a container's own isolation from inside it, and checks compliance.
  - The host switch is C(kernel.stats_isolated). It only changes the running kernel; making it
    survive a reboot is the job of the C(tencentos.fleet.sysctl) role, which calls this module.
  - A container's own switch, C(kernel.container_stats_isolated), is write-only and acts on the
    cgroups of the process that writes it, so it has to be written from inside the container
    (O(container_state)). The module never reads it.
  - Per-container state is read from the cgroup v1 flag files
    C(/sys/fs/cgroup/{memory,cpuset,cpuacct,blkio}/<cgroup>/<controller>.stats_isolated). A container is
    effectively isolated where the host switch is on and its flags are on.
  - C(/sys/fs/cgroup/blkio/<cgroup>/blkio.diskstats) is not a flag. Read, it prints the cgroup's own
    C(/proc/diskstats) lines once they are enabled (writing it enables them). The module reports it from
    whether it has such lines, and never writes it.
  - On kernels without the feature (TK4, TencentOS 4, OpenCloudOS, stock kernels) O(state=query)
    succeeds with RV(supported=false) and names the alternative (cgroupfs on TK4 and later);
    switching anything fails before anything is changed.
author:
  - tencentos.fleet contributors (@tencentos-fleet)
options:
  state:
    description:
      - V(query) reads only.
      - V(enabled) / V(disabled) set the host switch C(kernel.stats_isolated) of the running kernel.
    type: str
    choices: [query, enabled, disabled]
    default: query
  container_state:
    description:
      - Write C(kernel.container_stats_isolated) from inside a container, setting the isolation
        flags of the container's own cgroups. Use it in a task that runs in the container.
      - The result is confirmed through the container's own cgroup flag files where they are
        visible; where they are not, the write is done and reported as changed.
      - Refused, before anything is written, where the task runs on the node itself (its PID namespace is
        the initial one), because there the write would switch the flags of the node's own cgroups, not a
        container's. Where the PID namespace cannot be read, the write is done as asked.
      - Not with O(state=enabled) or O(state=disabled). One task switches either the node (O(state), run on
        the node) or one container (O(container_state), run inside it), never both; such a task is refused
        before anything is written.
    type: str
    choices: [enabled, disabled]
  cgroups:
    description:
      - Report only these cgroups (paths below the controller roots, such as C(/kubepods/burstable/pod1/abc)).
      - Without O(cgroups) and O(pids), every non-root cgroup that carries the flag files is reported.
    type: list
    elements: str
    default: []
  pids:
    description:
      - Report the cgroups of these processes (read from C(/proc/<pid>/cgroup)).
    type: list
    elements: int
    default: []
  expect:
    description:
      - Compliance mode. V(on) fails unless the feature exists, the host switch is on and every
        container reported is fully isolated. V(off) fails if any container reported is isolated
        (or, with no container to report, if the host switch is on).
      - The check runs after any switch this task made.
    type: str
    choices: ['on', 'off']
attributes:
  check_mode:
    description: Predicts the change without writing anything.
    support: full
  diff_mode:
    description: Shows the host switch and the container flags before and after.
    support: full
notes:
  - Runs on target Python 2.7 and 3.6 to 3.13.
  - The feature and its files are described in the collection's C(docs/stats-isolation.md).
'''

EXAMPLES = r'''
- name: Report stats isolation on every node
  tencentos.fleet.stats_isolation:
  register: isolation

- name: Turn stats isolation on for a TK3 node pool (until reboot; the sysctl role persists it)
  tencentos.fleet.stats_isolation:
    state: enabled

- name: Audit - every container of the node must be isolated
  tencentos.fleet.stats_isolation:
    expect: 'on'

- name: Audit one pod's containers by PID
  tencentos.fleet.stats_isolation:
    pids: [4242]
    expect: 'on'

- name: Inside a node-monitoring container - see the host's real figures
  tencentos.fleet.stats_isolation:
    container_state: disabled
'''

RETURN = r'''
supported:
  description: Whether the running kernel has container stats isolation.
  returned: always
  type: bool
  sample: true
reason:
  description: Why the feature is not supported, with the alternative where there is one. Null when supported.
  returned: always
  type: str
  sample: "kernel 5.4.119-19-0009.1 (tk4) has no kernel.stats_isolated: ... cgroupfs ..."
host_switch:
  description: C(absent) (the kernel lacks the switch), C(off) or C(on), after any change.
  returned: always
  type: str
  sample: 'on'
kernel:
  description: The running kernel release and its flavour.
  returned: always
  type: dict
  sample: {release: 4.14.105-19-0020.1, flavour: tk3}
cgroupfs:
  description: Whether the kernel offers the cgroupfs filesystem (the TK4+ alternative) and where it is mounted.
  returned: always
  type: dict
  sample: {available: false, mounted_at: null}
containers:
  description: The cgroups reported, after any change.
  returned: always
  type: list
  elements: dict
  contains:
    cgroup:
      description: The cgroup path.
      type: str
      returned: always
      sample: /kubepods/burstable/pod1/abc
    flags:
      description: Each controller's isolation flag; null where the controller's file cannot be read.
      type: dict
      returned: always
      sample: {memory: true, cpuset: true, cpuacct: true, blkio: false}
    diskstats:
      description:
        - Whether the cgroup's own C(/proc/diskstats) view is enabled - V(true) where C(blkio.diskstats) prints
          diskstats lines, V(false) where it prints nothing.
        - Null where the file cannot be read, or holds something other than diskstats lines.
      type: bool
      returned: always
      sample: true
    effective:
      description: C(on) (host switch on and every readable flag on), C(partial) or C(off).
      type: str
      returned: always
      sample: partial
missing_pids:
  description: Requested PIDs whose cgroups could not be read (the process is gone).
  returned: always
  type: list
  elements: int
  sample: []
container_write:
  description: What O(container_state) did.
  returned: when O(container_state) is set
  type: dict
  contains:
    value:
      description: The value written (or that would be written in check mode) to C(kernel.container_stats_isolated).
      type: int
      returned: always
      sample: 0
    written:
      description: Whether the switch was written.
      type: bool
      returned: always
      sample: true
    cgroup:
      description: The container's own cgroup, as C(/proc/self/cgroup) names it.
      type: str
      returned: always
      sample: /kubepods/besteffort/pod9/def
    confirmed:
      description: Whether the container's flag files show the requested state afterwards; null where they are not visible.
      type: bool
      returned: always
      sample: true
'''

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.tencentos.fleet.plugins.module_utils import stats_isolation as si
from ansible_collections.tencentos.fleet.plugins.module_utils.files import host_path
from ansible_collections.tencentos.fleet.plugins.module_utils.namespaces import namespace_facts

# The directory that stands for / (unit tests point it at a fixture tree).
ROOT = '/'
# Reading the container's flags back after a write: up to 20 reads, 0.1 s apart.
CONFIRM_ATTEMPTS = 20
CONFIRM_INTERVAL = 0.1


def write_value(module, path, value):
    """Write one /proc/sys value; fail with the path and the error."""
    try:
        with open(path, 'w') as handle:
            handle.write('%d\n' % value)
    except (IOError, OSError) as error:
        module.fail_json(msg='could not write %s: %s' % (path, error))


def own_flags(root):
    """The flags of this process's own cgroup, trying the host's view then a namespaced one.

    Inside a container with its own cgroup namespace the container's cgroup is the root of
    /sys/fs/cgroup/<controller>, so its flag files sit there.
    """
    cgroup = si.cgroups_of_pid(root, 'self')
    for candidate in ([cgroup] if cgroup else []) + ['/']:
        flags, _diskstats = si.cgroup_flags(root, candidate)
        if any(value is not None for value in flags.values()):
            return cgroup, flags
    return cgroup, None


def confirm(root, wanted, attempts=CONFIRM_ATTEMPTS):
    """Read this container's flags back until they show ``wanted`` or the attempts run out.

    The TK3 kernel sets the flags within the write itself, so on a real node the first read
    agrees; later reads only serve implementations that apply the write a moment later (the
    test fleet's simulated kernel polls it). Returns the last flags read, or None if not visible.
    """
    flags = None
    for attempt in range(attempts):
        _cgroup, flags = own_flags(root)
        if flags is None or all(flag == wanted for flag in flags.values() if flag is not None):
            break
        if attempt + 1 < attempts:
            time.sleep(CONFIRM_INTERVAL)
    return flags


def switch_container(module, root, wanted):
    """Write kernel.container_stats_isolated for this container unless its flags already agree."""
    value = 1 if wanted == 'enabled' else 0
    cgroup, before = own_flags(root)
    known = [flag for flag in (before or {}).values() if flag is not None]
    already = bool(known) and all(flag == bool(value) for flag in known)
    result = {'value': value, 'cgroup': cgroup, 'written': False, 'confirmed': True if already else None}
    if already:
        return result, False, before, before
    if not module.check_mode:
        write_value(module, host_path(root, si.CONTAINER_SWITCH), value)
        result['written'] = True
        after = confirm(root, bool(value))
        if after is not None:
            result['confirmed'] = all(flag == bool(value) for flag in after.values() if flag is not None)
            if not result['confirmed']:
                module.fail_json(msg='wrote %d to kernel.container_stats_isolated but the flags of cgroup %s are %s'
                                     % (value, cgroup, after), container_write=result)
        else:
            module.warn('kernel.container_stats_isolated was written, but no cgroup flag file of this '
                        'container is visible to confirm it')
        return result, True, before, after
    return result, True, before, None


def contradiction(root, params):
    """Why the options cannot be done together or here, or None; checked before anything is written."""
    if not params['container_state']:
        return None
    if params['state'] != 'query':
        return ('state=%s and container_state=%s: state switches the node (a task on the node), container_state '
                'one container (a task inside it); give one of them' % (params['state'], params['container_state']))
    if namespace_facts(root)['pid'].get('initial'):
        return ('container_state=%s: this task runs on the node itself (the initial PID namespace), where '
                'kernel.container_stats_isolated would switch the flags of the node\'s own cgroups; run it in a task '
                'inside the container, or use state for the node' % params['container_state'])
    return None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type='str', default='query', choices=['query', 'enabled', 'disabled']),
            container_state=dict(type='str', choices=['enabled', 'disabled']),
            cgroups=dict(type='list', elements='str', default=[]),
            pids=dict(type='list', elements='int', default=[]),
            expect=dict(type='str', choices=['on', 'off']),
        ),
        supports_check_mode=True,
    )
    params = module.params
    root = ROOT
    problem = contradiction(root, params)
    if problem:
        module.fail_json(msg=problem + '; nothing was changed')
    supported, host_switch, reason = si.support(root)
    if not supported and (params['state'] != 'query' or params['container_state']):
        wanted = 'state=%s' % params['state'] if params['state'] != 'query' else 'container_state=%s' % params['container_state']
        module.fail_json(msg='%s refused, nothing was changed: %s' % (wanted, reason),
                         supported=False, reason=reason, host_switch=host_switch)

    changed = False
    diff = {'before': '', 'after': ''}
    if params['state'] != 'query':
        wanted = 'on' if params['state'] == 'enabled' else 'off'
        diff['before'] += 'kernel.stats_isolated = %d\n' % (host_switch == 'on')
        diff['after'] += 'kernel.stats_isolated = %d\n' % (wanted == 'on')
        if host_switch != wanted:
            changed = True
            if not module.check_mode:
                write_value(module, host_path(root, si.HOST_SWITCH), 1 if wanted == 'on' else 0)

    container_write = None
    if params['container_state']:
        container_write, container_changed, before, after = switch_container(module, root, params['container_state'])
        changed = changed or container_changed
        if before is not None:
            wanted_flag = params['container_state'] == 'enabled'
            diff['before'] += ''.join('%s %s.stats_isolated = %d\n' % (container_write['cgroup'], name, flag)
                                      for name, flag in sorted(before.items()) if flag is not None)
            diff['after'] += ''.join('%s %s.stats_isolated = %d\n' % (container_write['cgroup'], name, wanted_flag)
                                     for name, flag in sorted(before.items()) if flag is not None)

    report = si.query(root, params['cgroups'], [str(pid) for pid in params['pids']])
    if module.check_mode and params['state'] != 'query' and supported:
        # Nothing was written: report what the switch would make of the containers.
        report['host_switch'] = 'on' if params['state'] == 'enabled' else 'off'
        for container in report['containers']:
            container['effective'] = si.effective_state(report['host_switch'], container['flags'])
    report['missing_pids'] = [int(pid) for pid in report['missing_pids']]

    result = dict(changed=changed, **report)
    if container_write is not None:
        result['container_write'] = container_write
    if module._diff and changed:
        result['diff'] = diff

    if params['expect']:
        problems = si.compliance_problems(report, params['expect'])
        if problems:
            result['msg'] = 'stats isolation is not %s as expected: %s' % (params['expect'], '; '.join(problems))
            module.fail_json(**result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
