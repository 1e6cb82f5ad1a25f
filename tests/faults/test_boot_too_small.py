# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""/boot is too small on some hosts when the new kernel is staged on the whole fleet.

On the hosts chosen with the case's seed, /boot becomes a 100 MiB tmpfs holding the same files (the kernel
role wants 150 MiB free there, tencentos_kernel_min_free_mb). kernel_upgrade.yml without reboots (the reboot
contract left false) in one wave: those hosts must be refused before anything is installed and named in the
summary with the reason; every other host that needs a switch installs its kernel and stages it for one boot,
its old kernel staying the default. Afterwards /boot is put back; the staged hosts are where the roll-out
(test_rolling_upgrade.py) starts.
"""

import hoststate
from conftest import sample, summary, target

# The host's own /boot, copied aside, then a tmpfs too small for a kernel mounted over it with the same files.
SHRINK = ('rm -rf /var/tmp/fault-boot && cp -a /boot /var/tmp/fault-boot && mount -t tmpfs -o size=100m fault-boot /boot '
          '&& cp -a /var/tmp/fault-boot/. /boot/')
RESTORE = 'umount /boot && rm -rf /var/tmp/fault-boot'


def test_hosts_with_a_small_boot_are_refused_before_any_install_and_named(fleet, record, tmp_path):
    before = fleet.last_state or fleet.read_state('before-boot-too-small')
    moving = [host for host in fleet.hosts if before[host]['running'] != target(host)]
    small = sample('boot', moving, max(1, len(fleet.hosts) // 10))
    fleet.say('boot-too-small: seed %s chose %s' % (fleet.seed, ', '.join(small)))
    shrunk = []
    try:
        for host in small:
            fleet.on_host(host, SHRINK)
            shrunk.append(host)
        run = fleet.playbook('playbooks/kernel_upgrade.yml', {
            'tencentos_kernel_reboot_ok': False, 'tencentos_kernel_upgrade_waves': ['100%'],
            'tencentos_kernel_upgrade_max_fail_percentage': 100, 'tencentos_kernel_min_free_mb': {'/boot': 150, '/': 1024},
            'tencentos_fleet_report_dir': str(tmp_path)}, label='kernel-boot-too-small')
        during = fleet.read_state('after-boot-too-small')
    finally:
        for host in shrunk:
            fleet.on_host(host, RESTORE)
    rows = summary(tmp_path / 'kernel-upgrade.json')['by_host']

    named = [host for host in small if rows[host]['outcome'] == 'failed'
             and 'not enough room for kernel %s: /boot has' % target(host) in rows[host]['msg']]

    def previous_or_staged(host, state):
        old = before[host]
        if host in small or host not in moving:
            return hoststate.unchanged(old, state)
        if (state['running'], state['saved']['kernel'], state['next']['kernel']) == (old['running'], old['running'], target(host)):
            return []
        return ['running %s, default %s, one-time %s: not staged for %s' % (
            state['running'], state['saved']['kernel'], state['next']['kernel'], target(host))]

    wrong = hoststate.inconsistent(during, fleet.hosts, previous_or_staged)
    record('boot-too-small', before, during, named, sorted(wrong), faulty=small,
           fault='/boot a 100 MiB tmpfs (150 MiB wanted free) on %d of %d hosts' % (len(small), len(fleet.hosts)))

    assert run.returncode != 0
    assert run.failed_hosts() == sorted(small), run.output[-3000:]
    assert named == small, dict((host, rows[host]) for host in small)
    assert dict((host, rows[host]['outcome']) for host in moving if host not in small) == dict(
        (host, 'pending_reboot') for host in moving if host not in small)
    assert wrong == {}
