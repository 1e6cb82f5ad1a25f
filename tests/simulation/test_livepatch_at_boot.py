# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An enabled unit loads a test patch at boot (the boot simulation's systemd stand-in), and the patch loaded before
the reboot is gone after it (molecule/resources/README.md, "Boot units"). On the second livepatch host of
test_livepatch.py (the first whose kernel frees a disabled patch), so that the first host of fleet.yml, which
test_reboot.py reboots, is not rebooted again."""

import types

import pytest

import simulated

UNIT = 'tencentos-fleet-verify-livepatch.service'
UNIT_FILE = '/etc/systemd/system/' + UNIT
UNIT_LINK = '/etc/systemd/system/multi-user.target.wants/' + UNIT
# Not under /var/lib/kpatch: the collection's own unit, if a demo left one, loads every patch there.
STORE = '/var/lib/tencentos-fleet-verify-livepatch'
OLD = '/tmp/livepatch_verify_old.ko'
# The shape of the collection's own unit: $$ is systemd's escape of $.
EXEC_START = ("/bin/sh -c 'read -r k < /proc/sys/kernel/osrelease; "
              "for m in %s/$$k/*.ko; do insmod \"$$m\" || exit 1; echo \"loaded $$m\"; done'" % STORE)
UNIT_TEXT = ('''# tests/simulation/test_livepatch_at_boot.py: removed again at the end of the test
[Unit]
Description=Load the test patches of the running kernel (tests/simulation)
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=%s
[Install]
WantedBy=multi-user.target
''' % EXEC_START).encode()


@pytest.fixture(scope='module')
def boot_with_unit(tmp_path_factory):
    """A patch loaded, a unit enabled that loads another one, a reboot; what the host showed after it. The unit,
    the patches and their files are removed again whatever happened, and what is left is read after that."""
    sim = simulated.running(simulated.LIVEPATCH_HOSTS[-1])
    host = sim.host
    made = tmp_path_factory.mktemp('boot-patches')
    seen = types.SimpleNamespace(sim=sim)
    try:
        simulated.put_file(sim, '%s/%s/livepatch_verify_boot.ko' % (STORE, sim.kernel),
                           simulated.make_patch('livepatch_verify_boot', sim.kernel, made / 'boot.ko'))
        simulated.put_file(sim, OLD, simulated.make_patch('livepatch_verify_old', sim.kernel, made / 'old.ko'))
        host.check_output('insmod %s', OLD)
        simulated.put_file(sim, UNIT_FILE, UNIT_TEXT)
        host.check_output('ln -sf ../%s %s', UNIT, UNIT_LINK)
        seen.reboot = simulated.reboot(sim, 'reboot')
        seen.units_log = host.run('cat /var/log/tencentos-sim/units.log').stdout.splitlines()
        seen.boot_patch = host.run("grep -q '^livepatch_verify_boot ' /run/tencentos-sim/modules && %s" % simulated.within(
            2, '[ "$(cat /sys/kernel/livepatch/livepatch_verify_boot/transition 2>/dev/null)" = 0 ]'))
        seen.old_patch_gone = host.run("! grep -q '^livepatch_verify_old ' /run/tencentos-sim/modules "
                                       "&& [ ! -e /sys/kernel/livepatch/livepatch_verify_old ]")
    finally:
        host.run('rm -f %s %s %s' % (UNIT_LINK, UNIT_FILE, OLD))
        # rmmod is refused until the unpatching transition that the write starts (within 0.2 s) completed.
        for name in ('livepatch_verify_boot', 'livepatch_verify_old'):
            host.run('p=/sys/kernel/livepatch/%s; [ ! -e $p ] || echo 0 > $p/enabled; %s' % (name, simulated.within(
                2, "{ ! grep -q '^%s ' /run/tencentos-sim/modules || rmmod %s 2>/dev/null; }" % (name, name))))
        host.run('rm -rf %s' % STORE)
    seen.left = host.run("[ ! -e %s ] && [ ! -e %s ] && [ ! -e %s ] && ! grep -q '^livepatch_verify' /run/tencentos-sim/modules"
                         % (UNIT_FILE, UNIT_LINK, STORE))
    return seen


def test_the_host_reboots_with_an_enabled_unit_that_loads_a_patch(boot_with_unit):
    assert boot_with_unit.reboot.back, 'not back after %.1f s' % boot_with_unit.reboot.seconds


def test_the_unit_ran_at_this_boot_with_exit_0(boot_with_unit):
    assert [line for line in boot_with_unit.units_log
            if line.endswith(' boot_id=%s unit=%s exit=0' % (boot_with_unit.reboot.boot_id, UNIT))], boot_with_unit.units_log[-5:]


def test_the_patch_the_unit_loaded_is_there_after_the_reboot_and_its_transition_completes(boot_with_unit):
    assert boot_with_unit.boot_patch.rc == 0


def test_the_patch_loaded_before_the_reboot_is_gone(boot_with_unit):
    assert boot_with_unit.old_patch_gone.rc == 0


def test_the_unit_its_patches_and_their_files_are_removed_again(boot_with_unit):
    assert boot_with_unit.left.rc == 0
