# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The livepatch module against a fake kernel: a host tree (/proc, /sys/kernel/livepatch or kpatch,
/var/lib/kpatch, systemd's directories) on which modinfo, modprobe, insmod and rmmod act as kmod, the
kernel's live patch core and the kpatch core module do (facts sheet sections 4 and 8, docs/hotpatch.md)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import stat

import pytest

from ansible_collections.tencentos.fleet.plugins.module_utils import livepatch, livepatch_host
from ansible_collections.tencentos.fleet.plugins.modules import livepatch as livepatch_module

# The fake kernel and the `kernel` fixture: fake_kernel.py and conftest.py beside this file.
from fake_kernel import BOTH_KERNELS, INSTALLED, NAME, SRC, TK3, TK3_CORE_MODULE, TK4, WANTS, patch_text


def run(run_module, **args):
    args.setdefault('name', NAME)
    return run_module(livepatch_module, args)


def patch_view(registered=True, enabled=True, transition=False, module_loaded=True, installed=None,
               abi='livepatch'):
    return {'name': NAME, 'abi': abi if registered else None, 'registered': registered, 'enabled': enabled,
            'transition': transition, 'module_loaded': module_loaded, 'installed': installed}


NOT_THERE = patch_view(registered=False, enabled=False, module_loaded=False)


def install(kernel, run_module):
    kernel.patch_file()
    failed, result = run(run_module, src=SRC, state='installed')
    assert not failed and result['steps'] == ['insmod', 'copy', 'boot']
    kernel.commands = []
    kernel.writes = []


def mode(kernel, path):
    return stat.S_IMODE(os.stat(str(kernel.path(path))).st_mode)


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------

@BOTH_KERNELS
def test_load_inserts_the_patch_and_returns_once_its_transition_completed(kernel, run_module):
    kernel.patch_file()
    failed, result = run(run_module, src=SRC)
    assert not failed and result['changed'] is True
    assert result['steps'] == ['insmod']
    assert kernel.commands == [['modinfo', SRC], ['insmod', SRC]]
    assert kernel.attributes() == {'enabled': '1', 'transition': '0', 'force': '0'}
    assert NAME in kernel.loaded()
    assert result['before'] == NOT_THERE
    assert result['patch'] == patch_view()
    assert result['patches'] == [{'name': NAME, 'abi': 'livepatch', 'enabled': True, 'transition': False}]
    assert (result['name'], result['kernel'], result['boot_unit']) == (NAME, kernel.release, None)
    assert (result['patch_format'], result['kpatch_core']) == ('livepatch', 'not_needed')
    # state=loaded leaves the next boots alone.
    assert not kernel.path('/var/lib/kpatch').check()
    assert not kernel.path(WANTS).check()


def test_loading_again_changes_nothing_and_runs_only_modinfo(kernel, run_module, snapshot):
    kernel.patch_file()
    assert run(run_module, src=SRC)[1]['changed'] is True
    kernel.commands = []
    before = snapshot(kernel.root)
    failed, result = run(run_module, src=SRC)
    assert not failed and result['changed'] is False and result['steps'] == []
    assert kernel.commands == [['modinfo', SRC]]
    assert result['before'] == result['patch'] == patch_view()
    assert snapshot(kernel.root) == before


def test_dashes_in_name_are_the_kernels_underscores(kernel, run_module):
    kernel.patch_file(name='livepatch-cve-2026-1234')
    failed, result = run(run_module, name='livepatch-cve-2026-1234', src=SRC)
    assert not failed and result['name'] == NAME and result['steps'] == ['insmod']
    assert kernel.attributes()['enabled'] == '1'


def test_wrong_vermagic_fails_naming_both_kernels_and_changes_nothing(kernel, run_module, snapshot):
    kernel.patch_file(kernel='5.4.119-19-0010.1')
    before = snapshot(kernel.root)
    failed, result = run(run_module, src=SRC)
    assert failed and result['changed'] is False
    assert result['msg'] == ("src: %s was built for kernel 5.4.119-19-0010.1 (vermagic '5.4.119-19-0010.1 SMP "
                             "mod_unload modversions'); the running kernel is %s; nothing was changed" % (SRC, TK4))
    assert kernel.commands == [['modinfo', SRC]]
    assert snapshot(kernel.root) == before


def test_module_of_another_name_fails_before_any_change(kernel, run_module, snapshot):
    kernel.patch_file(name='livepatch_cve_2026_9999')
    before = snapshot(kernel.root)
    failed, result = run(run_module, src=SRC, state='installed')
    assert failed and result['changed'] is False
    assert result['msg'] == ("src: %s is the module 'livepatch_cve_2026_9999', not '%s' (name must be the module "
                             "name modinfo prints); nothing was changed" % (SRC, NAME))
    assert kernel.commands == [['modinfo', SRC]]
    assert snapshot(kernel.root) == before


def test_file_modinfo_cannot_read_fails_before_any_change(kernel, run_module, snapshot):
    kernel.file(SRC, '\x7fELF truncated')
    before = snapshot(kernel.root)
    failed, result = run(run_module, src=SRC)
    assert failed and result['msg'] == ("src: modinfo cannot read %s: modinfo: ERROR: could not get modinfo from "
                                        "'%s': Exec format error; nothing was changed" % (SRC, NAME))
    assert snapshot(kernel.root) == before


def test_module_that_registers_no_patch_is_unloaded_and_fails(kernel, run_module):
    kernel.patch_file(patch_format=None)
    failed, result = run(run_module, src=SRC, timeout=2)
    assert failed
    assert result['msg'] == ('%s loaded but registered no patch below /sys/kernel/livepatch or /sys/kernel/kpatch '
                             'within 2 s (not a live patch module?); unloaded it' % NAME)
    assert kernel.commands == [['modinfo', SRC], ['insmod', SRC], ['rmmod', NAME]]
    assert NAME not in kernel.loaded()


@pytest.mark.parametrize('kernel', [(TK3, 'livepatch')], indirect=True)
def test_kept_disabled_patch_of_a_4_14_kernel_is_enabled_again(kernel, run_module):
    kernel.patch_file()
    kernel.load()
    kernel.disable()
    assert kernel.attributes() == {'enabled': '0', 'transition': '0', 'force': '0'}
    kernel.writes = []
    failed, result = run(run_module, src=SRC)
    assert not failed and result['steps'] == ['enable']
    assert result['before'] == patch_view(enabled=False)
    assert kernel.commands == [['modinfo', SRC]]
    assert kernel.writes == [('/sys/kernel/livepatch/%s/enabled' % NAME, '1')]
    assert kernel.attributes() == {'enabled': '1', 'transition': '0', 'force': '0'}
    assert result['patch'] == patch_view()


def test_module_left_loaded_by_a_5_x_kernel_is_removed_before_insmod(kernel, run_module):
    kernel.patch_file()
    kernel.load()
    kernel.disable()
    assert kernel.patch_dir() is None and NAME in kernel.loaded()
    failed, result = run(run_module, src=SRC)
    assert not failed and result['steps'] == ['rmmod', 'insmod']
    assert result['before'] == patch_view(registered=False, enabled=False)
    assert kernel.commands == [['modinfo', SRC], ['rmmod', NAME], ['insmod', SRC]]
    assert kernel.attributes()['enabled'] == '1' and result['patch'] == patch_view()


@pytest.mark.parametrize('kernel', [(TK3, 'kpatch'), (TK3, 'both')], indirect=True, ids=['kpatch', 'both'])
def test_kpatch_format_patch_with_the_core_built_in_is_loaded_and_disabled_without_transitions(kernel, run_module):
    kernel.patch_file(patch_format='kpatch')
    failed, result = run(run_module, src=SRC)
    assert not failed and result['steps'] == ['insmod']
    assert (result['patch_format'], result['kpatch_core']) == ('kpatch', 'already_loaded')
    assert kernel.commands == [['modinfo', SRC], ['insmod', SRC]]
    assert result['patches'] == [{'name': NAME, 'abi': 'kpatch', 'enabled': True, 'transition': False}]
    assert kernel.read('/sys/kernel/kpatch/%s/enabled' % NAME) == '1\n'
    failed, result = run(run_module, state='disabled')
    assert not failed and result['steps'] == ['disable', 'rmmod']
    assert (result['patch_format'], result['kpatch_core']) == (None, 'not_needed')
    assert kernel.patch_dir() is None and NAME not in kernel.loaded()
    assert kernel.writes == [('/sys/kernel/kpatch/%s/enabled' % NAME, '0')]


# ---------------------------------------------------------------------------
# kpatch-format patches: the kpatch core module first (facts sheet section 8)
# ---------------------------------------------------------------------------

@TK3_CORE_MODULE
def test_kpatch_format_patch_gets_the_kpatch_core_module_loaded_first(kernel, run_module, snapshot):
    kernel.patch_file(patch_format='kpatch')
    failed, result = run(run_module, src=SRC)
    assert not failed and result['changed'] is True
    assert result['steps'] == ['modprobe', 'insmod']
    assert (result['patch_format'], result['kpatch_core']) == ('kpatch', 'loaded_by_this_run')
    assert kernel.commands == [['modinfo', SRC], ['modprobe', '--dry-run', 'kpatch'], ['modprobe', 'kpatch'],
                               ['insmod', SRC]]
    assert 'kpatch' in kernel.loaded() and NAME in kernel.loaded()
    assert result['patch'] == patch_view(abi='kpatch')
    assert result['patches'] == [{'name': NAME, 'abi': 'kpatch', 'enabled': True, 'transition': False}]
    kernel.commands = []
    before = snapshot(kernel.root)
    failed, result = run(run_module, src=SRC)
    assert not failed and result['changed'] is False and result['steps'] == []
    assert result['kpatch_core'] == 'already_loaded' and kernel.commands == [['modinfo', SRC]]
    assert snapshot(kernel.root) == before


@TK3_CORE_MODULE
def test_without_its_core_a_kpatch_format_patch_does_not_load(kernel):
    # What the module guards against: the fake kernel refuses as a real one does (section 8).
    kernel.patch_file(patch_format='kpatch')
    assert kernel.insmod(str(kernel.path(SRC))) == (
        1, '', 'insmod: ERROR: could not insert module %s: Unknown symbol in module\n' % kernel.path(SRC))


@TK3_CORE_MODULE
def test_livepatch_format_patch_does_not_load_the_kpatch_core(kernel, run_module):
    kernel.patch_file()
    failed, result = run(run_module, src=SRC)
    assert not failed and result['steps'] == ['insmod']
    assert (result['patch_format'], result['kpatch_core']) == ('livepatch', 'not_needed')
    assert 'kpatch' not in kernel.loaded() and not kernel.path('/sys/kernel/kpatch').check()


@pytest.mark.parametrize('check_mode', [False, True], ids=['run', 'check'])
def test_kpatch_format_patch_on_a_kernel_without_a_kpatch_core_module_is_refused_before_any_change(
        kernel, run_module, snapshot, check_mode):
    kernel.patch_file(patch_format='kpatch')
    before = snapshot(kernel.root)
    failed, result = run(run_module, src=SRC, state='installed', _ansible_check_mode=check_mode)
    assert failed and result['changed'] is False
    assert result['msg'] == (
        'src: %s is a kpatch-format patch (it depends on the kpatch core module kpatch), and kernel %s has no '
        'kpatch core module to load (modprobe --dry-run kpatch: modprobe: FATAL: Module kpatch not found in '
        'directory /lib/modules/%s); nothing was changed' % (SRC, TK4, TK4))
    assert (result['patch_format'], result['kpatch_core']) == ('kpatch', 'would_be_loaded')
    assert kernel.commands == [['modinfo', SRC], ['modprobe', '--dry-run', 'kpatch']]
    assert snapshot(kernel.root) == before


@pytest.mark.parametrize('kernel', [(TK3, 'kpatch')], indirect=True)
def test_livepatch_format_patch_on_a_kernel_without_the_livepatch_core_is_refused_before_any_change(
        kernel, run_module, snapshot):
    kernel.patch_file()
    before = snapshot(kernel.root)
    failed, result = run(run_module, src=SRC)
    assert failed and result['msg'] == (
        'src: %s is a livepatch-format patch (modinfo livepatch: Y), and kernel %s has no /sys/kernel/livepatch '
        '(no livepatch core): it cannot be loaded; nothing was changed' % (SRC, TK3))
    assert kernel.commands == [['modinfo', SRC]]
    assert snapshot(kernel.root) == before


@TK3_CORE_MODULE
def test_check_mode_predicts_the_kpatch_core_load_and_changes_nothing(kernel, run_module, snapshot):
    kernel.patch_file(patch_format='kpatch')
    before = snapshot(kernel.root)
    failed, result = run(run_module, src=SRC, state='installed', _ansible_check_mode=True)
    assert not failed and result['steps'] == ['modprobe', 'insmod', 'copy', 'boot']
    assert (result['patch_format'], result['kpatch_core']) == ('kpatch', 'would_be_loaded')
    assert kernel.commands == [['modinfo', SRC], ['modprobe', '--dry-run', 'kpatch']]
    assert snapshot(kernel.root) == before


@TK3_CORE_MODULE
def test_modprobe_missing_is_found_before_the_kernel_is_touched(kernel, run_module, snapshot):
    kernel.patch_file(patch_format='kpatch')
    kernel.binaries.discard('modprobe')
    before = snapshot(kernel.root)
    failed, result = run(run_module, src=SRC)
    assert failed and result['msg'] == 'modprobe not found: install the kmod package; nothing was changed'
    assert kernel.commands == [['modinfo', SRC]]
    assert snapshot(kernel.root) == before


@TK3_CORE_MODULE
def test_a_patch_that_fails_after_the_core_was_loaded_takes_the_core_out_again(kernel, run_module):
    kernel.patch_file(patch_format='kpatch')
    kernel.insmod_refusal = 'Required key not available'
    failed, result = run(run_module, src=SRC)
    assert failed and result['msg'] == (
        'insmod %s failed: insmod: ERROR: could not insert module %s: Required key not available; nothing was '
        'loaded; the kpatch core module this task loaded was unloaded again' % (SRC, kernel.path(SRC)))
    assert kernel.commands[-3:] == [['modprobe', 'kpatch'], ['insmod', SRC], ['rmmod', 'kpatch']]
    assert result['kpatch_core'] == 'unloaded_after_failure'
    assert 'kpatch' not in kernel.loaded() and not kernel.path('/sys/kernel/kpatch').check()


@TK3_CORE_MODULE
def test_a_core_module_that_cannot_be_taken_out_again_is_reported_loaded(kernel, run_module):
    kernel.patch_file(patch_format='kpatch')
    kernel.insmod_refusal = 'Required key not available'
    kernel.rmmod_in_use = 100
    failed, result = run(run_module, src=SRC)
    assert failed and result['msg'].endswith('; nothing was loaded; the kpatch core module this task loaded stays '
                                             'loaded (rmmod kpatch failed: rmmod: ERROR: Module kpatch is in use)')
    assert result['kpatch_core'] == 'loaded_by_this_run' and 'kpatch' in kernel.loaded()


@TK3_CORE_MODULE
def test_a_core_module_that_shows_no_sysfs_is_taken_out_again(kernel, run_module):
    kernel.patch_file(patch_format='kpatch')
    kernel.core_without_sysfs = True
    failed, result = run(run_module, src=SRC)
    assert failed and result['msg'] == ('modprobe kpatch succeeded but /sys/kernel/kpatch did not appear: not the '
                                        'kpatch core module?; the kpatch core module this task loaded was unloaded '
                                        'again')
    assert 'insmod' not in [command[0] for command in kernel.commands]
    assert 'kpatch' not in kernel.loaded() and result['kpatch_core'] == 'unloaded_after_failure'


@TK3_CORE_MODULE
def test_installed_kpatch_format_patch_loads_with_its_core_after_a_reboot(kernel, run_module):
    kernel.patch_file(patch_format='kpatch')
    failed, result = run(run_module, src=SRC, state='installed')
    assert not failed and result['steps'] == ['modprobe', 'insmod', 'copy', 'boot']
    installed = '/var/lib/kpatch/%s/%s.ko' % (TK3, NAME)
    kernel.reboot()
    assert 'kpatch' not in kernel.loaded()
    kernel.commands = []
    failed, result = run(run_module, state='installed')
    assert not failed and result['steps'] == ['modprobe', 'insmod']
    assert kernel.commands == [['modinfo', installed], ['modprobe', '--dry-run', 'kpatch'], ['modprobe', 'kpatch'],
                               ['insmod', installed]]
    assert result['kpatch_core'] == 'loaded_by_this_run'


@TK3_CORE_MODULE
def test_kpatch_format_patch_gets_the_own_boot_unit_even_where_kpatch_service_is_installed(kernel, run_module):
    # dynup's `kpatch load` would not load the core on a kernel with /sys/kernel/livepatch.
    kernel.binaries.add('kpatch')
    kernel.file('/usr/lib/systemd/system/kpatch.service', '[Service]\nExecStart=/usr/sbin/kpatch load --all\n')
    kernel.patch_file(patch_format='kpatch')
    failed, result = run(run_module, src=SRC, state='installed')
    assert not failed and result['boot_unit'] == livepatch.OWN_UNIT
    assert os.readlink(str(kernel.path(WANTS + livepatch.OWN_UNIT))) == livepatch.OWN_UNIT_PATH
    assert kernel.read(livepatch.OWN_SCRIPT_PATH) == livepatch.OWN_SCRIPT


@TK3_CORE_MODULE
def test_unloading_a_kpatch_format_patch_leaves_the_core_loaded(kernel, run_module):
    kernel.patch_file(patch_format='kpatch')
    assert run(run_module, src=SRC)[0] is False
    kernel.commands = []
    failed, result = run(run_module, state='absent')
    assert not failed and result['steps'] == ['disable', 'rmmod']
    assert kernel.commands == [['rmmod', NAME]] and result['kpatch_core'] == 'not_needed'
    assert NAME not in kernel.loaded() and 'kpatch' in kernel.loaded()


# ---------------------------------------------------------------------------
# Stalled transitions: reversed, never forced
# ---------------------------------------------------------------------------

@BOTH_KERNELS
def test_stalled_transition_is_reversed_and_unloaded_never_forced(kernel, run_module):
    kernel.patch_file()
    kernel.stall = set(['patch'])
    kernel.task(4242, 'nfsd', 0)
    kernel.task(4243, 'bash', 1)
    failed, result = run(run_module, src=SRC, timeout=5)
    assert failed and result['changed'] is True and result['steps'] == ['insmod']
    assert result['msg'] == ('%s: the transition to patched did not complete in 5 s (enabled=1 transition=1); '
                             'tasks not yet switched: 4242 (nfsd); disabled (reversed in 0.2 s) and unloaded: '
                             'the kernel is as before' % NAME)
    assert kernel.writes == [('/sys/kernel/livepatch/%s/enabled' % NAME, '0')]
    assert kernel.commands == [['modinfo', SRC], ['insmod', SRC], ['rmmod', NAME]]
    assert kernel.patch_dir() is None and NAME not in kernel.loaded()
    assert result['patch'] == NOT_THERE and result['patches'] == []


def test_stalled_reversal_is_left_loaded_and_never_forced(kernel, run_module):
    kernel.patch_file()
    kernel.stall = set(['patch', 'unpatch'])
    failed, result = run(run_module, src=SRC, timeout=5)
    assert failed
    assert result['msg'] == ('%s: the transition to patched did not complete in 5 s (enabled=1 transition=1); '
                             'disabled, but the reversal did not complete in 5 s either: the patch is left loaded '
                             'and in transition, never forced; see docs/hotpatch.md, "A stalled transition"' % NAME)
    assert kernel.attributes() == {'enabled': '0', 'transition': '1', 'force': '0'}
    assert NAME in kernel.loaded()
    assert kernel.writes == [('/sys/kernel/livepatch/%s/enabled' % NAME, '0')]
    assert 'rmmod' not in [command[0] for command in kernel.commands]
    assert result['patch'] == patch_view(enabled=False, transition=True)
    assert result['patches'] == [{'name': NAME, 'abi': 'livepatch', 'enabled': False, 'transition': True}]


@pytest.mark.parametrize('kernel', [(TK3, 'livepatch')], indirect=True)
def test_stalled_re_enable_of_a_4_14_patch_is_disabled_again_and_stays_loaded(kernel, run_module):
    kernel.patch_file()
    kernel.load()
    kernel.disable()
    kernel.stall = set(['patch'])
    failed, result = run(run_module, src=SRC, timeout=3)
    assert failed and result['steps'] == ['enable']
    assert result['msg'].endswith('; disabled again (reversed in 0.2 s): the kernel is as before')
    assert kernel.attributes() == {'enabled': '0', 'transition': '0', 'force': '0'}
    assert NAME in kernel.loaded() and 'rmmod' not in [command[0] for command in kernel.commands]


def test_stalled_removal_is_left_as_it_is_and_never_forced(kernel, run_module):
    kernel.patch_file()
    kernel.load()
    kernel.stall = set(['unpatch'])
    failed, result = run(run_module, state='disabled', timeout=4)
    assert failed and result['steps'] == ['disable', 'rmmod']
    assert result['msg'] == ('%s: the transition to unpatched did not complete in 4 s (enabled=0 transition=1); '
                             'left as it is: never forced; see docs/hotpatch.md, "A stalled transition"' % NAME)
    assert kernel.attributes() == {'enabled': '0', 'transition': '1', 'force': '0'}
    assert kernel.commands == [] and NAME in kernel.loaded()


def test_host_refuses_to_write_force(kernel):
    kernel.patch_file()
    kernel.load()
    host = livepatch_host.Host(None, kernel.root, NAME, TK4, 5)
    with pytest.raises(ValueError):
        host.write_attribute('force', '1')
    assert kernel.attributes()['force'] == '0' and kernel.writes == []


def test_rmmod_is_retried_while_the_kernel_still_holds_the_module(kernel, run_module):
    kernel.patch_file()
    kernel.load()
    kernel.rmmod_in_use = 2
    failed, result = run(run_module, state='disabled')
    assert not failed and result['steps'] == ['disable', 'rmmod']
    assert kernel.commands == [['rmmod', NAME]] * 3
    assert NAME not in kernel.loaded()


def test_rmmod_refused_for_good_fails_with_its_error(kernel, run_module):
    kernel.patch_file()
    kernel.load()
    kernel.rmmod_in_use = 100
    failed, result = run(run_module, state='disabled')
    assert failed and result['msg'] == 'rmmod %s failed: rmmod: ERROR: Module %s is in use' % (NAME, NAME)
    assert len(kernel.commands) == livepatch_host.RMMOD_ATTEMPTS


# ---------------------------------------------------------------------------
# One transition at a time
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('state, loaded_before', [('loaded', False), ('installed', False), ('disabled', True),
                                                  ('absent', True)])
def test_another_patch_in_transition_is_refused_with_nothing_changed(kernel, run_module, snapshot, state,
                                                                     loaded_before):
    kernel.patch_file()
    if loaded_before:
        kernel.load()
    kernel.patch_file('/var/tmp/livepatch_other.ko', name='livepatch_other')
    kernel.stall = set(['patch'])
    assert kernel.insmod(str(kernel.path('/var/tmp/livepatch_other.ko')))[0] == 0
    kernel.stall = set()
    kernel.commands = []
    before = snapshot(kernel.root)
    failed, result = run(run_module, src=SRC, state=state)
    assert failed and result['changed'] is False
    assert result['msg'] == ('patch livepatch_other is in transition: the kernel runs one transition at a time; '
                             'wait for it or see docs/hotpatch.md, "A stalled transition"; nothing was changed')
    assert [command[0] for command in kernel.commands if command[0] != 'modinfo'] == []
    assert snapshot(kernel.root) == before


# ---------------------------------------------------------------------------
# Installed: a copy in kpatch's layout and a boot unit
# ---------------------------------------------------------------------------

@BOTH_KERNELS
def test_installed_keeps_a_copy_and_enables_the_own_boot_unit(kernel, run_module, snapshot):
    kernel.patch_file()
    failed, result = run(run_module, src=SRC, state='installed')
    assert not failed and result['changed'] is True
    assert result['steps'] == ['insmod', 'copy', 'boot']
    assert result['boot_unit'] == 'tencentos-fleet-livepatch.service'
    installed = '/var/lib/kpatch/%s/%s.ko' % (kernel.release, NAME)
    assert result['patch'] == patch_view(installed=installed)
    assert kernel.read(installed) == kernel.read(SRC) and mode(kernel, installed) == 0o644
    assert kernel.read(livepatch.OWN_UNIT_PATH) == livepatch.OWN_UNIT_TEXT
    assert mode(kernel, livepatch.OWN_UNIT_PATH) == 0o644
    assert kernel.read(livepatch.OWN_SCRIPT_PATH) == livepatch.OWN_SCRIPT
    assert mode(kernel, livepatch.OWN_SCRIPT_PATH) == 0o755
    assert os.readlink(str(kernel.path(WANTS + livepatch.OWN_UNIT))) == livepatch.OWN_UNIT_PATH
    assert kernel.commands == [['modinfo', SRC], ['insmod', SRC]]
    # No staging file is left beside what was written.
    assert os.listdir(str(kernel.path('/var/lib/kpatch/' + kernel.release))) == [NAME + '.ko']
    kernel.commands = []
    before = snapshot(kernel.root)
    failed, result = run(run_module, src=SRC, state='installed')
    assert not failed and result['changed'] is False and result['steps'] == []
    assert kernel.commands == [['modinfo', SRC]]
    assert snapshot(kernel.root) == before


def test_installed_with_the_kpatch_cli_enables_kpatch_service(kernel, run_module):
    kernel.binaries.add('kpatch')
    unit = '/usr/lib/systemd/system/kpatch.service'
    kernel.file(unit, '[Service]\nExecStart=/usr/sbin/kpatch load --all\n\n[Install]\nWantedBy=multi-user.target\n')
    kernel.patch_file()
    failed, result = run(run_module, src=SRC, state='installed')
    assert not failed and result['steps'] == ['insmod', 'copy', 'boot']
    assert result['boot_unit'] == 'kpatch.service'
    assert os.readlink(str(kernel.path(WANTS + 'kpatch.service'))) == unit
    assert os.listdir(str(kernel.path(WANTS))) == ['kpatch.service']
    assert not kernel.path(livepatch.OWN_UNIT_PATH).check() and not kernel.path(livepatch.OWN_SCRIPT_PATH).check()
    assert kernel.read(INSTALLED) == kernel.read(SRC)
    failed, result = run(run_module, src=SRC, state='installed')
    assert not failed and result['changed'] is False


def test_something_in_the_way_of_the_copy_is_refused_before_the_load(kernel, run_module):
    kernel.patch_file()
    kernel.path(INSTALLED).ensure(dir=True)
    failed, result = run(run_module, src=SRC, state='installed')
    assert failed and result['msg'] == ('%s is in the way of the installed copy: it is not a file; nothing was '
                                        'changed' % INSTALLED)
    assert result['name'] == NAME and kernel.commands == [['modinfo', SRC]] and kernel.writes == []
    assert kernel.patch_dir() is None and kernel.path(INSTALLED).check(dir=True)


def test_changed_src_of_an_installed_patch_is_only_copied(kernel, run_module):
    install(kernel, run_module)
    kernel.patch_file(build=2)
    failed, result = run(run_module, src=SRC, state='installed')
    assert not failed and result['steps'] == ['copy']
    assert kernel.read(INSTALLED) == patch_text(NAME, TK4, build=2)
    assert kernel.commands == [['modinfo', SRC]] and kernel.writes == []
    assert kernel.attributes()['enabled'] == '1'


def test_boot_unit_changed_by_hand_is_put_back(kernel, run_module):
    install(kernel, run_module)
    kernel.path(livepatch.OWN_SCRIPT_PATH).chmod(0o644)
    failed, result = run(run_module, src=SRC, state='installed')
    assert not failed and result['steps'] == ['boot']
    assert mode(kernel, livepatch.OWN_SCRIPT_PATH) == 0o755


def test_installed_copy_is_loaded_when_src_is_omitted(kernel, run_module):
    install(kernel, run_module)
    kernel.reboot()
    failed, result = run(run_module, state='installed')
    assert not failed and result['steps'] == ['insmod']
    assert kernel.commands == [['modinfo', INSTALLED], ['insmod', INSTALLED]]
    assert result['patch'] == patch_view(installed=INSTALLED)
    failed, result = run(run_module, state='loaded')
    assert not failed and result['changed'] is False


# ---------------------------------------------------------------------------
# Disabled and absent
# ---------------------------------------------------------------------------

@BOTH_KERNELS
def test_rmmod_missing_is_found_before_the_patch_is_disabled(kernel, run_module):
    install(kernel, run_module)
    kernel.binaries.discard('rmmod')
    failed, result = run(run_module, state='disabled')
    assert failed and result['msg'] == 'rmmod not found: install the kmod package; nothing was changed'
    assert kernel.writes == [] and kernel.patch_dir() is not None
    assert result['name'] == NAME and result['before']['enabled'] is True


@BOTH_KERNELS
def test_disabled_unloads_and_keeps_the_installed_copy(kernel, run_module):
    install(kernel, run_module)
    installed = '/var/lib/kpatch/%s/%s.ko' % (kernel.release, NAME)
    failed, result = run(run_module, state='disabled')
    assert not failed and result['steps'] == ['disable', 'rmmod']
    assert kernel.writes == [('/sys/kernel/livepatch/%s/enabled' % NAME, '0')]
    assert kernel.commands == [['rmmod', NAME]]
    assert kernel.patch_dir() is None and NAME not in kernel.loaded()
    assert result['patch'] == patch_view(registered=False, enabled=False, module_loaded=False, installed=installed)
    assert kernel.path(installed).check(file=True) and kernel.path(livepatch.OWN_UNIT_PATH).check(file=True)
    failed, result = run(run_module, state='disabled')
    assert not failed and result['changed'] is False


@BOTH_KERNELS
def test_absent_unloads_removes_the_copy_and_the_last_boot_unit(kernel, run_module):
    install(kernel, run_module)
    failed, result = run(run_module, state='absent')
    assert not failed and result['steps'] == ['disable', 'rmmod', 'remove', 'unboot']
    assert kernel.commands == [['rmmod', NAME]]
    assert kernel.patch_dir() is None and NAME not in kernel.loaded()
    assert not kernel.path('/var/lib/kpatch/%s/%s.ko' % (kernel.release, NAME)).check()
    for path in (livepatch.OWN_UNIT_PATH, livepatch.OWN_SCRIPT_PATH, WANTS + livepatch.OWN_UNIT):
        assert not os.path.lexists(str(kernel.path(path)))
    assert result['patch'] == NOT_THERE
    failed, result = run(run_module, state='absent')
    assert not failed and result['changed'] is False and result['steps'] == []


def test_absent_removes_a_copy_kpatch_install_kept_with_dashes(kernel, run_module):
    dashed = '/var/lib/kpatch/%s/livepatch-cve-2026-1234.ko' % TK4
    kernel.file(dashed, patch_text(NAME, TK4))
    failed, result = run(run_module, state='absent')
    assert not failed and result['before']['installed'] == dashed and result['steps'] == ['remove']
    assert not kernel.path(dashed).check() and result['patch'] == NOT_THERE


def test_installed_replaces_a_different_copy_kept_with_dashes(kernel, run_module):
    dashed = '/var/lib/kpatch/%s/livepatch-cve-2026-1234.ko' % TK4
    kernel.file(dashed, patch_text(NAME, TK4, build=2))
    kernel.patch_file()
    failed, result = run(run_module, src=SRC, state='installed')
    assert not failed and 'copy' in result['steps']
    assert kernel.read(INSTALLED) == patch_text(NAME, TK4) and not kernel.path(dashed).check()
    failed, result = run(run_module, src=SRC, state='installed')
    assert not failed and result['changed'] is False


@pytest.mark.parametrize('other', ['/var/lib/kpatch/%s/livepatch_old.ko' % TK3,
                                   '/var/lib/kpatch/%s/livepatch_other.ko' % TK4])
def test_absent_keeps_the_boot_unit_while_another_installed_patch_remains(kernel, run_module, other):
    install(kernel, run_module)
    kernel.file(other, patch_text('livepatch_old', TK3))
    failed, result = run(run_module, state='absent')
    assert not failed and result['steps'] == ['disable', 'rmmod', 'remove']
    assert not kernel.path(INSTALLED).check() and kernel.path(other).check(file=True)
    assert kernel.read(livepatch.OWN_UNIT_PATH) == livepatch.OWN_UNIT_TEXT
    assert os.path.islink(str(kernel.path(WANTS + livepatch.OWN_UNIT)))


def test_absent_leaves_kpatch_service_alone(kernel, run_module):
    kernel.binaries.add('kpatch')
    kernel.file('/usr/lib/systemd/system/kpatch.service', '[Unit]\n')
    install(kernel, run_module)
    failed, result = run(run_module, state='absent')
    assert not failed and result['steps'] == ['disable', 'rmmod', 'remove']
    assert os.path.islink(str(kernel.path(WANTS + 'kpatch.service')))


def test_absent_of_an_installed_patch_not_loaded_only_removes_it(kernel, run_module):
    install(kernel, run_module)
    kernel.reboot()
    failed, result = run(run_module, state='absent')
    assert not failed and result['steps'] == ['remove', 'unboot']
    assert kernel.commands == [] and kernel.writes == []


# ---------------------------------------------------------------------------
# Check mode and diff mode
# ---------------------------------------------------------------------------

def test_check_mode_predicts_the_steps_and_changes_nothing(kernel, run_module, snapshot):
    kernel.patch_file()
    before = snapshot(kernel.root)
    failed, result = run(run_module, src=SRC, state='installed', _ansible_check_mode=True)
    assert not failed and result['changed'] is True
    assert result['steps'] == ['insmod', 'copy', 'boot']
    assert result['patch'] == result['before'] == NOT_THERE
    assert kernel.commands == [['modinfo', SRC]] and kernel.writes == []
    assert snapshot(kernel.root) == before


def test_check_mode_of_absent_predicts_every_step_and_changes_nothing(kernel, run_module, snapshot):
    install(kernel, run_module)
    before = snapshot(kernel.root)
    failed, result = run(run_module, state='absent', _ansible_check_mode=True)
    assert not failed and result['steps'] == ['disable', 'rmmod', 'remove', 'unboot']
    assert kernel.commands == [] and kernel.writes == []
    assert snapshot(kernel.root) == before


def test_check_mode_predicts_the_load_of_a_src_not_yet_on_the_host(kernel, run_module, snapshot):
    before = snapshot(kernel.root)
    failed, result = run(run_module, src=SRC, state='installed', _ansible_check_mode=True)
    assert not failed and result['steps'] == ['insmod', 'copy', 'boot']
    assert kernel.commands == []
    assert snapshot(kernel.root) == before


def test_diff_shows_whether_the_patch_is_active_and_where_it_is_installed(kernel, run_module):
    kernel.patch_file()
    failed, result = run(run_module, src=SRC, state='installed', _ansible_diff=True)
    assert not failed
    assert result['diff'] == {'before': {'active': False, 'installed': None},
                              'after': {'active': True, 'installed': INSTALLED}}
    failed, result = run(run_module, state='disabled', _ansible_diff=True, _ansible_check_mode=True)
    assert result['diff'] == {'before': {'active': True, 'installed': INSTALLED},
                              'after': {'active': False, 'installed': INSTALLED}}
    failed, result = run(run_module, state='absent', _ansible_diff=True)
    assert not failed
    assert result['diff'] == {'before': {'active': True, 'installed': INSTALLED},
                              'after': {'active': False, 'installed': None}}


# ---------------------------------------------------------------------------
# Refused before anything
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('kernel', [(TK4, None)], indirect=True)
@pytest.mark.parametrize('patch_format, message', [
    ('livepatch', 'src: %s is a livepatch-format patch (modinfo livepatch: Y), and kernel %s has no '
                  '/sys/kernel/livepatch (no livepatch core): it cannot be loaded; nothing was changed' % (SRC, TK4)),
    (None, 'kernel %s has neither /sys/kernel/livepatch nor /sys/kernel/kpatch: it cannot be hot patched; '
           'nothing was changed' % TK4),
])
def test_kernel_without_a_hot_patch_interface_fails_before_anything(kernel, run_module, snapshot, patch_format,
                                                                    message):
    kernel.patch_file(patch_format=patch_format)
    before = snapshot(kernel.root)
    failed, result = run(run_module, src=SRC)
    assert failed and result['changed'] is False
    assert result['msg'] == message
    assert kernel.commands == [['modinfo', SRC]]
    assert snapshot(kernel.root) == before


@pytest.mark.parametrize('kernel', [(TK4, None)], indirect=True)
def test_kernel_without_a_hot_patch_interface_fails_in_check_mode_for_a_src_not_there_yet(kernel, run_module):
    failed, result = run(run_module, src=SRC, _ansible_check_mode=True)
    assert failed and result['msg'] == ('kernel %s has neither /sys/kernel/livepatch nor /sys/kernel/kpatch: it '
                                        'cannot be hot patched; nothing was changed' % TK4)
    assert kernel.commands == [] and result['patch_format'] is None


@pytest.mark.parametrize('args, message', [
    ({'name': 'livepatch fix'}, "name: 'livepatch fix' is not a kernel module name"),
    ({'name': 'x' * 56}, "name: '%s' is not a kernel module name" % ('x' * 56)),
    ({'timeout': 0}, 'timeout: 0 is not allowed (seconds, at least 1); nothing was changed'),
    ({'timeout': -5}, 'timeout: -5 is not allowed'),
])
def test_bad_parameter_fails_naming_it(kernel, run_module, args, message):
    kernel.patch_file()
    failed, result = run(run_module, src=SRC, **args)
    assert failed and result['msg'].startswith(message) and result['msg'].endswith('; nothing was changed')
    assert kernel.commands == []


def test_no_src_and_not_installed_fails_naming_src(kernel, run_module):
    failed, result = run(run_module, state='installed')
    assert failed
    assert result['msg'] == ('src: required to load %s, which is not installed for kernel %s (no %s); nothing '
                             'was changed' % (NAME, TK4, INSTALLED))
    assert kernel.commands == []


def test_src_missing_on_the_host_fails_naming_it(kernel, run_module):
    failed, result = run(run_module, src=SRC)
    assert failed and result['msg'] == 'src: %s is not a file on the host; nothing was changed' % SRC
    assert kernel.commands == []


def test_kmod_missing_fails_naming_the_package(kernel, run_module):
    kernel.patch_file()
    kernel.binaries.discard('modinfo')
    failed, result = run(run_module, src=SRC)
    assert failed and result['msg'] == 'modinfo not found: install the kmod package; nothing was changed'
    assert kernel.commands == []


def test_unreadable_running_kernel_fails(kernel, run_module):
    kernel.path('/proc/sys/kernel/osrelease').remove()
    failed, result = run(run_module, state='absent')
    assert failed and result['msg'] == ('cannot read the running kernel from /proc/sys/kernel/osrelease; '
                                        'nothing was changed')
