# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A rolling kernel upgrade of the whole fleet in which 2 % of the hosts get a kernel that does not boot.

kernel_upgrade.yml with reboots, in waves [1, "5%", "25%", "100%"] and max_fail_percentage 5. Before it, 2 % of
the hosts that need a switch (at least one), chosen with the case's seed, have their new kernel in the boot
simulation's panic list: booted once, it "panics", and the machine resets into its saved default, as GRUB does
after a failed one-time boot. Every broken host the roll-out reaches must be back on its old kernel, which stays
its default (a kernel that boots), with the new one recorded as failed and the host named in the summary; the
waves must stop exactly where max_fail_percentage says: after the first wave in which more than 5 % of the
hosts fell back or failed (or all of them), as Ansible counts them; the hosts of later waves are not touched.
"""

import hoststate
from conftest import sample, summary, target

WAVES = [1, '5%', '25%', '100%']
MAX_FAIL_PERCENTAGE = 5


def batches(hosts, serial):
    """The waves Ansible makes of ``hosts`` for a serial list (PlaybookExecutor._get_serialized_batches)."""
    left, waves, index = list(hosts), [], 0
    while left:
        item = str(serial[min(index, len(serial) - 1)])
        # A percentage of the whole play, at least one host (ansible.utils.helpers.pct_to_int).
        size = (int(int(item[:-1]) / 100.0 * len(hosts)) or 1) if item.endswith('%') else int(item)
        waves.append(left[:size])
        left = left[size:]
        index += 1
    return waves


def expected_stop(waves, failing, limit):
    """The index of the wave after which Ansible stops the play (the last wave when it never stops), and whether
    it stops: more than ``limit`` percent of a wave's hosts failed, or all of them."""
    for index, wave in enumerate(waves):
        failed = len([host for host in wave if host in failing])
        if failed * 100.0 / len(wave) > limit or failed == len(wave):
            return index, True
    return len(waves) - 1, False


def test_a_rolling_upgrade_falls_back_on_broken_kernels_and_stops_where_max_fail_percentage_says(fleet, record, tmp_path):
    before = fleet.last_state or fleet.read_state('before-rolling-upgrade')
    moving = [host for host in fleet.hosts if before[host]['running'] != target(host)]
    broken = sample('rolling', moving, max(1, int(round(len(fleet.hosts) * 0.02))))
    waves = batches(fleet.hosts, WAVES)
    stop, stops = expected_stop(waves, broken, MAX_FAIL_PERCENTAGE)
    reached = [host for wave in waves[:stop + 1] for host in wave]
    fleet.say('rolling-upgrade: seed %s broke %s; waves of %s hosts; expected to stop after wave %d of %d (%s)' % (
        fleet.seed, ', '.join(broken), [len(wave) for wave in waves], stop + 1, len(waves), 'stopped' if stops else 'all ran'))
    try:
        for host in broken:
            fleet.on_host(host, 'mkdir -p /etc/tencentos-sim && echo %s > /etc/tencentos-sim/panic-kernels' % target(host))
        run = fleet.playbook('playbooks/kernel_upgrade.yml', {
            'tencentos_kernel_reboot_ok': True, 'tencentos_kernel_reboot_timeout': 300,
            'tencentos_kernel_upgrade_waves': WAVES, 'tencentos_kernel_upgrade_max_fail_percentage': MAX_FAIL_PERCENTAGE,
            'tencentos_fleet_report_dir': str(tmp_path)}, label='rolling-upgrade')
        after = fleet.read_state('after-rolling-upgrade')
    finally:
        for host in broken:
            fleet.on_host(host, 'rm -f /etc/tencentos-sim/panic-kernels')
    result = summary(tmp_path / 'kernel-upgrade.json')
    rows = result['by_host']
    fell_back = [host for host in broken if host in reached]
    named = [host for host in fell_back if rows[host]['outcome'] == 'fell_back'
             and 'kernel %s did not come up' % target(host) in rows[host]['msg']]

    def expected(host, state):
        old = before[host]
        if host not in reached or host not in moving:
            return hoststate.unchanged(old, state)
        if host in broken:
            if (state['running'], state['saved']['kernel'], state['next']['kernel']) == (old['running'], old['running'], None) \
                    and target(host) in state['boot_failures'] and target(host) in state['panicked']:
                return []
            return ['broken kernel %s: running %s, default %s, one-time %s, recorded failures %s' % (
                target(host), state['running'], state['saved']['kernel'], state['next']['kernel'], state['boot_failures'])]
        if (state['running'], state['saved']['kernel'], state['next']['kernel']) == (target(host), target(host), None):
            return []
        return ['running %s, default %s, one-time %s: not moved to %s' % (
            state['running'], state['saved']['kernel'], state['next']['kernel'], target(host))]

    wrong = hoststate.inconsistent(after, fleet.hosts, expected)
    record('rolling-upgrade', before, after, named, sorted(wrong), faulty=broken, waves=[len(wave) for wave in waves],
           stopped_after_wave=stop + 1, max_fail_percentage=MAX_FAIL_PERCENTAGE,
           fault='new kernel panics on %d of %d hosts; waves %s, max_fail_percentage %d' % (
               len(broken), len(fleet.hosts), WAVES, MAX_FAIL_PERCENTAGE))

    assert result['last_wave'] == sorted(waves[stop]), run.output[-3000:]
    assert result['stopped'] is stops
    assert run.failed_hosts() == sorted(fell_back), run.output[-3000:]
    assert (run.returncode != 0) is bool(fell_back)
    assert named == fell_back, dict((host, rows[host]) for host in fell_back)
    assert dict((host, rows[host]['outcome']) for host in fleet.hosts) == dict(
        (host, 'not_reached' if host not in reached else 'fell_back' if host in broken
         else 'moved' if host in moving else 'already') for host in fleet.hosts)
    assert wrong == {}
