#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: sysctl_profile
short_description: Set a whole profile of sysctls in one call, persisted in one sysctl.d file and applied live where the namespace holds them
version_added: 1.0.0
description:
  - Takes every key of a profile at once, checks all of them before anything changes, writes them to
    B(one) file of its own in C(/etc/sysctl.d) (atomically, keys in a stable order, a header that says the
    file is managed) and writes to C(/proc/sys) only the values that differ from the running kernel.
  - Values are compared as the kernel prints them, with runs of spaces and tabs as one separator, so
    the C(tcp_rmem) value the kernel prints with tabs equals C("4096 87380 6291456") and a re-run changes nothing.
  - B(Knows namespaces.) In a container, or in a network namespace of its own, it writes live only the keys held
    by a namespace that is not the machine's - C(net.*) in a private network namespace (on TencentOS kernels that
    includes C(tcp_max_orphans), C(tcp_rmem), C(tcp_wmem)), IPC, UTS and user namespace keys in private ones, and
    C(vm.max_map_count) in a private PID namespace while TencentOS' C(kernel.isolate_max_map_count) is 1. A container
    that shares the machine's network (C(--network=host)) writes no C(net.*) key. Every other key would change the
    machine, so it is written to the file only and reported with that reason.
  - Values compare as the kernel reads them - numbers in any base (C(0x1), C(01), C(1)), words whitespace-separated.
  - Gates are written and applied before the keys they gate (C(kernel.isolate_max_map_count) before
    C(vm.max_map_count)).
  - The file is replaced first, then the live values are written. If a live write fails, or the kernel keeps
    another value than the one written, the values written in this run are put back and the file is put back as
    it was; if the file cannot be written, nothing live has changed.
  - Warns about files that systemd-sysctl applies after this one at boot and that set one of its keys to another value.
author:
  - tencentos.fleet contributors (@tencentos-fleet)
options:
  settings:
    description:
      - The profile, sysctl key to value. Keys in dotted form (C(net.ipv4.tcp_rmem)) or with C(/) between the parts
        (C(net/ipv4/conf/eth0.100/rp_filter)) for interface names that contain dots.
      - Values are integers or strings. YAML booleans (unquoted C(yes), C(on), C(true) ...) are refused with a
        message; quote them if the kernel really expects the word.
      - The file holds exactly these keys; a key left out of a later run leaves the file, while its live
        value stays as it is until the next boot.
    type: dict
    required: true
  file:
    description:
      - The file this module owns, in a sysctl.d directory, ending in C(.conf). Nothing else is written.
      - The default sorts after C(99-sysctl.conf) (the link to C(/etc/sysctl.conf)), so its values win at boot.
    type: path
    default: /etc/sysctl.d/99-tencentos-fleet.conf
  missing:
    description:
      - What to do with keys that are not in C(/proc/sys) (the kernel lacks them, a module such as
        C(br_netfilter) is not loaded, or a network namespace does not show a global key).
      - V(fail) lists every missing key in one message before anything changes. V(warn) and V(skip) leave them out of
        the file and the live apply, with or without a warning.
    type: str
    choices: [fail, warn, skip]
    default: fail
  required:
    description:
      - Keys of O(settings) that must be in C(/proc/sys) whatever O(missing) says, such as those a user named
        (a misspelt key is then an error, while a profile's own keys may be left out where a kernel lacks them).
      - One missing is refused before anything changes. Keys that are not in O(settings) are ignored.
    type: list
    elements: str
    default: []
  variable_names:
    description:
      - How refusals name the options O(missing) and O(required), for a role that sets them from variables of its
        own, so that a refusal names the variable the user set (V(missing), V(required) without it).
    type: dict
    default: {}
  bridge_netfilter:
    description:
      - The host is to have the C(br_netfilter) kernel module, which adds the C(net.bridge.*) keys. It is listed
        in O(modules_load_file) so that systemd-modules-load loads it at boot before systemd-sysctl applies the
        file, and loaded now (C(modprobe br_netfilter)) where C(/proc/sys/net/bridge) is missing, before the
        values are applied; the C(net.bridge.*) keys of O(settings) then count as present.
      - Never loaded from a container (a kernel module is loaded into the whole machine); there the
        C(net.bridge.*) keys that are missing are handled as O(missing) says.
    type: bool
    default: false
  modules_load_file:
    description: The modules-load.d file that lists C(br_netfilter), with O(bridge_netfilter).
    type: path
    default: /etc/modules-load.d/tencentos-fleet-br_netfilter.conf
  apply:
    description:
      - V(live) writes differing values to C(/proc/sys) as well as the file. V(persist_only) writes the file only,
        for the next boot.
    type: str
    choices: [live, persist_only]
    default: live
  header:
    description:
      - Comment at the top of the file, one or more lines; C(#) is added where missing. Roles pass C(ansible_managed).
    type: str
    default: Ansible managed by tencentos.fleet.sysctl_profile; local changes are overwritten
  red_lines:
    description:
      - Values refused before anything changes, each with the reason given in the error.
    type: list
    elements: dict
    default: []
    suboptions:
      key:
        description:
          - Dotted key pattern, C(*) matching any text, such as C(net.ipv4.conf.*.rp_filter).
        type: str
        required: true
      value:
        description: The refused value, compared whitespace-normalised.
        type: raw
        required: true
      reason:
        description: Why, in the words of the error message.
        type: str
        required: true
notes:
  - Reads and writes C(/proc/sys) directly; the host needs no C(sysctl) binary.
  - systemd-sysctl applies sysctl.d files by file name at boot. A manual C(sysctl --system) of procps reads
    C(/etc/sysctl.conf) once more after every file; keep keys out of that file.
attributes:
  check_mode:
    description: Reports what would be written to the file and to C(/proc/sys), changing nothing.
    support: full
  diff_mode:
    description: Shows the file and the live values before and after.
    support: full
seealso:
  - module: ansible.posix.sysctl
  - module: tencentos.fleet.stats_isolation
'''

EXAMPLES = r'''
- name: Apply the container-host defaults in one call
  tencentos.fleet.sysctl_profile:
    settings:
      net.core.somaxconn: 4096
      net.ipv4.tcp_rmem: "4096 87380 6291456"
      kernel.isolate_max_map_count: 1
      vm.max_map_count: 262144
    header: "{{ ansible_managed }}"

- name: Persist for the next boot only, skipping keys this kernel lacks
  tencentos.fleet.sysctl_profile:
    settings:
      net.ipv4.tcp_no_delay_ack: 1
    file: /etc/sysctl.d/99-tencentos-fleet-latency.conf
    apply: persist_only
    missing: skip

- name: Never switch reverse path filtering on (VPC-CNI)
  tencentos.fleet.sysctl_profile:
    settings: "{{ my_settings }}"
    red_lines:
      - key: net.ipv4.conf.*.rp_filter
        value: 1
        reason: VPC-CNI needs rp_filter 0
'''

RETURN = r'''
file:
  description: The file this module owns.
  returned: always
  type: str
  sample: /etc/sysctl.d/99-tencentos-fleet.conf
file_changed:
  description: Whether the file was (or, in check mode, would be) rewritten.
  returned: always
  type: bool
confinement:
  description: The container or namespace the module ran in, which limits the live writes; null on a host.
  returned: always
  type: str
  sample: a container (podman, PID namespace not the initial one)
per_key:
  description:
    - Every key of O(settings), by the name it was given.
    - C(before) and C(after) are the live values (null when the key is missing or write-only); C(file_before) and
      C(file) the values in the file; C(live) is V(applied), V(unchanged), V(not_applied) or V(missing), and
      C(reason) says why a key was not applied.
  returned: always
  type: dict
  sample:
    net.core.somaxconn: {before: "4096", after: "8192", file_before: null, file: "8192", live: applied, reason: null}
    vm.swappiness: {before: "60", after: "60", file_before: "10", file: "10", live: not_applied,
                    reason: "global to the kernel: in a container (podman, ...) a write would change ..."}
applied:
  description: Keys written to C(/proc/sys) (in check mode, those that would be).
  returned: always
  type: list
  elements: str
persisted_only:
  description: Keys written to the file but not applied live, because of the namespace or O(apply).
  returned: always
  type: list
  elements: str
missing:
  description: Keys not in C(/proc/sys), left out of the file.
  returned: always
  type: list
  elements: str
pending:
  description:
    - Keys whose live value differs from the file after this run, because they were not applied live. On a host they
      take effect at its next boot; in a container only if whatever starts it applies its C(/etc/sysctl.d).
  returned: always
  type: list
  elements: str
bridge_netfilter:
  description:
    - With O(bridge_netfilter), C(loaded) (this run loaded C(br_netfilter), or in check mode would),
      C(file) (O(modules_load_file)) and C(file_changed); null without it.
  returned: always
  type: dict
  sample: {loaded: true, file: /etc/modules-load.d/tencentos-fleet-br_netfilter.conf, file_changed: true}
overridden_at_boot:
  description: Keys that a file applied after this one at boot sets to another value, with that file and value.
  returned: always
  type: dict
  sample: {vm.swappiness: ["/etc/sysctl.d/99-zz-local.conf: 30"]}
'''

import errno
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.tencentos.fleet.plugins.module_utils import sysctl_settings as ss
from ansible_collections.tencentos.fleet.plugins.module_utils.files import host_path, read_link, read_text, write_atomically
from ansible_collections.tencentos.fleet.plugins.module_utils.namespaces import (
    INITIAL_NAMESPACE_LINKS, gather_virtualization)

# Root of the host's file system; unit tests point it at a fixture tree.
ROOT = '/'


def namespaces_of(root, virtualization):
    """(description of the confinement or None on a host, set of private namespace kinds)."""
    links = dict((kind, read_link(root, '/proc/self/ns/%s' % kind)) for kind in INITIAL_NAMESPACE_LINKS)
    initial_netns_key = host_path(root, os.path.join(ss.PROC_SYS, ss.INITIAL_NETNS_ONLY_KEY))
    netns_differs = bool(virtualization['namespaces'].get('net', {}).get('differs_from_pid1'))
    netns_private = not os.path.exists(initial_netns_key) or netns_differs
    private = ss.private_namespaces(links, netns_private)
    if 'pid' in private or virtualization.get('container'):
        engine = virtualization.get('container_type')
        return 'a container (%sPID namespace not the initial one)' % (
            engine + ', ' if engine and engine != 'unknown' else ''), private
    if 'net' in private:
        return 'a network namespace of its own', private
    return None, private


def read_live(root, key):
    """(exists, value) of a key under /proc/sys; value None when it exists but cannot be read.

    A write-only key (mode 0200 or 0222, such as TK3's container_stats_isolated) counts as
    unreadable by its mode, as the kernel refuses even root a read of it.
    """
    path = host_path(root, ss.proc_path(key))
    if not os.path.isfile(path):
        return False, None
    if not os.stat(path).st_mode & 0o444:
        return True, None
    text = read_text(root, ss.proc_path(key))
    return True, (text.strip() if text is not None else None)


def write_live(root, key, value):
    """Write one value to /proc/sys; raises OSError with the kernel's errno."""
    handle = os.open(host_path(root, ss.proc_path(key)), os.O_WRONLY | os.O_TRUNC)
    try:
        os.write(handle, (ss.value_text(value) + '\n').encode('utf-8'))
    finally:
        os.close(handle)


def apply_live(root, writes):
    """Write ``writes`` [(key, value, before)] in order; on any failure put back what was written.

    Returns (after values by key, None) or (None, message saying what failed and what was put back).
    """
    done = []
    problem = None
    after = {}
    for key, value, before in writes:
        # Put back even a key whose write failed: the kernel stores a list of numbers one by one,
        # so an error on the third leaves the first two written.
        done.append((key, value, before))
        try:
            write_live(root, key, value)
        except (IOError, OSError) as error:
            problem = 'writing %s = %s to /proc/sys failed: %s' % (
                key, ss.value_text(value), os.strerror(error.errno or errno.EIO))
            break
        now = read_live(root, key)[1]
        if now is not None and ss.normalise(now) != ss.normalise(value):
            problem = 'the kernel kept %s = %s after %s was written' % (key, now, ss.value_text(value))
            break
        after[key] = now
    if problem is None:
        return after, None
    not_restored = []
    for key, value, before in reversed(done):
        try:
            write_live(root, key, before)
        except (IOError, OSError) as error:
            not_restored.append('%s (still %s, was %s: %s)' % (
                key, ss.value_text(value), before, os.strerror(error.errno or errno.EIO)))
    if not_restored:
        return None, '%s; putting back failed for %s' % (problem, ', '.join(not_restored))
    if len(done) > 1:
        return None, '%s; the values written before it were put back' % problem
    return None, problem


def write_file(module, root, path, content):
    """Replace our sysctl.d file atomically, mode 0644."""
    write_atomically(host_path(root, path), content, 0o644, module)


def restore_file(module, root, path, before_text):
    """Put the file back as it was before this run; say what happened."""
    try:
        if before_text is None:
            os.remove(host_path(root, path))
        else:
            write_file(module, root, path, before_text)
    except (IOError, OSError) as error:
        return '%s could not be put back: %s' % (path, error)
    return '%s was put back as it was' % path


def listdir(root):
    def names(directory):
        try:
            return os.listdir(host_path(root, directory))
        except (IOError, OSError):
            return []
    return names


def input_problems(params):
    """Every problem with the input, all at once."""
    problems = []
    settings = params['settings']
    directory, name = os.path.split(params['file'])
    if directory not in ss.SYSCTL_D_DIRS or not name.endswith('.conf') or name == '.conf':
        problems.append('file: %s is not read at boot; use a name ending in .conf in one of %s'
                        % (params['file'], ', '.join(ss.SYSCTL_D_DIRS)))
    seen = {}
    for key in sorted(settings):
        try:
            name = ss.canonical_name(key)
        except ValueError as error:
            problems.append('settings: %s' % error)
            continue
        if name in seen:
            problems.append('settings: %s and %s are the same key' % (seen[name], key))
        seen[name] = key
        problem = ss.value_problem(key, settings[key])
        if problem:
            problems.append('settings: ' + problem)
    if not problems:
        problems.extend('settings: ' + p for p in ss.red_line_violations(settings, params['red_lines']))
    return problems


BRIDGE_MODULE = 'br_netfilter'
BRIDGE_KEYS_DIR = 'net/bridge'


def is_bridge_key(key):
    return ss.canonical_name(key).startswith('net.bridge.')


def bridge_keys_shown(root):
    """Whether the kernel shows the net.bridge keys: br_netfilter is loaded (or built in)."""
    return os.path.isdir(host_path(root, os.path.join(ss.PROC_SYS, BRIDGE_KEYS_DIR)))


def plan_keys(root, params, confinement, private, file_before, loading_bridge):
    """Every key's entry, and the keys present, missing and to write live; nothing is changed.

    ``loading_bridge``: br_netfilter is about to be loaded (check mode: would be), so a missing
    net.bridge key counts as present and to be applied.
    """
    settings = params['settings']
    gate = read_live(root, ss.GATES['vm.max_map_count'])[1]
    plan = dict(per_key={}, applied=[], persisted_only=[], missing=[], pending=[], present=[], writes=[])
    for key in ss.order_keys(settings):
        name = ss.canonical_name(key)
        exists, before = read_live(root, key)
        entry = dict(before=before, after=before, file_before=file_before.get(name, (None, None))[1],
                     file=None, live='missing', reason=None)
        plan['per_key'][key] = entry
        if not exists and loading_bridge and is_bridge_key(key):
            entry.update(file=ss.value_text(settings[key]), live='applied', after=ss.value_text(settings[key]),
                         reason='added by br_netfilter, loaded first')
            plan['present'].append(key)
            plan['applied'].append(key)
            continue
        if not exists:
            entry['reason'] = 'not in /proc/sys: the kernel lacks it, a kernel module that adds it is not loaded'
            if confinement and name.startswith('net.'):
                entry['reason'] += ', or it is global and %s does not show it' % confinement
            plan['missing'].append(key)
            continue
        plan['present'].append(key)
        entry['file'] = ss.value_text(settings[key])
        refusal = ss.live_refusal(name, confinement, private, gate)
        if params['apply'] == 'persist_only':
            refusal = 'apply is persist_only: written to the file for the next boot'
        elif refusal is None and before is None:
            refusal = 'write-only: its value cannot be read back to compare, so it is written to the file only'
        if refusal:
            entry.update(live='not_applied', reason=refusal)
            plan['persisted_only'].append(key)
            if before is None or ss.normalise(before) != ss.normalise(settings[key]):
                plan['pending'].append(key)
        elif ss.normalise(before) == ss.normalise(settings[key]):
            entry['live'] = 'unchanged'
        else:
            entry.update(live='applied', after=ss.value_text(settings[key]))
            plan['writes'].append((key, settings[key], before))
            plan['applied'].append(key)
    return plan


def missing_problem(params, missing):
    """Why the missing keys stop the run before any change, or None."""
    names = dict(missing='missing', required='required')
    names.update(params['variable_names'])
    named = [key for key in missing if key in params['required']]
    if named:
        return ('%s names %d key(s) not in /proc/sys: %s (the kernel does not have them whatever %s says: check the '
                'spelling, or load the module that adds them)' % (names['required'], len(named), ', '.join(named),
                                                                  names['missing']))
    if missing and params['missing'] == 'fail':
        return ('%d key(s) not in /proc/sys: %s (set %s=warn or skip to leave them out)'
                % (len(missing), ', '.join(missing), names['missing']))
    return None


def load_bridge_module(module, root):
    """modprobe br_netfilter; None, or why the bridge keys are still not there."""
    modprobe = module.get_bin_path('modprobe', opt_dirs=['/sbin', '/usr/sbin'])
    if not modprobe:
        return 'modprobe not found (package kmod) to load %s for the net.bridge keys' % BRIDGE_MODULE
    rc, out, err = module.run_command([modprobe, BRIDGE_MODULE])
    if rc != 0:
        return 'modprobe %s failed: %s' % (BRIDGE_MODULE, (err or out).strip())
    if not bridge_keys_shown(root):
        return 'modprobe %s succeeded, but %s/%s did not appear' % (BRIDGE_MODULE, ss.PROC_SYS, BRIDGE_KEYS_DIR)
    return None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            settings=dict(type='dict', required=True),
            file=dict(type='path', default=ss.DEFAULT_FILE),
            missing=dict(type='str', choices=['fail', 'warn', 'skip'], default='fail'),
            apply=dict(type='str', choices=['live', 'persist_only'], default='live'),
            header=dict(type='str', default='Ansible managed by tencentos.fleet.sysctl_profile; '
                                            'local changes are overwritten'),
            required=dict(type='list', elements='str', default=[]),
            variable_names=dict(type='dict', default={}),
            bridge_netfilter=dict(type='bool', default=False),
            modules_load_file=dict(type='path', default='/etc/modules-load.d/tencentos-fleet-br_netfilter.conf'),
            red_lines=dict(type='list', elements='dict', default=[], options=dict(
                key=dict(type='str', required=True, no_log=False),
                value=dict(type='raw', required=True),
                reason=dict(type='str', required=True),
            )),
        ),
        supports_check_mode=True,
    )
    params = module.params
    root = ROOT
    settings = params['settings']
    path = params['file']
    result = dict(changed=False, file=path, file_changed=False, confinement=None, per_key={},
                  applied=[], persisted_only=[], missing=[], pending=[], overridden_at_boot={}, bridge_netfilter=None)

    problems = input_problems(params)
    if problems:
        module.fail_json(msg='%s; nothing was changed' % '; '.join(problems), **result)

    virtualization = gather_virtualization(root)
    confinement, private = namespaces_of(root, virtualization)
    result['confinement'] = confinement
    before_text = read_text(root, path)
    file_before = ss.parse_conf(before_text)

    bridge = None
    loading_bridge = False
    if params['bridge_netfilter']:
        modules_load_text = ss.render_conf(params['header'], []) + BRIDGE_MODULE + '\n'
        sets_bridge_keys = not virtualization.get('container') and any(is_bridge_key(key) for key in settings)
        loading_bridge = sets_bridge_keys and not bridge_keys_shown(root)
        bridge = dict(loaded=loading_bridge, file=params['modules_load_file'],
                      file_changed=read_text(root, params['modules_load_file']) != modules_load_text)
        result['bridge_netfilter'] = bridge

    plan = plan_keys(root, params, confinement, private, file_before, loading_bridge)
    problem = missing_problem(params, plan['missing'])
    unchanged = 'nothing was changed'
    if problem is None and loading_bridge and not module.check_mode:
        # Everything else was checked: the module load is the first change. The keys it adds are read again.
        problem = load_bridge_module(module, root)
        if problem is None:
            unchanged = 'nothing was changed but the load of %s' % BRIDGE_MODULE
            plan = plan_keys(root, params, confinement, private, file_before, False)
            problem = missing_problem(params, plan['missing'])
    result.update((name, plan[name]) for name in ('per_key', 'applied', 'persisted_only', 'missing', 'pending'))
    if problem:
        module.fail_json(msg='%s; %s' % (problem, unchanged), **result)
    if result['missing'] and params['missing'] == 'warn':
        module.warn('left out, not in /proc/sys: %s' % ', '.join(result['missing']))
    present, writes = plan['present'], plan['writes']

    after_text = ss.render_conf(params['header'], [(key, settings[key]) for key in present])
    result['file_changed'] = before_text != after_text
    result['changed'] = result['file_changed'] or bool(writes) or bool(bridge and (bridge['loaded'] or bridge['file_changed']))

    key_of = dict((ss.canonical_name(key), key) for key in present)
    wanted = dict((name, settings[key]) for name, key in key_of.items())
    order = ss.boot_order(listdir(root), path)
    parsed = dict((other, ss.parse_conf(read_text(root, other))) for other in order if other != path)
    for name, overrides in ss.overridden_at_boot(order, path, parsed, wanted).items():
        key = key_of[name]
        result['overridden_at_boot'][key] = ['%s: %s' % pair for pair in overrides]
        module.warn('%s = %s is overridden at boot by %s' % (
            key, ss.value_text(settings[key]), ', '.join('%s (%s)' % pair for pair in overrides)))

    if module._diff:
        live_before = ''.join('%s = %s\n' % (key, before) for key, value, before in writes)
        live_after = ''.join('%s = %s\n' % (key, ss.value_text(value)) for key, value, before in writes)
        result['diff'] = [
            dict(before_header=path, after_header=path, before=before_text or '', after=after_text),
            dict(before_header='/proc/sys (live)', after_header='/proc/sys (live)',
                 before=live_before, after=live_after),
        ]
    if module.check_mode or not result['changed']:
        module.exit_json(**result)

    if bridge and bridge['file_changed']:
        try:
            write_atomically(host_path(root, params['modules_load_file']), modules_load_text, 0o644, module)
        except (IOError, OSError) as error:
            module.fail_json(msg='writing %s failed: %s; %s' % (params['modules_load_file'], error, unchanged),
                             **result)

    # The file first: if it cannot be written, nothing live has changed yet. If a live write then
    # fails, the old file comes back with the old values.
    if result['file_changed']:
        try:
            write_file(module, root, path, after_text)
        except (IOError, OSError) as error:
            module.fail_json(msg='writing %s failed: %s; nothing was changed' % (path, error), **result)
    after, problem = apply_live(root, writes)
    if problem:
        if result['file_changed']:
            problem += '; ' + restore_file(module, root, path, before_text)
        module.fail_json(msg=problem, **result)
    for key, value in after.items():
        result['per_key'][key]['after'] = value
    module.exit_json(**result)


if __name__ == '__main__':
    main()
