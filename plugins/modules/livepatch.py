#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: livepatch
short_description: Load, persist, disable and remove kernel hot patches (livepatch / kpatch modules)
version_added: 1.0.0
description:
  - Moves one kernel hot patch module to the state asked for, safely, and reports every hot patch the
    running kernel has registered.
  - Before anything is loaded, the module's C(vermagic) (read with C(modinfo)) must name the running
    kernel (C(/proc/sys/kernel/osrelease), what C(uname -r) prints) and its module name must be O(name).
  - The patch module's format is read from its own C(modinfo) fields. A B(kpatch-format) patch (its
    C(depends) lists C(kpatch)) registers with the kpatch core module, which must be loaded first. Where
    C(/sys/kernel/kpatch) does not show the core, the module loads it with C(modprobe kpatch) right before
    the patch, and refuses, before any change, a kernel for which C(modprobe --dry-run kpatch) finds no kpatch
    core module. A B(livepatch-format) patch (C(livepatch) is C(Y)) needs the kernel's own livepatch core,
    C(/sys/kernel/livepatch), and is refused before any change on a kernel without it. TencentOS' TK3 kernels
    build the kpatch core as a module; TK4 x86 kernels are expected to have only the livepatch core.
  - Loading is C(insmod) (after C(modprobe kpatch) for a kpatch-format patch whose core is not loaded), then
    a wait for the patch's C(transition) to clear (the kernel switches every task to the patched code one
    by one). If it does not clear within O(timeout) seconds, the patch is
    disabled, which reverses the transition, the module is unloaded, and the task fails with what it saw,
    including the tasks that blocked the transition where the kernel shows them. The C(force) attribute
    is B(never) written (it would make the module impossible to remove). A kpatch core module that this
    task loaded for a patch that then failed to load is unloaded again.
  - The kernel runs one transition at a time, so the module refuses to start while any patch is in
    transition, before changing anything.
  - Unloading writes C(0) to C(enabled), waits for that transition, then runs C(rmmod).
  - O(state=installed) keeps a copy in kpatch's layout, C(/var/lib/kpatch/<kernel>/<name>.ko), which
    the kpatch CLI also lists, and makes sure it is loaded at every boot of that kernel, by enabling
    kpatch's own C(kpatch.service) where the kpatch CLI and its unit are installed, or else this
    collection's C(tencentos-fleet-livepatch.service) and C(/usr/libexec/tencentos-fleet/livepatch-boot),
    which loads the kpatch core module (C(modprobe kpatch)) before a kpatch-format patch. A kpatch-format
    patch always gets this collection's unit, ordered before C(kpatch.service), because dynup's C(kpatch load)
    loads the kpatch core only on a kernel without the livepatch core, so on a kernel with both (TK3) it
    would load such a patch without its core.
    Unlike C(kpatch install), doing it again changes nothing. A copy that C(kpatch install) kept under
    the file's dashed name (C(livepatch-cve-2026-1234.ko)) counts as this patch's; it is replaced when
    the file differs and removed by O(state=absent).
  - The patch is persisted only after it loaded and its transition completed, so a patch that failed is
    never loaded again at the next boot.
author:
  - tencentos.fleet contributors (@tencentos-fleet)
options:
  name:
    description:
      - The patch's module name, as C(modinfo -F name) prints it and as the kernel registers it below
        C(/sys/kernel/livepatch). Dashes are taken as underscores, as the kernel does.
    type: str
    required: true
  src:
    description:
      - Path of the patch module (C(.ko)) on the host.
      - Needed for O(state=loaded) and O(state=installed), unless the patch is already installed for the
        running kernel, in which case the installed copy is used.
      - With O(state=installed), a different file replaces the installed copy (the running patch is not
        reloaded; remove it first to run the new one now).
    type: path
  state:
    description:
      - V(loaded) - active in the running kernel; whether it loads at the next boot is left as it is.
      - V(installed) - active in the running kernel and loaded at every boot of this kernel.
      - V(disabled) - not active in the running kernel (disabled and unloaded); an installed copy is kept
        and loads again at the next boot, as an unmounted entry of C(fstab) mounts again.
      - V(absent) - not active and not installed for the running kernel. When no installed patch remains
        for any kernel, this collection's boot unit is removed too (kpatch's is left alone).
    type: str
    choices: [loaded, installed, disabled, absent]
    default: loaded
  timeout:
    description:
      - Seconds to wait for a transition to complete, when applying and again when reversing or removing.
        kpatch waits 15 seconds, signals the blocking tasks and waits 60 more.
    type: int
    default: 60
attributes:
  check_mode:
    description: Reports the steps it would take (RV(steps)) without taking them.
    support: full
  diff_mode:
    description: Shows whether the patch is active and where it is installed, before and after.
    support: full
notes:
  - Runs on target Python 2.7 and 3.6 to 3.13. Needs C(insmod), C(rmmod) and C(modinfo), and C(modprobe)
    for a kpatch-format patch (package C(kmod)), not the kpatch CLI.
  - A kernel without C(/sys/kernel/livepatch), C(/sys/kernel/kpatch) and a kpatch core module to load
    cannot be patched; the module fails before changing anything.
  - The collection's C(docs/hotpatch.md) describes the ABI, the field failures this module is built
    against, and how to confirm its work on a real host.
seealso:
  - name: Livepatch sysfs ABI
    description: The kernel's documentation of C(enabled), C(transition) and C(force).
    link: https://www.kernel.org/doc/Documentation/ABI/testing/sysfs-kernel-livepatch
'''

EXAMPLES = r'''
- name: Load a hot patch now and at every boot of this kernel
  tencentos.fleet.livepatch:
    name: livepatch_cve_2026_1234
    src: /var/tmp/livepatch_cve_2026_1234.ko
    state: installed

- name: Take a misbehaving patch out of the running kernel, keeping it installed
  tencentos.fleet.livepatch:
    name: livepatch_cve_2026_1234
    state: disabled

- name: Remove a patch from the running kernel and from the next boots
  tencentos.fleet.livepatch:
    name: livepatch_cve_2026_1234
    state: absent

- name: List the patches (a no-op on a patch that is not there)
  tencentos.fleet.livepatch:
    name: livepatch_cve_2026_1234
    state: absent
  check_mode: true
  register: hot_patches
'''

RETURN = r'''
name:
  description: The patch's module name, with dashes as underscores.
  returned: always
  type: str
  sample: livepatch_cve_2026_1234
kernel:
  description: The running kernel (C(/proc/sys/kernel/osrelease)).
  returned: always
  type: str
  sample: 5.4.119-19-0009.1
steps:
  description:
    - The steps taken (or, in check mode, to be taken), in order. V(rmmod) of a module left loaded after
      an earlier disable, V(modprobe) (C(modprobe kpatch), the kpatch core module before a kpatch-format
      patch), V(insmod), V(enable) (a registered, disabled patch of a 4.x kernel), V(disable),
      V(rmmod), V(copy) to the installed path, V(boot) (the boot unit enabled), V(remove) of the installed
      copy, V(unboot) (this collection's boot unit removed with the last installed patch).
  returned: always
  type: list
  elements: str
  sample: [modprobe, insmod, copy, boot]
patch_format:
  description:
    - The format of the patch module file this task read (O(src), or the installed copy), from its
      C(modinfo) fields. V(kpatch) - its C(depends) lists the kpatch core module C(kpatch), which must be
      loaded before it; V(livepatch) - its C(livepatch) field is C(Y), and it needs the kernel's livepatch core.
    - Null when the task read no file (O(state=disabled), O(state=absent), or in check mode a O(src) that
      is not on the host yet) or the file shows neither.
  returned: always
  type: str
  sample: kpatch
kpatch_core:
  description:
    - What the task did about the kpatch core module.
    - V(not_needed) - the patch is not in kpatch format, or the task loads nothing.
    - V(already_loaded) - a kpatch-format patch, and C(/sys/kernel/kpatch) showed the core before the task.
    - V(loaded_by_this_run) - this task ran C(modprobe kpatch) before loading the patch.
    - V(would_be_loaded) - check mode, or the task stopped before that step.
    - V(unloaded_after_failure) - this task loaded the core, the patch then failed to load, and the core
      was unloaded again.
  returned: always
  type: str
  sample: loaded_by_this_run
before:
  description: This patch before the task, with the keys of RV(patch).
  returned: always
  type: dict
  sample: {name: livepatch_cve_2026_1234, abi: null, registered: false, enabled: false, transition: false,
           module_loaded: false, installed: null}
patch:
  description: This patch after the task (before it in check mode).
  returned: always
  type: dict
  contains:
    name:
      description: The patch's module name (dashes as underscores), as the kernel registers it.
      type: str
    abi:
      description: V(livepatch) or V(kpatch) while the kernel has it registered, else null.
      type: str
    registered:
      description: The kernel has the patch below C(/sys/kernel/livepatch) or C(/sys/kernel/kpatch).
      type: bool
    enabled:
      description: The patch is enabled.
      type: bool
    transition:
      description: A transition of this patch is in progress.
      type: bool
    module_loaded:
      description: Its module is loaded (C(/sys/module/<name>/initstate) exists, or C(/proc/modules) lists it).
      type: bool
    installed:
      description: The installed copy for the running kernel, or null.
      type: str
  sample: {name: livepatch_cve_2026_1234, abi: livepatch, registered: true, enabled: true, transition: false,
           module_loaded: true, installed: /var/lib/kpatch/5.4.119-19-0009.1/livepatch_cve_2026_1234.ko}
patches:
  description: Every hot patch registered in the running kernel after the task, with C(name), C(abi), C(enabled) and C(transition).
  returned: always
  type: list
  elements: dict
  sample: [{name: livepatch_cve_2026_1234, abi: livepatch, enabled: true, transition: false}]
boot_unit:
  description: The unit that loads installed patches at boot (O(state=installed) only), else null.
  returned: always
  type: str
  sample: tencentos-fleet-livepatch.service
'''

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.tencentos.fleet.plugins.module_utils import livepatch
from ansible_collections.tencentos.fleet.plugins.module_utils.features import read_hot_patches
from ansible_collections.tencentos.fleet.plugins.module_utils.files import host_path, read_text
from ansible_collections.tencentos.fleet.plugins.module_utils.livepatch_host import (
    KMOD_DIRS, Host, PatchError, diff_view, enable_boot_unit, kernel_problem, predicted_view, read_source,
    remove_boot_unit, same_file)

# Root of the host's file system; unit tests point it at a fixture tree.
ROOT = '/'


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type='str', required=True),
            src=dict(type='path'),
            state=dict(type='str', default='loaded', choices=list(livepatch.STATES)),
            timeout=dict(type='int', default=60),
        ),
        supports_check_mode=True,
    )
    params = module.params
    root = ROOT
    problem = livepatch.name_problem(params['name'])
    if problem:
        module.fail_json(msg=problem + '; nothing was changed')
    if params['timeout'] < 1:
        module.fail_json(msg='timeout: %d is not allowed (seconds, at least 1); nothing was changed' % params['timeout'])
    name = livepatch.module_name(params['name'])
    state = params['state']
    kernel = (read_text(root, '/proc/sys/kernel/osrelease') or '').strip()
    if not kernel:
        module.fail_json(msg='cannot read the running kernel from /proc/sys/kernel/osrelease; nothing was changed')

    status = livepatch.patch_status(root, name, kernel)
    result = dict(changed=False, name=name, kernel=kernel, steps=[], before=status, patch=status,
                  patches=read_hot_patches(root), boot_unit=None, patch_format=None, kpatch_core='not_needed')

    def fail(msg):
        module.fail_json(msg=msg, **result)

    host = Host(module, root, name, kernel, params['timeout'], fail)

    source = None
    source_there = False
    unit = None
    patch_format = None
    if state in ('loaded', 'installed'):
        source = params['src'] or status['installed']
        if not source:
            fail('src: required to load %s, which is not installed for kernel %s (no %s); nothing was changed'
                 % (name, kernel, livepatch.installed_path(kernel, name)))
        source_there = os.path.isfile(host_path(root, source))
        if not source_there and not module.check_mode:
            fail('src: %s is not a file on the host; nothing was changed' % source)
        if not source_there:
            # A check run of a role predicts the load of a file that an earlier step (a download, a
            # package) would have put there.
            module.warn('src: %s is not on the host yet (check mode): its name and vermagic were not checked'
                        % source)
        else:
            problem, patch_format = read_source(host, source)
            result['patch_format'] = patch_format
            if problem:
                fail(problem + '; nothing was changed')
        problem = kernel_problem(root, kernel, source, patch_format)
        if problem:
            fail(problem + '; nothing was changed')
    core_loaded = livepatch.kpatch_core_loaded(root)
    file_current = boot_ready = True
    if state == 'installed':
        unit = livepatch.boot_unit(root, module.get_bin_path('kpatch', opt_dirs=KMOD_DIRS), patch_format)
        result['boot_unit'] = unit[0]
        file_current = source_there and same_file(module, root, source, status['installed'])
        boot_ready = livepatch.boot_unit_ready(root, *unit)

    steps = livepatch.plan(status, state, file_current, boot_ready,
                           load_core=patch_format == 'kpatch' and not core_loaded)
    if patch_format == 'kpatch' and core_loaded:
        result['kpatch_core'] = 'already_loaded'
    if 'modprobe' in steps:
        result['kpatch_core'] = 'would_be_loaded'
        # Read-only, so in check mode too: a kernel without the core is refused before any change.
        problem = host.kpatch_core_problem()
        if problem:
            fail('src: %s is a kpatch-format patch (it depends on the kpatch core module %s), and kernel %s has '
                 'no kpatch core module to load (modprobe --dry-run %s: %s); nothing was changed'
                 % (source, livepatch.KPATCH_CORE, kernel, livepatch.KPATCH_CORE, problem))
    if state == 'absent' and 'remove' in steps:
        others = [entry for entry in livepatch.installed_files(root) if entry != (kernel, name)]
        if not others and os.path.lexists(host_path(root, livepatch.OWN_UNIT_PATH)):
            steps.append('unboot')
    result['steps'] = steps
    if module._diff:
        result['diff'] = {'before': diff_view(status), 'after': predicted_view(status, state, kernel, name)}
    kernel_steps = [step for step in steps if step in ('modprobe', 'insmod', 'enable', 'disable', 'rmmod')]
    busy = livepatch.patches_in_transition(result['patches'])
    if busy and (kernel_steps or name in busy):
        fail('patch %s is in transition: the kernel runs one transition at a time; wait for it or see '
             'docs/hotpatch.md, "A stalled transition"; nothing was changed' % ', '.join(busy))
    result['changed'] = bool(steps)
    if module.check_mode or not steps:
        module.exit_json(**result)

    target = livepatch.installed_path(kernel, name)
    if 'copy' in steps and os.path.lexists(host_path(root, target)) and not os.path.isfile(host_path(root, target)):
        # Found now, not when the copy fails after the patch was loaded.
        fail('%s is in the way of the installed copy: it is not a file; nothing was changed' % target)
    if kernel_steps:
        # A load can stall and a disable is followed by an unload, so both commands are looked up now:
        # a missing one must be found before the kernel is touched, not after. (modprobe, where the
        # kpatch core is to be loaded, was looked up for its dry run above.)
        for tool in ('insmod', 'rmmod'):
            host.command(tool)
    actions = {
        'modprobe': host.load_kpatch_core,
        'insmod': lambda: host.insmod(source),
        'enable': host.enable,
        'disable': host.disable,
        'rmmod': host.rmmod,
        'copy': lambda: host.copy(source),
        'boot': lambda: enable_boot_unit(module, root, unit),
        'remove': host.remove,
        'unboot': lambda: remove_boot_unit(module, root),
    }
    try:
        for step in steps:
            actions[step]()
    except (PatchError, IOError, OSError) as error:
        message = str(error)
        if host.core_loaded_here:
            result['kpatch_core'] = 'loaded_by_this_run'
            if not host.status()['module_loaded']:
                # Nothing uses the core this task loaded: the kernel goes back to how it was.
                message += '; ' + host.undo_kpatch_core()
                if not host.core_loaded_here:
                    result['kpatch_core'] = 'unloaded_after_failure'
        result['patch'] = host.status()
        result['patches'] = read_hot_patches(root)
        fail(message)
    if host.core_loaded_here:
        result['kpatch_core'] = 'loaded_by_this_run'
    result['patch'] = host.status()
    result['patches'] = read_hot_patches(root)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
