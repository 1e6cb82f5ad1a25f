# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller is killed in the middle of a kernel wave, then the roll-out runs again.

kernel_upgrade.yml with reboots, in waves [1, "100%"], over a few hosts chosen with the case's seed. In the
second wave the hosts install their new kernel, whose package scriptlet makes it the saved default (as the real
TK3/TK4 and EL8 scriptlets do); the role puts the default back on the working kernel and stages the new one
for one boot. The controller's whole process group gets SIGKILL the moment the scriptlet of the wave's first
host has moved the default, or, when the role put it back before the watcher looked, the moment that host has
its new kernel staged for one boot: in the middle of that step, with its modules still running on the hosts. Once
they ended, every host must be in its previous state (running its old kernel, which is its default, maybe
with the new one staged for one boot) or in the new one (running the new kernel, which is its default):
never with a default that has not booted on it. A re-run must converge with no failure.
"""

import hoststate
from boot_entries import grubenv_value
from conftest import sample, summary, target


def test_a_killed_kernel_wave_leaves_no_unverified_default_and_a_rerun_converges(fleet, record, tmp_path):
    before = fleet.last_state or fleet.read_state('before-kernel-killed')
    moving = [host for host in fleet.hosts if before[host]['running'] != target(host)]
    chosen = sample('kernel-killed', moving, max(3, len(fleet.hosts) // 10))
    watched = chosen[1]
    fleet.say('kernel-controller-killed: seed %s chose %s' % (fleet.seed, ', '.join(chosen)))

    def install_step_seen(grubenv):
        # The scriptlet's move of the default lasts only until the role puts it back, which a loaded
        # machine's watcher can miss; the one-time entry that follows stays until the reboot.
        return grubenv is not None and (
            grubenv_value(grubenv, 'saved_entry') != before[watched]['saved']['entry']
            or grubenv_value(grubenv, 'next_entry') not in ('', before[watched]['next']['entry']))

    extra = {'tencentos_fleet_hosts': ':'.join(chosen), 'tencentos_kernel_reboot_ok': True,
             'tencentos_kernel_reboot_timeout': 300, 'tencentos_kernel_upgrade_waves': [1, '100%']}
    run = fleet.playbook('playbooks/kernel_upgrade.yml', dict(extra, tencentos_fleet_report_dir=str(tmp_path / 'run')),
                         pause=(2, 'Install the kernel and boot it once'), label='kernel-killed',
                         kill_when=lambda: install_step_seen(fleet.host_file(watched, '/boot/grub2/grubenv')))
    fleet.settle(chosen)
    middle = fleet.read_state('after-kernel-killed')
    rerun = fleet.playbook('playbooks/kernel_upgrade.yml', dict(extra, tencentos_fleet_report_dir=str(tmp_path / 'rerun')),
                           label='kernel-after-kill')
    after = fleet.read_state('after-kernel-rerun')
    rows = summary(tmp_path / 'rerun' / 'kernel-upgrade.json')['by_host']

    def previous_or_new(host, state):
        old = before[host]['running']
        if host not in chosen:
            return hoststate.unchanged(before[host], state)
        if (state['running'], state['saved']['kernel']) in ((old, old), (target(host), target(host))) \
                and state['next']['kernel'] in (None, target(host)):
            return []
        return ['running %s, default %s, one-time %s (old kernel %s, new %s)' % (
            state['running'], state['saved']['kernel'], state['next']['kernel'], old, target(host))]

    wrong = dict(hoststate.inconsistent(middle, fleet.hosts, previous_or_new))
    wrong.update(hoststate.inconsistent(after, fleet.hosts, previous_or_new))
    failed = rerun.failed_hosts()
    record('kernel-controller-killed', before, after, failed, sorted(wrong), chosen=chosen,
           fault='controller killed in wave 2 while the hosts installed their kernel; a re-run')

    assert run.paused and run.killed, run.output[-3000:]
    # Killed in the middle of the install step: the watched host has the new kernel's files.
    assert target(watched) in middle[watched]['boot_kernels']
    assert rerun.returncode == 0, rerun.output[-3000:]
    assert failed == []
    assert dict((host, rows[host]['outcome']) for host in chosen) == dict(
        (host, 'already' if host == chosen[0] else 'moved') for host in chosen)
    assert [host for host in chosen if (after[host]['running'], after[host]['saved']['kernel'], after[host]['next']['kernel'])
            != (target(host), target(host), None)] == []
    assert wrong == {}
