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
version_added: 0.1.0
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
notes:
  - On UEFI hosts C(/boot/grub2/grubenv) is often a symbolic link into the EFI system partition;
    the link is followed and the file it points to is replaced.
  - GRUB submenus (C(GRUB_DISABLE_SUBMENU=false)) are not supported; EL7 and later disable them.
attributes:
  check_mode:
    description: Predicts the change without writing; a kernel without a boot entry yet counts as a change.
    support: full
  diff_mode:
    description: Shows the GRUB environment block before and after.
    support: full
seealso:
  - module: tencentos.fleet.kernel_target
'''

EXAMPLES = r'''
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
'''

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.tencentos.fleet.plugins.module_utils import boot_loader
from ansible_collections.tencentos.fleet.plugins.module_utils.kernel_release import boot_files
from ansible_collections.tencentos.fleet.plugins.module_utils.tencentos import host_path, read_text

# Root of the host's file system; unit tests point it at a fixture tree.
ROOT = '/'


def write_grubenv(module, root, content):
    """Replace the environment block atomically, through a symbolic link if it is one."""
    path = os.path.realpath(host_path(root, boot_loader.GRUBENV_PATH))
    handle, staged = tempfile.mkstemp(dir=os.path.dirname(path), prefix='.grubenv-')
    with os.fdopen(handle, 'wb') as staged_file:
        staged_file.write(content.encode('utf-8'))
        # On the way to a reboot: a block lost in a crash would make GRUB boot its first entry.
        staged_file.flush()
        os.fsync(staged_file.fileno())
    module.atomic_move(staged, path)
    directory = os.open(os.path.dirname(path), os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def unbootable_files(root, kernel):
    """The /boot files of ``kernel`` that are missing or empty: GRUB stops at its prompt without them."""
    files = boot_files(kernel)
    return [path for path in (files['vmlinuz'], files['initramfs'])
            if not os.path.isfile(host_path(root, path)) or os.path.getsize(host_path(root, path)) == 0]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            next_kernel=dict(type='str'),
            default_kernel=dict(type='str'),
            clear_next=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    params = module.params
    root = ROOT
    state = boot_loader.read_boot_state(root)
    values, problems, missing = boot_loader.plan_boot_change(
        state, params['next_kernel'], params['default_kernel'], params['clear_next'])
    result = dict(changed=False, boot=boot_loader.public_state(state), changes={})
    known = ', '.join(entry['kernel'] or entry['name'] for entry in result['boot']['entries']) or 'none'
    if problems:
        module.fail_json(msg='%s; nothing was changed' % '; '.join(problems), **result)
    if missing and not module.check_mode:
        module.fail_json(msg='no boot entry for kernel %s (entries for: %s); nothing was changed'
                         % (', '.join(missing), known), **result)

    result['changes'] = values
    if params['next_kernel'] and params['next_kernel'] not in missing:
        absent = unbootable_files(root, params['next_kernel'])
        if absent:
            module.fail_json(msg='kernel %s cannot boot: %s missing or empty (did the package scriptlets run?); '
                             'nothing was changed' % (params['next_kernel'], ', '.join(absent)), **result)
    result['changed'] = bool(values) or bool(missing)
    if missing:
        result['msg'] = ('no boot entry for kernel %s yet: installing its package would create it'
                         % ', '.join(missing))
    if not values:
        module.exit_json(**result)

    before = read_text(root, boot_loader.GRUBENV_PATH) or ''
    try:
        after = boot_loader.render_grubenv(boot_loader.set_grubenv_values(state['grubenv_pairs'], values))
    except ValueError as error:
        module.fail_json(msg='%s: %s; nothing was changed' % (boot_loader.GRUBENV_PATH, error), **result)
    if module._diff:
        result['diff'] = {'before_header': boot_loader.GRUBENV_PATH, 'after_header': boot_loader.GRUBENV_PATH,
                          'before': before.rstrip('#'), 'after': after.rstrip('#')}
    if not module.check_mode:
        if not os.path.isdir(os.path.dirname(os.path.realpath(host_path(root, boot_loader.GRUBENV_PATH)))):
            module.fail_json(msg='%s: its directory does not exist; nothing was changed' % boot_loader.GRUBENV_PATH,
                             **result)
        write_grubenv(module, root, after)
        result['boot'] = boot_loader.public_state(boot_loader.read_boot_state(root))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
