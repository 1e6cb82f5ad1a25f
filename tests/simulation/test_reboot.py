# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""On the first host of fleet.yml: a container restart is a reboot, and the boot simulation's reboot stand-in
reboots in place into what the boot loader state selects: saved_entry, a one-time next_entry, and saved_entry
again when the next_entry kernel panics (molecule/resources/README.md, "Boot simulation", "Rebooting")."""

import re
import subprocess
import time
import types

import pytest

import simulated

# A stand-in kernel that exists only for these tests.
EXTRA = '9.9.9-verify.sim'


@pytest.fixture(scope='module')
def restart(first_host):
    """`podman restart` of the host; what it showed after it."""
    before, started = simulated.boot_id(first_host), time.time()
    subprocess.run(['podman', 'restart', '-t', '5', first_host.container], stdout=subprocess.DEVNULL, check=True)
    came = simulated.wait_for_boot(first_host, before, started, timeout=20)
    return types.SimpleNamespace(came=came, osrelease=simulated.osrelease(first_host))


@pytest.fixture(scope='module')
def boots(first_host):
    """Four reboots through the stand-in: a plain one, one with next_entry set to a stand-in kernel, a plain one
    again, and one into the stand-in kernel listed as panicking. What each showed; the stand-in kernel and the
    panic list removed again whatever happened."""
    host = first_host.host
    seen = types.SimpleNamespace()
    seen.plain = simulated.reboot(first_host, 'shutdown -r now')
    seen.plain.osrelease = simulated.osrelease(first_host)
    try:
        host.check_output("echo 'stand-in kernel of tests/simulation' > /boot/vmlinuz-%s && tencentos-sim-bootloader add %s",
                          EXTRA, EXTRA)
        seen.entry = [fields[1] for fields in (line.split('\t') for line in host.check_output('tencentos-sim-bootloader list').splitlines())
                      if fields[3] == EXTRA][0]
        host.check_output('tencentos-sim-bootloader editenv set %s', 'next_entry=' + seen.entry)
        seen.once = simulated.reboot(first_host, 'reboot')
        seen.once.osrelease = simulated.osrelease(first_host)
        seen.once.next_entry = host.check_output('tencentos-sim-bootloader editenv get next_entry')
        seen.once.last_boot = simulated.last_boot(first_host)
        seen.again = simulated.reboot(first_host, 'reboot')
        seen.again.osrelease = simulated.osrelease(first_host)
        host.check_output('echo %s > /etc/tencentos-sim/panic-kernels && tencentos-sim-bootloader editenv set %s',
                          EXTRA, 'next_entry=' + seen.entry)
        seen.panic = simulated.reboot(first_host, 'reboot')
        seen.panic.osrelease = simulated.osrelease(first_host)
        seen.panic.last_boot = simulated.last_boot(first_host)
    finally:
        host.run('rm -f /etc/tencentos-sim/panic-kernels; tencentos-sim-bootloader remove %s; rm -f /boot/vmlinuz-%s',
                 EXTRA, EXTRA)
    return seen


def test_a_restart_gives_a_new_boot_id(restart):
    assert restart.came.back, 'no new boot_id %.1f s after podman restart' % restart.came.seconds


def test_a_restart_presents_the_simulated_kernel_again(restart, first_host):
    assert restart.osrelease == first_host.kernel


def test_shutdown_r_now_reboots_the_host(boots):
    assert boots.plain.back, 'not back after %.1f s' % boots.plain.seconds


def test_after_a_plain_reboot_the_saved_entry_kernel_runs(boots, first_host):
    assert boots.plain.osrelease == first_host.kernel


def test_reboot_with_next_entry_set_reboots_the_host(boots):
    assert boots.once.back, 'not back after %.1f s' % boots.once.seconds


def test_next_entry_boots_its_kernel(boots):
    assert boots.once.osrelease == EXTRA


def test_next_entry_is_consumed_at_boot(boots):
    assert boots.once.next_entry == ''


def test_boots_log_records_a_boot_through_next_entry(boots):
    assert 'kernel=%s entry=%s via=next_entry panicked=-' % (EXTRA, boots.entry) in boots.once.last_boot


def test_the_next_reboot_comes_back(boots):
    assert boots.again.back, 'not back after %.1f s' % boots.again.seconds


def test_next_entry_boots_only_once(boots, first_host):
    assert boots.again.osrelease == first_host.kernel


def test_a_reboot_into_a_kernel_that_panics_comes_back(boots):
    assert boots.panic.back, 'not back after %.1f s' % boots.panic.seconds


def test_after_the_panic_the_host_runs_its_saved_entry_kernel(boots, first_host):
    assert boots.panic.osrelease == first_host.kernel


def test_boots_log_records_the_panic_and_the_fall_back_to_saved_entry(boots, first_host):
    assert re.search(r'kernel=%s entry=.* via=saved_entry panicked=%s$' % (re.escape(first_host.kernel), re.escape(EXTRA)),
                     boots.panic.last_boot), boots.panic.last_boot


def test_other_shutdown_forms_are_refused(first_host):
    assert first_host.host.run('shutdown -h now').rc != 0
