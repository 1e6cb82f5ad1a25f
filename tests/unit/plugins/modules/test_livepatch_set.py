# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The livepatch_set module against the fake kernel (fake_kernel.py): a list of patches checked, loaded in
order, verified, persisted, and undone as one transaction when any part fails."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import stat

import pytest

from ansible_collections.tencentos.fleet.plugins.module_utils import livepatch, livepatch_host
from ansible_collections.tencentos.fleet.plugins.module_utils.livepatch_backup import BACKUP_DIR
from ansible_collections.tencentos.fleet.plugins.modules import livepatch_set as livepatch_set_module

# The fake kernel and the `kernel` fixture: fake_kernel.py and conftest.py beside this file.
from fake_kernel import BOTH_KERNELS, TK3, TK3_CORE_MODULE, TK4, WANTS, patch_text

A = 'livepatch_cve_2026_0001'
B = 'livepatch_cve_2026_0002'
C = 'livepatch_cve_2026_0003'
OLD = 'livepatch_cve_2025_0099'


def src(name):
    return '/var/tmp/%s.ko' % name


def installed(kernel, name):
    return '/var/lib/kpatch/%s/%s.ko' % (kernel.release, name)


def item(name, state='installed', **more):
    """One entry of `patches`, its src the patch file of that name."""
    made = {'name': name, 'state': state, 'src': src(name)}
    made.update(more)
    return made


def run(run_module, patches, **args):
    args['patches'] = patches
    return run_module(livepatch_set_module, args)


def patch_files(kernel, *names, **fields):
    for name in names:
        kernel.patch_file(src(name), name=name, **fields)


def apply(kernel, run_module, patches):
    """A run that went through, as the state before a test's run; the fake's records start afresh."""
    failed, result = run(run_module, patches)
    assert not failed, result['msg']
    kernel.commands, kernel.writes, kernel.written = [], [], []
    return result


def kmod(kernel, tool=None):
    """The kmod commands run, but modinfo (which reads only); or those of one tool."""
    return [command for command in kernel.commands
            if (command[0] == tool if tool else command[0] != 'modinfo')]


def active(kernel):
    return sorted(name for name in kernel.loaded() if kernel.attributes(name).get('enabled') == '1')


def mode(kernel, path):
    return stat.S_IMODE(os.stat(str(kernel.path(path))).st_mode)


def result_of(result, name):
    return [entry for entry in result['results'] if entry['name'] == name][0]


# ---------------------------------------------------------------------------
# A list that goes through
# ---------------------------------------------------------------------------

@BOTH_KERNELS
def test_a_list_is_loaded_in_order_and_persisted_only_after_all_are_active(kernel, run_module):
    patch_files(kernel, A, B, C)
    failed, result = run(run_module, [item(A), item(B), item(C)])
    assert not failed and result['changed'] is True
    assert kernel.commands == ([['modinfo', src(name)] for name in (A, B, C)]
                               + [['insmod', src(name)] for name in (A, B, C)])
    assert [(entry['name'], entry['steps'], entry['outcome']) for entry in result['results']] == [
        (A, ['insmod', 'copy', 'boot'], 'patched'), (B, ['insmod', 'copy'], 'patched'),
        (C, ['insmod', 'copy'], 'patched')]
    assert result['patched'] == [A, B, C] and result['unchanged'] == [] and result['skipped_patches'] == []
    assert result['rolled_back'] == [] and result['failed_patch'] is None
    assert [patch['name'] for patch in result['patches'] if patch['enabled'] and not patch['transition']] == [A, B, C]
    assert active(kernel) == [A, B, C]
    for name in (A, B, C):
        assert kernel.read(installed(kernel, name)) == kernel.read(src(name))
        assert mode(kernel, installed(kernel, name)) == 0o644
    assert os.readlink(str(kernel.path(WANTS + livepatch.OWN_UNIT))) == livepatch.OWN_UNIT_PATH
    assert kernel.read(livepatch.OWN_SCRIPT_PATH) == livepatch.OWN_SCRIPT
    # Nothing was written before the last patch had loaded, and no backup is left (nothing was replaced).
    assert min(commands_before for commands_before, _path in kernel.written) == len(kernel.commands)
    assert not kernel.path('/var/lib/tencentos-fleet').check()
    assert result['msg'] == 'kernel %s: 3 patches changed (%s, %s, %s), 0 unchanged, 0 skipped' % (
        kernel.release, A, B, C)


def test_running_the_list_again_changes_nothing_and_runs_only_modinfo(kernel, run_module, snapshot):
    patch_files(kernel, A, B, C)
    apply(kernel, run_module, [item(A), item(B, state='loaded'), item(C)])
    before = snapshot(kernel.root)
    failed, result = run(run_module, [item(A), item(B, state='loaded'), item(C)])
    assert not failed and result['changed'] is False
    assert kernel.commands == [['modinfo', src(name)] for name in (A, B, C)]
    assert [entry['steps'] for entry in result['results']] == [[], [], []]
    assert result['unchanged'] == [A, B, C] and result['patched'] == []
    assert snapshot(kernel.root) == before
    assert result['msg'] == 'kernel %s: 0 patches changed, 3 unchanged (%s, %s, %s), 0 skipped' % (TK4, A, B, C)


def test_loaded_leaves_the_next_boots_alone(kernel, run_module):
    patch_files(kernel, A)
    failed, result = run(run_module, [item(A, state='loaded')])
    assert not failed and result['results'][0]['steps'] == ['insmod']
    assert not kernel.path('/var/lib/kpatch').check() and not kernel.path(WANTS).check()


def test_an_entry_without_kernel_or_with_the_running_one_is_for_the_running_kernel(kernel, run_module):
    patch_files(kernel, A, B)
    failed, result = run(run_module, [item(A), item(B, kernel=TK4)])
    assert not failed and result['patched'] == [A, B]
    assert [entry['kernel'] for entry in result['results']] == [TK4, TK4]


def test_an_entry_for_another_kernel_is_skipped_with_its_reason(kernel, run_module):
    patch_files(kernel, A)
    failed, result = run(run_module, [item(OLD, kernel=TK3, src='/var/tmp/not-here.ko'), item(A)])
    assert not failed and result['patched'] == [A]
    reason = '%s skipped: built for kernel %s, the host runs %s' % (OLD, TK3, TK4)
    assert result['skipped_patches'] == [{'name': OLD, 'kernel': TK3, 'reason': reason}]
    assert result['results'][0] == {'name': OLD, 'kernel': TK3, 'state': 'installed', 'steps': [],
                                    'outcome': 'skipped'}
    assert [command for command in kernel.commands if 'not-here' in ' '.join(command)] == []
    assert result['msg'] == 'kernel %s: 1 patch changed (%s), 0 unchanged, 1 skipped (%s for %s)' % (TK4, A, OLD, TK3)


def test_a_list_only_for_other_kernels_changes_nothing(kernel, run_module, snapshot):
    before = snapshot(kernel.root)
    failed, result = run(run_module, [item(OLD, kernel=TK3)])
    assert not failed and result['changed'] is False and kernel.commands == []
    assert [entry['name'] for entry in result['skipped_patches']] == [OLD]
    assert snapshot(kernel.root) == before


def test_the_installed_copy_is_loaded_when_src_is_omitted(kernel, run_module):
    patch_files(kernel, A)
    apply(kernel, run_module, [item(A)])
    kernel.reboot()
    failed, result = run(run_module, [{'name': A}])
    assert not failed and result['results'][0]['steps'] == ['insmod']
    assert kmod(kernel) == [['insmod', installed(kernel, A)]]


@BOTH_KERNELS
def test_absent_unloads_removes_the_copy_and_the_last_boot_unit(kernel, run_module):
    patch_files(kernel, A, B)
    apply(kernel, run_module, [item(A), item(B)])
    failed, result = run(run_module, [item(A, state='absent'), item(B, state='absent')])
    assert not failed, result['msg']
    assert [entry['steps'] for entry in result['results']] == [['disable', 'rmmod', 'remove'],
                                                               ['disable', 'rmmod', 'remove', 'unboot']]
    assert active(kernel) == [] and A not in kernel.loaded() and B not in kernel.loaded()
    for path in (installed(kernel, A), installed(kernel, B), livepatch.OWN_UNIT_PATH, livepatch.OWN_SCRIPT_PATH,
                 WANTS + livepatch.OWN_UNIT):
        assert not os.path.lexists(str(kernel.path(path))), path
    # The copies were saved before they were removed, and the backups deleted once the run went through.
    assert not kernel.path(BACKUP_DIR).check() and not kernel.path('/var/lib/tencentos-fleet').check()


def test_absent_keeps_the_boot_unit_while_the_list_installs_another(kernel, run_module):
    patch_files(kernel, A, B)
    apply(kernel, run_module, [item(A)])
    failed, result = run(run_module, [item(B), item(A, state='absent')])
    assert not failed
    assert result_of(result, A)['steps'] == ['disable', 'rmmod', 'remove']
    assert os.path.islink(str(kernel.path(WANTS + livepatch.OWN_UNIT)))


def test_disabled_keeps_the_installed_copy(kernel, run_module):
    patch_files(kernel, A)
    apply(kernel, run_module, [item(A)])
    failed, result = run(run_module, [item(A, state='disabled')])
    assert not failed and result['results'][0]['steps'] == ['disable', 'rmmod']
    assert active(kernel) == [] and kernel.read(installed(kernel, A)) == kernel.read(src(A))


def test_a_changed_src_replaces_the_copy_and_the_backup_is_deleted_after_success(kernel, run_module):
    patch_files(kernel, A)
    apply(kernel, run_module, [item(A)])
    kernel.patch_file(src(A), name=A, build=2)
    failed, result = run(run_module, [item(A)])
    assert not failed and result['results'][0]['steps'] == ['copy']
    assert kernel.read(installed(kernel, A)) == patch_text(A, TK4, build=2)
    assert kmod(kernel) == [] and not kernel.path('/var/lib/tencentos-fleet').check()


# ---------------------------------------------------------------------------
# Check mode and diff mode
# ---------------------------------------------------------------------------

def test_check_mode_predicts_every_step_and_changes_nothing(kernel, run_module, snapshot):
    patch_files(kernel, A, B)
    apply(kernel, run_module, [item(A)])
    before = snapshot(kernel.root)
    failed, result = run(run_module, [item(A, state='absent'), item(B), item(C, state='disabled')],
                         _ansible_check_mode=True)
    assert not failed and result['changed'] is True
    assert [(entry['name'], entry['steps'], entry['outcome']) for entry in result['results']] == [
        (A, ['disable', 'rmmod', 'remove'], 'patched'), (B, ['insmod', 'copy'], 'patched'), (C, [], 'unchanged')]
    assert kernel.commands == [['modinfo', src(B)]] and kernel.writes == [] and kernel.written == []
    assert snapshot(kernel.root) == before
    assert result['msg'] == 'kernel %s: 2 patches would change (%s, %s), 1 unchanged (%s), 0 skipped' % (
        TK4, A, B, C)


def test_check_mode_predicts_the_load_of_a_src_not_yet_on_the_host(kernel, run_module, snapshot):
    before = snapshot(kernel.root)
    failed, result = run(run_module, [item(A)], _ansible_check_mode=True)
    assert not failed and result['results'][0]['steps'] == ['insmod', 'copy', 'boot']
    assert kernel.commands == [] and snapshot(kernel.root) == before


@TK3_CORE_MODULE
def test_check_mode_predicts_one_kpatch_core_load_for_the_first_kpatch_format_patch(kernel, run_module, snapshot):
    patch_files(kernel, A, B, patch_format='kpatch')
    before = snapshot(kernel.root)
    failed, result = run(run_module, [item(A), item(B)], _ansible_check_mode=True)
    assert not failed
    assert [entry['steps'] for entry in result['results']] == [['modprobe', 'insmod', 'copy', 'boot'],
                                                               ['insmod', 'copy']]
    assert kmod(kernel) == [['modprobe', '--dry-run', 'kpatch']]
    assert snapshot(kernel.root) == before


def test_diff_shows_each_patch_active_and_installed_before_and_after(kernel, run_module):
    patch_files(kernel, A, B)
    apply(kernel, run_module, [item(A)])
    patches = [item(A, state='absent'), item(B)]
    failed, result = run(run_module, patches, _ansible_diff=True, _ansible_check_mode=True)
    expected = {'before': {A: {'active': True, 'installed': installed(kernel, A)},
                           B: {'active': False, 'installed': None}},
                'after': {A: {'active': False, 'installed': None},
                          B: {'active': True, 'installed': installed(kernel, B)}}}
    assert not failed and result['diff'] == expected
    failed, result = run(run_module, patches, _ansible_diff=True)
    assert not failed and result['diff'] == expected


# ---------------------------------------------------------------------------
# Refused before anything changes
# ---------------------------------------------------------------------------

def test_every_problem_of_every_entry_is_refused_together_before_any_change(kernel, run_module, snapshot):
    kernel.patch_file(src(A), name='livepatch_other')
    kernel.patch_file(src(B), name=B, kernel='5.4.119-19-0010.1')
    patch_files(kernel, C)
    kernel.path(installed(kernel, C)).ensure(dir=True)
    before = snapshot(kernel.root)
    failed, result = run(run_module, [
        item('livepatch fix'),
        item(A),
        item(B),
        {'name': OLD, 'state': 'loaded'},
        item('livepatch-cve-2026-0005', src='/var/tmp/missing.ko'),
        item('livepatch_cve_2026_0005', state='absent'),
        item(C),
        item('livepatch_x', kernel=TK3),
    ])
    assert failed and result['changed'] is False
    assert result['msg'].split(' | ') == [
        "patches[0] (livepatch fix): name: 'livepatch fix' is not a kernel module name (1 to 55 letters, digits, "
        '"_" or "-")',
        "patches[1] (%s): src: %s is the module 'livepatch_other', not '%s' (name must be the module name modinfo "
        'prints)' % (A, src(A), A),
        "patches[2] (%s): src: %s was built for kernel 5.4.119-19-0010.1 (vermagic '5.4.119-19-0010.1 SMP "
        "mod_unload modversions'); the running kernel is %s" % (B, src(B), TK4),
        'patches[3] (%s): src: required to load %s, which is not installed for kernel %s (no %s)'
        % (OLD, OLD, TK4, installed(kernel, OLD)),
        'patches[4] (livepatch-cve-2026-0005): src: /var/tmp/missing.ko is not a file on the host',
        'patches[5] (livepatch_cve_2026_0005): the same patch as patches[4] (livepatch-cve-2026-0005) for kernel %s '
        '(dashes and underscores are the same): list it once' % TK4,
        'patches[6] (%s): %s is in the way of the installed copy: it is not a file; nothing was changed'
        % (C, installed(kernel, C)),
    ]
    assert result['failed_patch'] == 'livepatch fix'
    assert kmod(kernel) == [] and kernel.writes == [] and kernel.written == []
    assert snapshot(kernel.root) == before
    assert [entry['outcome'] for entry in result['results']] == ['unchanged'] * 7 + ['skipped']


def test_refusals_name_the_list_as_the_caller_says(kernel, run_module):
    """A role passes the variable its list comes from, so that a refusal names what its user set."""
    failed, result = run(run_module, [item(A), item('livepatch fix')], list_name='tencentos_hotpatch_patches')
    assert failed and result['changed'] is False
    assert result['msg'].startswith("tencentos_hotpatch_patches[0] (%s): src: " % A)
    assert " | tencentos_hotpatch_patches[1] (livepatch fix): name: 'livepatch fix' is not" in result['msg']


def test_a_link_at_the_installed_path_is_in_the_way(kernel, run_module):
    patch_files(kernel, A)
    kernel.file('/var/tmp/elsewhere.ko', 'kept elsewhere')
    kernel.path(installed(kernel, A)).dirpath().ensure(dir=True)
    os.symlink(str(kernel.path('/var/tmp/elsewhere.ko')), str(kernel.path(installed(kernel, A))))
    failed, result = run(run_module, [item(A)])
    assert failed and result['msg'] == ('patches[0] (%s): %s is in the way of the installed copy: it is a symbolic '
                                        'link; nothing was changed' % (A, installed(kernel, A)))
    assert kmod(kernel) == [] and kernel.read('/var/tmp/elsewhere.ko') == 'kept elsewhere'


def test_another_patch_in_transition_refuses_the_list(kernel, run_module, snapshot):
    patch_files(kernel, A, OLD)
    kernel.stall = set(['patch'])
    assert kernel.insmod(str(kernel.path(src(OLD))))[0] == 0
    kernel.stall = set()
    kernel.commands = []
    before = snapshot(kernel.root)
    failed, result = run(run_module, [item(A)])
    assert failed and result['msg'] == (
        'patch %s is in transition: the kernel runs one transition at a time; wait for it or see docs/hotpatch.md, '
        '"A stalled transition"; nothing was changed' % OLD)
    assert result['failed_patch'] is None
    assert kmod(kernel) == [] and snapshot(kernel.root) == before


def test_kmod_commands_missing_are_found_before_the_kernel_is_touched(kernel, run_module, snapshot):
    patch_files(kernel, A)
    kernel.binaries.discard('rmmod')
    before = snapshot(kernel.root)
    failed, result = run(run_module, [item(A)])
    assert failed and result['msg'] == 'rmmod not found: install the kmod package; nothing was changed'
    assert kmod(kernel) == [] and snapshot(kernel.root) == before


def test_modinfo_missing_is_one_problem_for_the_whole_list(kernel, run_module):
    patch_files(kernel, A, B)
    kernel.binaries.discard('modinfo')
    failed, result = run(run_module, [item(A), item(B)])
    assert failed and result['msg'] == 'modinfo not found: install the kmod package; nothing was changed'
    assert kernel.commands == []


def test_kpatch_format_patch_on_a_kernel_without_a_kpatch_core_module_is_refused(kernel, run_module, snapshot):
    patch_files(kernel, A)
    patch_files(kernel, B, patch_format='kpatch')
    before = snapshot(kernel.root)
    failed, result = run(run_module, [item(A), item(B)])
    assert failed and result['msg'] == (
        'patches[1] (%s): src: %s is a kpatch-format patch (it depends on the kpatch core module kpatch), and kernel '
        '%s has no kpatch core module to load (modprobe --dry-run kpatch: modprobe: FATAL: Module kpatch not found in '
        'directory /lib/modules/%s); nothing was changed' % (B, src(B), TK4, TK4))
    assert kmod(kernel) == [['modprobe', '--dry-run', 'kpatch']] and snapshot(kernel.root) == before


@pytest.mark.parametrize('args, message', [
    ({'timeout': 0}, 'timeout: 0 is not allowed (seconds, at least 1); nothing was changed'),
])
def test_bad_timeout_is_refused(kernel, run_module, args, message):
    patch_files(kernel, A)
    failed, result = run(run_module, [item(A)], **args)
    assert failed and result['msg'] == message and kernel.commands == []


def test_unreadable_running_kernel_is_refused(kernel, run_module):
    kernel.path('/proc/sys/kernel/osrelease').remove()
    failed, result = run(run_module, [item(A)])
    assert failed and result['msg'] == ('cannot read the running kernel from /proc/sys/kernel/osrelease; nothing '
                                        'was changed')


# ---------------------------------------------------------------------------
# Undone as a whole
# ---------------------------------------------------------------------------

@BOTH_KERNELS
def test_the_third_patch_stalling_takes_the_first_two_out_newest_first_and_persists_nothing(kernel, run_module):
    patch_files(kernel, A, B, C)
    kernel.stall = set([(C, 'patch')])
    kernel.task(4242, 'nfsd', 0)
    before = kernel.state()
    failed, result = run(run_module, [item(A), item(B), item(C)], timeout=5)
    assert failed and result['failed_patch'] == C and result['rolled_back'] == [B, A]
    assert kmod(kernel) == [['insmod', src(A)], ['insmod', src(B)], ['insmod', src(C)], ['rmmod', C],
                            ['rmmod', B], ['rmmod', A]]
    assert kernel.writes == [('/sys/kernel/livepatch/%s/enabled' % name, '0') for name in (C, B, A)]
    assert result['msg'] == (
        'patches[2] (%s): %s: the transition to patched did not complete in 5 s (enabled=1 transition=1); tasks not '
        'yet switched: 4242 (nfsd); disabled (reversed in 0.2 s) and unloaded: the kernel is as before; rolled back: '
        '%s, %s (newest first); patches active before the run and not changed by it were left alone' % (C, C, B, A))
    assert kernel.written == [] and kernel.state() == before
    assert result['patches'] == [] and result['changed'] is False
    assert [entry['outcome'] for entry in result['results']] == ['unchanged', 'unchanged', 'failed']
    assert result['patched'] == [] and result['unchanged'] == [A, B]


def test_a_patch_active_before_the_run_stays_active_after_a_rollback(kernel, run_module):
    patch_files(kernel, OLD, A, B)
    kernel.load(src(OLD))
    kernel.stall = set([(B, 'patch')])
    failed, result = run(run_module, [item(OLD, state='loaded'), item(A), item(B)], timeout=3)
    assert failed and result['rolled_back'] == [A]
    assert active(kernel) == [OLD] and A not in kernel.loaded()
    assert [patch['name'] for patch in result['patches']] == [OLD]
    assert ['rmmod', OLD] not in kernel.commands


@pytest.mark.parametrize('kernel', [(TK3, 'livepatch')], indirect=True)
def test_a_4_14_patch_the_run_enabled_again_is_disabled_again_on_rollback(kernel, run_module):
    patch_files(kernel, A, B)
    kernel.load(src(A))
    kernel.disable(A)
    kernel.stall = set([(B, 'patch')])
    kernel.writes = []
    failed, result = run(run_module, [item(A, state='loaded'), item(B, state='loaded')], timeout=3)
    assert failed and result['results'][0]['steps'] == ['enable'] and result['rolled_back'] == [A]
    assert kernel.attributes(A) == {'enabled': '0', 'transition': '0', 'force': '0'}
    assert A in kernel.loaded() and ['rmmod', A] not in kernel.commands


def test_a_failure_while_persisting_puts_back_a_replaced_copy_byte_for_byte(kernel, run_module):
    # Before: A installed and active (its first build), the boot unit enabled.
    patch_files(kernel, A, B, C)
    apply(kernel, run_module, [item(A)])
    old_copy = kernel.read(installed(kernel, A))
    before = kernel.state()
    # The run: C new, A's second build (replaces the copy; the running A is not reloaded), B new, whose copy
    # cannot be written.
    kernel.patch_file(src(A), name=A, build=2)
    kernel.full = set([installed(kernel, B)])
    failed, result = run(run_module, [item(C), item(A), item(B)])
    assert failed and result['failed_patch'] == B
    assert [entry['steps'] for entry in result['results']] == [['insmod', 'copy'], ['copy'], ['insmod', 'copy']]
    # A's copy is the first build again, byte for byte and with its mode; C's copy, made by this run, is gone.
    assert kernel.read(installed(kernel, A)) == old_copy == patch_text(A, TK4, build=1)
    assert mode(kernel, installed(kernel, A)) == 0o644
    assert not kernel.path(installed(kernel, C)).check()
    # C and B, loaded by this run, are unloaded, B first; A, active before and not reloaded, stays.
    assert kmod(kernel, 'rmmod') == [['rmmod', B], ['rmmod', C]]
    assert active(kernel) == [A]
    assert result['rolled_back'] == [B, A, C]
    # The host is as before, but for A's src file, and the backups are deleted.
    after = kernel.state()
    assert after.pop(src(A)) == ('file', patch_text(A, TK4, build=2).encode('utf-8'))
    before.pop(src(A))
    assert after == before
    assert not kernel.path('/var/lib/tencentos-fleet').check()
    assert result['msg'].startswith(
        'patches[2] (%s): copy of %s failed: [Errno 28] No space left on device' % (B, B))
    assert result['msg'].endswith('; rolled back: %s, %s, %s (newest first); patches active before the run and not '
                                  'changed by it were left alone' % (B, A, C))
    assert [entry['outcome'] for entry in result['results']] == ['unchanged', 'unchanged', 'failed']


def test_a_copy_kpatch_install_kept_with_dashes_is_put_back_too(kernel, run_module):
    dashed = '/var/lib/kpatch/%s/livepatch-cve-2026-0001.ko' % TK4
    kernel.file(dashed, patch_text(A, TK4, build=7))
    patch_files(kernel, A, B)
    before = kernel.state()
    kernel.full = set([installed(kernel, B)])
    failed, result = run(run_module, [item(A), item(B)])
    assert failed and result['results'][0]['steps'] == ['insmod', 'copy', 'boot']
    assert kernel.state() == before
    assert kernel.read(dashed) == patch_text(A, TK4, build=7)


def test_a_failure_in_the_boot_unit_removes_the_copies_of_the_run(kernel, run_module):
    patch_files(kernel, A, B)
    before = kernel.state()
    kernel.full = set([livepatch.OWN_UNIT_PATH])
    failed, result = run(run_module, [item(A), item(B)])
    assert failed and result['failed_patch'] == A and result['rolled_back'] == [B, A]
    assert result['msg'].startswith('patches[0] (%s): boot of %s failed: [Errno 28] No space left' % (A, A))
    # The script was written before the unit failed: it is removed again, with the directories made for it.
    assert kernel.state() == before


def test_a_removed_copy_is_put_back_when_a_later_entry_fails(kernel, run_module):
    patch_files(kernel, A, B, C)
    apply(kernel, run_module, [item(A), item(B)])
    before = kernel.state()
    kernel.full = set([installed(kernel, C)])
    failed, result = run(run_module, [item(A, state='absent'), item(C)])
    assert failed and result['failed_patch'] == C
    assert kernel.read(installed(kernel, A)) == kernel.read(src(A))
    # A was taken out as asked; an undo does not load it again (its copy is back for the next boot).
    assert A not in kernel.loaded() and C not in kernel.loaded() and active(kernel) == [B]
    assert result['msg'].endswith('; taken out as asked and left out: %s; patches active before the run and not '
                                  'changed by it were left alone' % A)
    assert result_of(result, A)['outcome'] == 'patched' and result['patched'] == [A] and result['changed'] is True
    after = kernel.state()
    for path in set(before) | set(after):
        if not path.startswith('/sys/kernel/livepatch/%s' % A) and path != '/proc/modules':
            assert after.get(path) == before.get(path), path


def test_an_unforeseen_error_is_undone_as_well(kernel, run_module, monkeypatch):
    patch_files(kernel, A, B)
    before = kernel.state()
    real_read_bytes = livepatch_host.read_bytes

    def read_bytes(path):
        if path.endswith(src(B)):
            raise RuntimeError('a bug')
        return real_read_bytes(path)

    monkeypatch.setattr(livepatch_host, 'read_bytes', read_bytes)
    failed, result = run(run_module, [item(A), item(B)])
    assert failed and result['failed_patch'] == B and result['rolled_back'] == [B, A]
    assert result['msg'].startswith('patches[1] (%s): RuntimeError: a bug; rolled back' % B)
    assert kernel.state() == before


def test_a_patch_another_one_replaced_fails_the_verification_and_both_are_undone(kernel, run_module):
    patch_files(kernel, A, B)
    kernel.replacing = set([B])
    failed, result = run(run_module, [item(A), item(B)])
    assert failed and result['failed_patch'] == A
    assert result['msg'].startswith(
        "patches[0] (%s): after the list, kernel %s has %s not active (the kernel's view: %s enabled=1 transition=0); "
        'rolled back: %s, %s (newest first)' % (A, TK4, A, B, B, A))
    assert kernel.loaded() & set([A, B]) == set() and result['patches'] == []
    assert kernel.written == []


@TK3_CORE_MODULE
def test_kpatch_format_patch_gets_the_core_loaded_and_on_failure_the_core_unloaded_again(kernel, run_module):
    patch_files(kernel, A, patch_format='kpatch')
    patch_files(kernel, B)
    kernel.stall = set([(B, 'patch')])
    before = kernel.state()
    failed, result = run(run_module, [item(A), item(B)], timeout=3)
    assert failed and result['failed_patch'] == B
    assert result['results'][0]['steps'] == ['modprobe', 'insmod', 'copy', 'boot']
    assert kmod(kernel) == [['modprobe', '--dry-run', 'kpatch'], ['modprobe', 'kpatch'], ['insmod', src(A)],
                            ['insmod', src(B)], ['rmmod', B], ['rmmod', A], ['rmmod', 'kpatch']]
    assert 'kpatch' not in kernel.loaded() and not kernel.path('/sys/kernel/kpatch').check()
    assert result['msg'].endswith('; rolled back: %s (newest first); the kpatch core module this run loaded was '
                                  'unloaded again; patches active before the run and not changed by it were left '
                                  'alone' % A)
    assert kernel.state() == before


@TK3_CORE_MODULE
def test_kpatch_format_patches_load_the_core_once_and_persist(kernel, run_module):
    patch_files(kernel, A, B, patch_format='kpatch')
    failed, result = run(run_module, [item(A), item(B)])
    assert not failed, result['msg']
    assert kmod(kernel) == [['modprobe', '--dry-run', 'kpatch'], ['modprobe', 'kpatch'], ['insmod', src(A)],
                            ['insmod', src(B)]]
    assert [patch['abi'] for patch in result['patches']] == ['kpatch', 'kpatch']
    assert kernel.read(livepatch.OWN_SCRIPT_PATH) == livepatch.OWN_SCRIPT


# ---------------------------------------------------------------------------
# An undo that cannot finish says what is left where
# ---------------------------------------------------------------------------

def test_a_stalled_reversal_in_the_undo_is_reported_and_the_rest_still_undone(kernel, run_module):
    patch_files(kernel, A, B, C)
    kernel.stall = set([(C, 'patch'), (A, 'unpatch')])
    failed, result = run(run_module, [item(A), item(B), item(C)], timeout=3)
    assert failed and result['rolled_back'] == [B]
    assert ('; NOT rolled back: %s, loaded by this run: %s: the transition to unpatched did not complete in 3 s '
            '(enabled=0 transition=1); left as it is: never forced; see docs/hotpatch.md, "A stalled transition"'
            % (A, A)) in result['msg']
    assert B not in kernel.loaded() and kernel.attributes(A) == {'enabled': '0', 'transition': '1', 'force': '0'}
    assert result['changed'] is True and result_of(result, A)['outcome'] == 'patched'


def test_a_copy_that_cannot_be_put_back_is_reported_with_its_backup_which_is_kept(kernel, run_module):
    patch_files(kernel, A, B)
    apply(kernel, run_module, [item(A)])
    kernel.patch_file(src(A), name=A, build=2)
    # B's copy fills the disk: A's first build cannot be written back.
    kernel.fills_disk = installed(kernel, B)
    failed, result = run(run_module, [item(A), item(B)])
    assert failed and result['failed_patch'] == B
    backups = kernel.path(BACKUP_DIR).listdir()
    assert len(backups) == 1
    run_dir = '%s/%s' % (BACKUP_DIR, backups[0].basename)
    saved = '%s/1-%s.ko' % (run_dir, A)
    assert kernel.read(saved) == patch_text(A, TK4, build=1)
    assert kernel.read(run_dir + '/MANIFEST') == '%s 0644 1-%s.ko\n' % (installed(kernel, A), A)
    assert ('; NOT rolled back: copy of %s: %s: its earlier content is in %s (mode 0644) (putting it back failed: '
            '[Errno 28] No space left on device' % (A, installed(kernel, A), saved)) in result['msg']
    assert result['msg'].endswith('; the backups are kept in %s (its MANIFEST says where each file belongs)'
                                  % run_dir)
    # B is unloaded all the same; the kept backups are not in kpatch's layout, so nothing loads them at boot.
    assert B not in kernel.loaded() and active(kernel) == [A]
    assert livepatch.installed_files(kernel.root) == [(TK4, A)]
