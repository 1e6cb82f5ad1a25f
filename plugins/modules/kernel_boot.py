#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: kernel_boot
short_description: Choose the kernel GRUB boots next, once, and the one it boots by default
version_added: 1.0.0
description:
  - Reads the boot entries of the host (BootLoaderSpec files in C(/boot/loader/entries) on
    EL8 and later, the menu entries of the generated C(grub.cfg) on EL7) and the GRUB environment
    block C(/boot/grub2/grubenv).
  - O(next_kernel) sets C(next_entry), which GRUB boots B(once) and clears before booting it, so
    if that kernel panics or hangs, the reset that follows boots C(saved_entry) again. This is what
    C(grub2-reboot) does.
  - O(default_kernel) sets C(saved_entry), the default, as C(grub2-set-default) does. The kernel
    role uses it twice - to put the default back on the working kernel after the kernel RPM's own
    scriptlet moved it, and to commit the new kernel once it has been seen running.
  - Writes the environment block itself in GRUB's format (1024 bytes) with an atomic rename, keeping
    every other variable; the host needs no C(grub2-editenv).
  - With O(install), first installs the kernel's packages, whose scriptlet creates the boot entry and makes
    the new kernel the saved default, then writes O(next_kernel) and O(default_kernel), all in this one run on
    the host. A controller killed or a connection lost after the install does not stop the module, so a default
    that never booted does not outlive it. If the install or anything after it fails, the environment block
    is put back as it was before the install.
  - Without options it only reports the boot state.
author:
  - tencentos.fleet contributors (@tencentos-fleet)
options:
  next_kernel:
    description:
      - Kernel, as C(uname -r) prints it, to boot once at the next boot.
      - It must have a boot entry, and a kernel image and initramfs in C(/boot) that are not empty
        (GRUB stops at its prompt, rather than resetting, when they are missing); in check mode a
        missing entry is reported as a predicted change (the package install that would create it did not run).
    type: str
  default_kernel:
    description: Kernel, as C(uname -r) prints it, to make the saved default.
    type: str
  clear_next:
    description: Clear a pending one-time entry (when O(next_kernel) is not given).
    type: bool
    default: false
  failed_boot:
    description:
      - Kernel, as C(uname -r) prints it, that did not come up. It is recorded with the time (UTC) in
        C(/var/lib/tencentos-fleet/kernel-boot-failures), which C(tencentos.fleet.kernel_target) reads so that a
        re-run does not boot it again.
    type: str
  came_up:
    description: Kernel, as C(uname -r) prints it, that now runs. Its line in that record, if any, is removed.
    type: str
  install:
    description:
      - Packages (name-version-release.arch) to install before the boot entries are written, such as the kernel
        of O(next_kernel); those the rpm database already has are left alone.
    type: list
    elements: str
    default: []
  package_manager:
    description: The package manager that installs O(install); by default C(dnf) if the host has it, else C(yum).
    type: str
    choices: [dnf, yum]
notes:
  - On UEFI hosts C(/boot/grub2/grubenv) is often a symbolic link into the EFI system partition;
    the link is followed and the file it points to is replaced.
  - GRUB submenus (C(GRUB_DISABLE_SUBMENU=false)) are not supported; EL7 and later disable them.
attributes:
  check_mode:
    description: >-
      Predicts the change without writing; a package to install and a kernel without a boot entry yet count as a
      change.
    support: full
  diff_mode:
    description: Shows the GRUB environment block before and after.
    support: full
seealso:
  - module: tencentos.fleet.kernel_target
'''

EXAMPLES = r'''
- name: Install kernel 5.4.119-19-0010.1 and boot it once at the next reboot, the running kernel staying the default
  tencentos.fleet.kernel_boot:
    install: [kernel-5.4.119-19.0010.1.tl3.x86_64]
    next_kernel: 5.4.119-19-0010.1
    default_kernel: "{{ ansible_facts.tencentos.kernel.release }}"

- name: Boot 5.4.119-19-0010.1 once at the next reboot, keep the default on the running kernel
  tencentos.fleet.kernel_boot:
    next_kernel: 5.4.119-19-0010.1
    default_kernel: "{{ ansible_facts.tencentos.kernel.release }}"

- name: Make the new kernel the default only after it booted
  tencentos.fleet.kernel_boot:
    default_kernel: 5.4.119-19-0010.1

- name: Read the boot state
  tencentos.fleet.kernel_boot:
  register: boot
'''

RETURN = r'''
boot:
  description: The boot state after the change (before it, in check mode).
  returned: always
  type: dict
  contains:
    style:
      description: C(bls), C(legacy) or C(none).
      type: str
      sample: bls
    entries:
      description: Boot entries in menu order, each with C(name) (what grubenv stores), C(title) and C(kernel).
      type: list
      elements: dict
    saved_entry:
      description: The C(saved_entry) variable.
      type: str
    next_entry:
      description: The C(next_entry) variable (empty when no one-time boot is pending).
      type: str
    default_kernel:
      description: Kernel that boots by default (C(uname -r)); GRUB's first entry when C(saved_entry) names none.
      type: str
      sample: 5.4.119-19-0009.1
    next_kernel:
      description: Kernel that boots once at the next boot, or null.
      type: str
    grubenv:
      description: Path of the environment block.
      type: str
      sample: /boot/grub2/grubenv
changes:
  description: Variables written (a null value was removed).
  returned: always
  type: dict
  sample: {next_entry: 4a1f-5.4.119-19-0010.1}
failed_boots:
  description:
    - The kernels recorded as not having come up, uname -r to when (UTC), after this task (in check mode, as it
      would leave them). Only with O(failed_boot) or O(came_up).
  returned: when O(failed_boot) or O(came_up) is given
  type: dict
  sample: {5.4.241-1-tlinux4-0017.7: "2026-12-07T10:31:09Z"}
installed:
  description: Packages of O(install) that were installed (that would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [kernel-5.4.119-19.0010.1.tl3.x86_64]
'''

import os
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.tencentos.fleet.plugins.module_utils import boot_loader, failed_boots
from ansible_collections.tencentos.fleet.plugins.module_utils.kernel_release import boot_files
from ansible_collections.tencentos.fleet.plugins.module_utils.files import host_path, read_text, write_atomically

# Root of the host's file system; unit tests point it at a fixture tree.
ROOT = '/'


def write_grubenv(module, root, content):
    """Replace the environment block atomically, through a symbolic link if it is one."""
    # On the way to a reboot: a block lost in a crash would make GRUB boot its first entry.
    write_atomically(host_path(root, boot_loader.GRUBENV_PATH), content, module=module)


def unbootable_files(root, kernel):
    """The /boot files of ``kernel`` that are missing or empty: GRUB stops at its prompt without them."""
    files = boot_files(kernel)
    return [path for path in (files['vmlinuz'], files['initramfs'])
            if not os.path.isfile(host_path(root, path)) or os.path.getsize(host_path(root, path)) == 0]


def not_installed(module, packages):
    """The packages the rpm database does not have (rpm -q answers 1 for each)."""
    rpm = module.get_bin_path('rpm', required=True)
    return [package for package in packages if module.run_command([rpm, '-q', package])[0] != 0]


def install_packages(module, manager, packages):
    """Install packages with the host's package manager: ``(rc, message)``."""
    command = [module.get_bin_path(manager, required=True), '-y', 'install'] + list(packages)
    rc, out, err = module.run_command(command, environ_update={'LC_ALL': 'C'})
    return rc, (err or out).strip()


class Undo(object):
    """The environment block as it was before this run installed a package, to put back if the run fails:
    the kernel package's scriptlet made a kernel that never booted the default."""

    def __init__(self, module, root):
        self.module = module
        self.root = root
        self.before = None

    def remember(self):
        self.before = read_text(self.root, boot_loader.GRUBENV_PATH)

    def fail(self, msg, **result):
        if self.before is not None and read_text(self.root, boot_loader.GRUBENV_PATH) != self.before:
            write_grubenv(self.module, self.root, self.before)
            msg += '; the GRUB environment block was put back as it was before the install'
            result['boot'] = boot_loader.public_state(boot_loader.read_boot_state(self.root))
        self.module.fail_json(msg=msg, **result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            next_kernel=dict(type='str'),
            default_kernel=dict(type='str'),
            clear_next=dict(type='bool', default=False),
            failed_boot=dict(type='str'),
            came_up=dict(type='str'),
            install=dict(type='list', elements='str', default=[]),
            package_manager=dict(type='str', choices=['dnf', 'yum']),
        ),
        supports_check_mode=True,
    )
    params = module.params
    root = ROOT
    undo = Undo(module, root)
    to_install = not_installed(module, params['install']) if params['install'] else []
    if to_install and not module.check_mode:
        undo.remember()
        manager = params['package_manager'] or ('dnf' if module.get_bin_path('dnf') else 'yum')
        rc, message = install_packages(module, manager, to_install)
        if rc != 0:
            undo.fail('installing %s failed: %s' % (', '.join(to_install), message), installed=[], changes={},
                      boot=boot_loader.public_state(boot_loader.read_boot_state(root)))
    state = boot_loader.read_boot_state(root)
    values, problems, missing = boot_loader.plan_boot_change(
        state, params['next_kernel'], params['default_kernel'], params['clear_next'])
    result = dict(changed=False, boot=boot_loader.public_state(state), changes={}, installed=to_install)
    known = ', '.join(entry['kernel'] or entry['name'] for entry in result['boot']['entries']) or 'none'
    nothing = '; nothing was changed' if not result['installed'] or module.check_mode else ''
    if problems:
        undo.fail('%s%s' % ('; '.join(problems), nothing), **result)
    if missing and not module.check_mode:
        undo.fail('no boot entry for kernel %s (entries for: %s)%s' % (', '.join(missing), known, nothing), **result)

    result['changes'] = values
    if params['next_kernel'] and params['next_kernel'] not in missing:
        absent = unbootable_files(root, params['next_kernel'])
        if absent:
            undo.fail('kernel %s cannot boot: %s missing or empty (did the package scriptlets run?)%s'
                      % (params['next_kernel'], ', '.join(absent), nothing), **result)
    record_before = read_text(root, failed_boots.PATH)
    record_after = record_before or ''
    if params['came_up']:
        record_after = failed_boots.without(record_after, params['came_up'])
    if params['failed_boot']:
        record_after = failed_boots.with_failure(record_after, params['failed_boot'],
                                                 time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()))
    record_changed = failed_boots.parse(record_after) != failed_boots.parse(record_before)
    if params['failed_boot'] or params['came_up']:
        result['failed_boots'] = failed_boots.parse(record_after)
    result['changed'] = bool(values) or bool(missing) or bool(to_install) or record_changed
    if missing:
        result['msg'] = ('no boot entry for kernel %s yet: installing its package would create it'
                         % ', '.join(missing))
    if record_changed and not module.check_mode:
        # Before the boot entries: a record that cannot be written leaves GRUB's choice as it was.
        try:
            write_atomically(host_path(root, failed_boots.PATH), record_after, 0o644, module)
        except (IOError, OSError) as error:
            undo.fail('%s: %s%s' % (failed_boots.PATH, error, nothing), **result)
    if not values:
        module.exit_json(**result)

    before = read_text(root, boot_loader.GRUBENV_PATH) or ''
    try:
        after = boot_loader.render_grubenv(boot_loader.set_grubenv_values(state['grubenv_pairs'], values))
    except ValueError as error:
        undo.fail('%s: %s%s' % (boot_loader.GRUBENV_PATH, error, nothing), **result)
    if module._diff:
        result['diff'] = {'before_header': boot_loader.GRUBENV_PATH, 'after_header': boot_loader.GRUBENV_PATH,
                          'before': before.rstrip('#'), 'after': after.rstrip('#')}
    if not module.check_mode:
        if not os.path.isdir(os.path.dirname(os.path.realpath(host_path(root, boot_loader.GRUBENV_PATH)))):
            undo.fail('%s: its directory does not exist%s' % (boot_loader.GRUBENV_PATH, nothing), **result)
        write_grubenv(module, root, after)
        result['boot'] = boot_loader.public_state(boot_loader.read_boot_state(root))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
