#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: livepatch_set
short_description: Apply an ordered list of kernel hot patches to the running kernel as one transaction
version_added: 1.0.0
description:
  - Moves every kernel hot patch of O(patches) to its state, in the order given, in one call, and undoes
    the whole run if any part of it fails. Each patch is handled as the M(tencentos.fleet.livepatch) module
    handles one (formats, the kpatch core module, waits, stalled transitions reversed and never forced,
    kpatch's layout and the boot unit); this page says what the list adds.
  - B(Check.) Every entry is checked before anything changes, and every problem of every entry is refused together,
    each named by its index and name, such as C(patches[2]) and the name in parentheses - the module name rule, the
    same patch listed twice for a kernel (dashes are underscores), a file to load (O(patches[].src), or the installed
    copy), its C(modinfo) name and vermagic, whether the kernel can take its format (C(modprobe --dry-run kpatch) for
    a kpatch-format patch whose core is not loaded), anything in the way of the installed copy - and, for the host, a
    patch in transition (the kernel runs one transition at a time) and the kmod commands. Entries whose
    O(patches[].kernel) is not the running kernel (C(/proc/sys/kernel/osrelease)) are skipped, each with the reason,
    never an error.
  - B(Apply.) The patches are loaded or unloaded in the order of the list, each transition completed before
    the next starts. Every action is journalled with its undo.
  - B(Verify.) The kernel's patches are read once after the list. Every patch asked to be V(loaded) or
    V(installed) must be enabled with no transition, and none asked to be V(disabled) or V(absent) may be registered.
  - B(Persist.) Only then are the copies of the V(installed) patches written to
    C(/var/lib/kpatch/<kernel>/<name>.ko) and the boot unit enabled, and the copies of the V(absent) ones removed
    (with this collection's boot unit when no installed patch remains). Each file about to be replaced or
    removed is saved first in a directory of the run's own below C(/var/lib/tencentos-fleet/livepatch-backup/).
  - B(Undo.) If a step of apply, verify or persist fails, the journal is undone in reverse - saved files put
    back byte for byte, files the run created removed, patches the run activated disabled and unloaded (newest
    first), and a kpatch core module the run loaded unloaded if no patch uses it - and the task fails naming the
    patch, what was seen and what was rolled back. Patches active before the run that it did not touch stay
    active. Patches it took out as asked (V(disabled), V(absent)) are not loaded again. The backups are deleted
    after a success and after a complete undo; an undo that could not finish says what is left where, backups
    included.
author:
  - tencentos.fleet contributors (@tencentos-fleet)
options:
  patches:
    description:
      - The hot patches, in the order they are to be loaded or unloaded.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - The patch's module name, as C(modinfo -F name) prints it. Dashes are taken as underscores, as the
            kernel does.
        type: str
        required: true
      kernel:
        description:
          - The kernel release the patch is built for, as C(uname -r) prints it. An entry for another kernel
            than the running one is skipped (RV(skipped_patches)). By default the running kernel.
        type: str
      src:
        description:
          - Path of the patch module (C(.ko)) on the host. Needed for V(loaded) and V(installed), unless the
            patch is already installed for the running kernel, in which case the installed copy is used.
          - With V(installed), a different file replaces the installed copy (the running patch is not reloaded).
        type: path
      state:
        description:
          - V(loaded) - active in the running kernel; whether it loads at the next boot is left as it is.
          - V(installed) - active, and loaded at every boot of this kernel.
          - V(disabled) - not active in the running kernel (disabled and unloaded); an installed copy is kept.
          - V(absent) - not active and not installed for the running kernel.
        type: str
        choices: [loaded, installed, disabled, absent]
        default: installed
  timeout:
    description:
      - Seconds to wait for each transition to complete, when applying and again when reversing or undoing.
      - At least 1.
    type: int
    default: 60
  list_name:
    description:
      - How messages name the list, as C(patches) in C(patches[2]) followed by the patch's name in parentheses. A role passes the variable its list comes
        from, so that a refusal names what its user set.
    type: str
    default: patches
attributes:
  check_mode:
    description: Checks every entry as a run does and reports the steps each would take, changing nothing.
    support: full
  diff_mode:
    description: Shows, per patch of the running kernel, whether it is active and where it is installed, before and after.
    support: full
notes:
  - Runs on target Python 2.7 and 3.6 to 3.13. Needs C(insmod), C(rmmod) and C(modinfo), and C(modprobe) for a
    kpatch-format patch (package C(kmod)), not the kpatch CLI.
  - The collection's C(docs/hotpatch.md) describes the ABI, the field failures this module is built against, and
    the transaction (section "A list as one transaction").
seealso:
  - module: tencentos.fleet.livepatch
  - name: Livepatch sysfs ABI
    description: The kernel's documentation of C(enabled), C(transition) and C(force).
    link: https://www.kernel.org/doc/Documentation/ABI/testing/sysfs-kernel-livepatch
'''

EXAMPLES = r'''
- name: Load two hot patches now and at every boot of their kernel, as one transaction
  tencentos.fleet.livepatch_set:
    patches:
      - name: livepatch_cve_2026_1234
        kernel: 5.4.119-19-0009.1
        src: /var/tmp/livepatch_cve_2026_1234.ko
      - name: livepatch_cve_2026_5678
        kernel: 5.4.119-19-0009.1
        src: /var/tmp/livepatch_cve_2026_5678.ko
  register: hot_patches

- name: Replace a patch by its successor; the old one goes only if the new one loads
  tencentos.fleet.livepatch_set:
    patches:
      - name: livepatch_cve_2026_5678_v2
        src: /var/tmp/livepatch_cve_2026_5678_v2.ko
      - name: livepatch_cve_2026_5678
        state: absent
    timeout: 120

- name: See what a list would do
  tencentos.fleet.livepatch_set:
    patches: "{{ my_patches }}"
  check_mode: true
  register: plan
'''

RETURN = r'''
kernel:
  description: The running kernel (C(/proc/sys/kernel/osrelease)).
  returned: always
  type: str
  sample: 5.4.119-19-0009.1
results:
  description: One item per entry of O(patches), in their order.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The patch's module name, with dashes as underscores.
      type: str
    kernel:
      description: The kernel the entry is for (the running kernel when it names none).
      type: str
    state:
      description: The state asked for.
      type: str
    steps:
      description:
        - The steps planned for the patch, in order, as M(tencentos.fleet.livepatch) names them (V(rmmod),
          V(modprobe), V(insmod), V(enable), V(disable), V(copy), V(boot), V(remove), V(unboot)). Taken in a
          run that succeeded; to be taken in check mode; empty for a skipped entry or one refused.
      type: list
      elements: str
    outcome:
      description:
        - V(patched) - the run changed the patch (in check mode, would change it); V(unchanged) - it had nothing to
          do; V(skipped) - the entry is for another kernel.
        - After a failed run, V(failed) marks the entry that failed; any other entry is V(patched) when its patch
          differs from before the run (taken out as asked, or left by an undo that could not finish) and
          V(unchanged) otherwise.
      type: str
  sample:
    - {name: livepatch_cve_2026_1234, kernel: 5.4.119-19-0009.1, state: installed, steps: [insmod, copy, boot],
       outcome: patched}
    - {name: livepatch_old, kernel: 4.14.105-19-0020.1, state: installed, steps: [], outcome: skipped}
patched:
  description: The names of the patches the run changed (would change, in check mode), in the list's order.
  returned: always
  type: list
  elements: str
  sample: [livepatch_cve_2026_1234]
unchanged:
  description: The names of the patches that had nothing to do, in the list's order.
  returned: always
  type: list
  elements: str
  sample: []
skipped_patches:
  description:
    - The entries for another kernel, each with C(name), C(kernel) and C(reason).
    - Not named C(skipped), which Ansible reads as whether the task was skipped.
  returned: always
  type: list
  elements: dict
  sample: [{name: livepatch_old, kernel: 4.14.105-19-0020.1,
            reason: 'livepatch_old skipped: built for kernel 4.14.105-19-0020.1, the host runs 5.4.119-19-0009.1'}]
rolled_back:
  description: After a failure, the patches whose changes were undone, newest first. Empty otherwise.
  returned: always
  type: list
  elements: str
  sample: [livepatch_cve_2026_5678, livepatch_cve_2026_1234]
failed_patch:
  description: The name of the patch that failed (or had a problem that refused the list), else null.
  returned: always
  type: str
  sample: livepatch_cve_2026_9999
patches:
  description: Every hot patch registered in the running kernel after the run, with C(name), C(abi), C(enabled) and C(transition).
  returned: always
  type: list
  elements: dict
  sample: [{name: livepatch_cve_2026_1234, abi: livepatch, enabled: true, transition: false}]
msg:
  description: One sentence saying what the run did, or why it failed and what was rolled back.
  returned: always
  type: str
  sample: 'kernel 5.4.119-19-0009.1: 1 patch changed (livepatch_cve_2026_1234), 0 unchanged, 1 skipped (livepatch_old for 4.14.105-19-0020.1)'
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.tencentos.fleet.plugins.module_utils import livepatch
from ansible_collections.tencentos.fleet.plugins.module_utils.features import read_hot_patches
from ansible_collections.tencentos.fleet.plugins.module_utils.files import read_text
from ansible_collections.tencentos.fleet.plugins.module_utils.livepatch_backup import MANIFEST
from ansible_collections.tencentos.fleet.plugins.module_utils.livepatch_host import diff_view, predicted_view
from ansible_collections.tencentos.fleet.plugins.module_utils.livepatch_transaction import Transaction

# Root of the host's file system; unit tests point it at a fixture tree.
ROOT = '/'


def counted(names, what):
    """'2 patches changed (a, b)' - or '0 unchanged' without the empty parentheses."""
    if not names:
        return '0 %s' % what
    return '%d %s (%s)' % (len(names), what, ', '.join(names))


def report(transaction, refused=False):
    """Every return value but msg and changed, from the transaction as it stands."""
    results = []
    for entry in transaction.entries:
        outcome = transaction.outcome(entry)
        if refused and outcome != 'skipped':
            outcome = 'unchanged'
        results.append({'name': entry.name, 'kernel': entry.kernel, 'state': entry.state, 'steps': list(entry.steps),
                        'outcome': outcome})
    failed = transaction.failed
    if refused:
        # The first entry with a problem; none when only the host's problems refused the list.
        failed = ([entry for entry in transaction.entries if entry.problems] or [None])[0]
    return {
        'kernel': transaction.kernel,
        'results': results,
        'patched': [result['name'] for result in results if result['outcome'] == 'patched'],
        'unchanged': [result['name'] for result in results if result['outcome'] == 'unchanged'],
        'skipped_patches': [{'name': entry.name, 'kernel': entry.kernel, 'reason': entry.skipped}
                            for entry in transaction.entries if entry.skipped],
        'rolled_back': transaction.rolled_back,
        'failed_patch': failed.name if failed else None,
        'patches': read_hot_patches(transaction.root),
    }


def summary(result, check_mode):
    """The sentence of a run that went through (or, in check mode, would)."""
    patched = result['patched']
    changed = '%s %s' % ('patch' if len(patched) == 1 else 'patches', 'would change' if check_mode else 'changed')
    return 'kernel %s: %s, %s, %s' % (
        result['kernel'], counted(patched, changed), counted(result['unchanged'], 'unchanged'),
        counted(['%s for %s' % (item['name'], item['kernel']) for item in result['skipped_patches']], 'skipped'))


def failure_message(transaction):
    """The failed step, what was seen, and what the undo did and did not do."""
    failed = transaction.failed
    message = '%s: %s' % (failed.label if failed else 'the list', transaction.failure)
    if transaction.rolled_back:
        message += '; rolled back: %s (newest first)' % ', '.join(transaction.rolled_back)
    else:
        message += '; rolled back: nothing (no change of this run was left to undo)'
    if transaction.core_unloaded:
        message += '; the kpatch core module this run loaded was unloaded again'
    taken_out = transaction.taken_out()
    if taken_out:
        message += '; taken out as asked and left out: %s' % ', '.join(taken_out)
    if transaction.left:
        message += '; NOT rolled back: %s' % '; '.join(transaction.left)
        if transaction.backups.directory:
            message += '; the backups are kept in %s (its %s says where each file belongs)' % (
                transaction.backups.directory, MANIFEST)
    else:
        message += '; patches active before the run and not changed by it were left alone'
    return message


def diff(transaction, check_mode):
    """Each planned patch's diff_view before, and after (predicted in check mode)."""
    before, after = {}, {}
    for entry in transaction.planned():
        before[entry.name] = diff_view(entry.status)
        if check_mode:
            after[entry.name] = predicted_view(entry.status, entry.state, transaction.kernel, entry.name)
        else:
            after[entry.name] = diff_view(transaction.status_now(entry))
    return {'before': before, 'after': after}


def finish(module, transaction):
    """The return values of a run that got past the checks: report, changed, and the diff in diff mode."""
    result = report(transaction)
    # A failed entry may be left changed too: a reversal that stalled leaves its patch loaded.
    result['changed'] = bool(result['patched'] or transaction.left or (transaction.failed and transaction.differs(transaction.failed)))
    if module._diff:
        result['diff'] = diff(transaction, module.check_mode)
    return result


def blank(kernel):
    """The return values of a task that stopped before reading any patch."""
    return dict(kernel=kernel, changed=False, results=[], patched=[], unchanged=[], skipped_patches=[], rolled_back=[],
                failed_patch=None, patches=[])


def main():
    module = AnsibleModule(
        argument_spec=dict(
            patches=dict(type='list', elements='dict', required=True, options=dict(
                name=dict(type='str', required=True),
                kernel=dict(type='str'),
                src=dict(type='path'),
                state=dict(type='str', default='installed', choices=list(livepatch.STATES)),
            )),
            timeout=dict(type='int', default=60),
            list_name=dict(type='str', default='patches'),
        ),
        supports_check_mode=True,
    )
    params = module.params
    root = ROOT
    kernel = (read_text(root, '/proc/sys/kernel/osrelease') or '').strip()
    if params['timeout'] < 1:
        module.fail_json(msg='timeout: %d is not allowed (seconds, at least 1); nothing was changed'
                         % params['timeout'], **blank(kernel or None))
    if not kernel:
        module.fail_json(msg='cannot read the running kernel from /proc/sys/kernel/osrelease; nothing was changed',
                         **blank(None))

    transaction = Transaction(module, root, kernel, params['patches'], params['timeout'], params['list_name'])
    problems = transaction.check()
    for warning in transaction.warnings:
        module.warn(warning)
    if problems:
        module.fail_json(msg=' | '.join(problems) + '; nothing was changed', changed=False,
                         **report(transaction, refused=True))
    if module.check_mode or not transaction.changes():
        result = finish(module, transaction)
        module.exit_json(msg=summary(result, module.check_mode), **result)

    warned = len(transaction.warnings)
    went_through = transaction.run()
    for warning in transaction.warnings[warned:]:
        module.warn(warning)
    result = finish(module, transaction)
    if not went_through:
        module.fail_json(msg=failure_message(transaction), **result)
    module.exit_json(msg=summary(result, False), **result)


if __name__ == '__main__':
    main()
