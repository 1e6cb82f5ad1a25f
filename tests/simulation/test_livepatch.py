# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The livepatch simulation, on the first livepatch host whose kernel keeps a disabled patch (< 5.1) and the first
whose kernel frees it (>= 5.1): a test patch (make-patch.sh) loads, its transition completes, rmmod is refused
while it is enabled, disabling it completes, rmmod unloads it, a wrong vermagic is refused, a stalled transition
stays stalled and reverses (molecule/resources/README.md, "Livepatch simulation")."""

import types

import pytest

import simulated

DIR = '/tmp/tencentos-fleet-test-livepatch'
LOG = '/var/log/tencentos-sim/livepatch.log'
STALL = '/etc/tencentos-sim/livepatch-stall'
MODULES = '/run/tencentos-sim/modules'
PATCH = '/sys/kernel/livepatch/livepatch_verify'
LINE = 'livepatch_verify 16384 1 - Live 0x0000000000000000 (OEK)'
# Conditions, in the host's shell, on what the patch left.
LISTED = ('grep -qxF "%s" %s && { [ ! -e /proc/modules ] || grep -qxF "%s" /proc/modules; } '
          '&& [ "$(cat /sys/module/livepatch_verify/initstate)" = live ]' % (LINE, MODULES, LINE))
UNLISTED = '! grep -q "^livepatch_verify " %s && [ ! -e /sys/module/livepatch_verify ] && [ ! -e %s ]' % (MODULES, PATCH)
COMPLETED = '[ "$(cat %s/transition)" = 0 ]' % PATCH
# Read in the same podman exec as the command before it (`COMMAND; READ_STATE`): a transition completes 0.2-0.4 s
# after it started.
READ_STATE = ('for f in enabled transition force; do echo "$f=$(cat %s/$f 2>/dev/null)"; done; '
              '[ -d "%s/vmlinux/cmdline_proc_show,1" ] && echo "function=cmdline_proc_show,1"' % (PATCH, PATCH))


def patch_state(output):
    """READ_STATE's output as a dict."""
    return dict(line.split('=', 1) for line in output.splitlines() if '=' in line)


def disabled(sim):
    """A disabled patch: freed (its directory gone) on kernels >= 5.1, kept with enabled 0 before."""
    if sim.frees_disabled_patch:
        return '[ ! -e %s ]' % PATCH
    return '[ "$(cat %s/enabled)" = 0 ] && [ "$(cat %s/transition)" = 0 ]' % (PATCH, PATCH)


def disable_and_wait(sim):
    """Writes 0 to enabled, then waits 2 s at most for the unpatching to complete, read from the log lines after
    the write (until the worker starts it, within 0.2 s, transition still reads 0) and the patch disabled."""
    return sim.host.run('mark=$(wc -l < %s); echo 0 > %s/enabled; %s' % (
        LOG, PATCH, simulated.within(2, '{ tail -n +$((mark + 1)) %s | grep -q "transition livepatch_verify unpatch completed$" && %s; }'
                                     % (LOG, disabled(sim)))))


def in_dir(sim, command):
    return sim.host.run('cd %s && %s' % (DIR, command))


def log_lines(sim):
    return sim.host.run('cat %s' % LOG).stdout.splitlines()


@pytest.fixture(scope='module', params=simulated.LIVEPATCH_HOSTS, ids=[sim.name for sim in simulated.LIVEPATCH_HOSTS])
def patch_run(request, tmp_path_factory):
    """A test patch for the host's kernel loaded, disabled, unloaded, a wrong one refused, then loaded with its
    transition stalled and reversed; what each step showed. Nothing is left behind, whatever failed."""
    sim = simulated.running(request.param)
    host = sim.host
    made = tmp_path_factory.mktemp('patches')
    simulated.put_file(sim, DIR + '/verify.ko', simulated.make_patch('livepatch_verify', sim.kernel, made / 'verify.ko'))
    simulated.put_file(sim, DIR + '/wrong.ko', simulated.make_patch('livepatch_verify_wrong', '0.0.1-verify.sim', made / 'wrong.ko'))
    seen = types.SimpleNamespace(sim=sim)
    log_start = len(log_lines(sim))
    host.run('rm -f %s' % STALL)
    try:
        seen.vermagic = in_dir(sim, 'modinfo -F vermagic verify.ko').stdout.strip()
        seen.modinfo = in_dir(sim, 'modinfo verify.ko').stdout.splitlines()
        seen.insmod = in_dir(sim, 'insmod verify.ko >&2; rc=$?; %s; exit $rc' % READ_STATE)
        seen.started = patch_state(seen.insmod.stdout)
        seen.completed = host.run(simulated.within(2, COMPLETED))
        seen.listed = host.run(LISTED)
        seen.lsmod = host.run('lsmod').stdout.splitlines()
        seen.insmod_again = in_dir(sim, 'insmod verify.ko')
        seen.rmmod_enabled = host.run('rmmod livepatch_verify')
        seen.unpatched = disable_and_wait(sim)
        seen.rmmod = host.run('rmmod livepatch_verify')
        seen.unloaded = host.run(UNLISTED)
        seen.insmod_wrong = in_dir(sim, 'insmod wrong.ko')
        seen.wrong_left = host.run('[ -e /sys/kernel/livepatch/livepatch_verify_wrong ] || grep -q ^livepatch_verify_wrong %s' % MODULES)
        host.run('echo livepatch_verify > %s' % STALL)
        seen.stalled = in_dir(sim, 'insmod verify.ko >/dev/null 2>&1; sleep 1; cat %s/transition' % PATCH).stdout.strip()
        seen.rmmod_stalled = host.run('rmmod livepatch_verify')
        seen.reversed = disable_and_wait(sim)
        seen.rmmod_reversed = host.run('rmmod livepatch_verify')
        host.run('rm -f %s' % STALL)
        seen.log = log_lines(sim)[log_start:]
    finally:
        host.run('rm -f %s; if [ -e %s ] && [ "$(cat %s/enabled)" = 1 ]; then echo 0 > %s/enabled; fi; %s; rm -rf %s' % (
            STALL, PATCH, PATCH, PATCH,
            simulated.within(2, '{ ! grep -q "^livepatch_verify " %s || rmmod livepatch_verify 2>/dev/null; }' % MODULES), DIR))
    return seen


def refused(result, message):
    return result.rc != 0 and message in result.stderr


def test_modinfo_reads_the_vermagic_of_the_kernel_it_was_made_for(patch_run):
    assert patch_run.vermagic == '%s SMP mod_unload modversions' % patch_run.sim.kernel


def test_modinfo_prints_the_absolute_filename(patch_run):
    assert 'filename:       %s/verify.ko' % DIR in patch_run.modinfo


def test_insmod_loads_a_test_patch_for_the_running_kernel(patch_run):
    assert patch_run.insmod.rc == 0, patch_run.insmod.stderr


def test_insmod_registers_the_patch_and_starts_its_transition(patch_run):
    assert patch_run.started == {'enabled': '1', 'transition': '1', 'force': '0', 'function': 'cmdline_proc_show,1'}


def test_the_transition_completes_within_2_s(patch_run):
    assert patch_run.completed.rc == 0


def test_the_loaded_patch_is_listed_as_loaded(patch_run):
    assert patch_run.listed.rc == 0, 'not listed as "%s", or /sys/module/livepatch_verify/initstate not live' % LINE


def test_lsmod_lists_the_loaded_patch(patch_run):
    assert [line for line in patch_run.lsmod if line.split() == ['livepatch_verify', '16384', '1']]


def test_insmod_of_a_loaded_patch_is_refused(patch_run):
    assert refused(patch_run.insmod_again, 'could not insert module verify.ko: File exists'), patch_run.insmod_again.stderr


def test_rmmod_is_refused_while_the_patch_is_enabled(patch_run):
    assert refused(patch_run.rmmod_enabled, 'Module livepatch_verify is in use'), patch_run.rmmod_enabled.stderr


def test_disabling_unpatches_and_frees_the_patch_from_5_1_or_keeps_it_before(patch_run):
    assert patch_run.unpatched.rc == 0, 'not unpatched and %s within 2 s' % (
        'freed (>= 5.1: directory gone)' if patch_run.sim.frees_disabled_patch else 'kept disabled (< 5.1)')


def test_rmmod_unloads_the_disabled_patch(patch_run):
    assert patch_run.rmmod.rc == 0, patch_run.rmmod.stderr


def test_an_unloaded_patch_is_neither_listed_nor_in_sysfs(patch_run):
    assert patch_run.unloaded.rc == 0


def test_a_patch_for_another_kernel_is_refused(patch_run):
    assert refused(patch_run.insmod_wrong, 'could not insert module wrong.ko: Invalid module format'), patch_run.insmod_wrong.stderr


def test_nothing_is_created_for_a_refused_patch(patch_run):
    assert patch_run.wrong_left.rc != 0


def test_a_stalled_patching_transition_stays_in_transition(patch_run):
    assert patch_run.stalled == '1'


def test_the_log_records_the_stall_once(patch_run):
    assert len([line for line in patch_run.log if line.endswith('transition livepatch_verify patch stalled')]) == 1


def test_rmmod_is_refused_during_the_transition(patch_run):
    assert refused(patch_run.rmmod_stalled, 'is in use'), patch_run.rmmod_stalled.stderr


def test_disabling_reverses_a_stalled_transition_within_2_s(patch_run):
    assert patch_run.reversed.rc == 0


def test_rmmod_unloads_the_reversed_patch(patch_run):
    assert patch_run.rmmod_reversed.rc == 0, patch_run.rmmod_reversed.stderr


def test_the_log_records_every_call_and_transition(patch_run):
    log = '\n'.join(patch_run.log)
    assert 'insmod verify.ko -> 0 loaded livepatch_verify' in log
    assert 'transition livepatch_verify unpatch completed' in log


def test_force_is_never_written(patch_run):
    assert not [line for line in patch_run.log if 'FORCE WRITTEN' in line]
