# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""sshd of some hosts stops in the middle of a hot patch roll-out, and comes back.

hotpatch.yml in one wave over the whole fleet gives every host the mirror's URL test patch of its kernel (the
tos24 and tos31 hosts have one; the others skip it). The run is held when the first hosts are about to load
their patch: every patch is downloaded, none loaded. There every sshd process of the chosen hosts
(some with a patch to load, some without) is killed: the listener and the sessions that carry the controller's
connections. Those hosts must be reported unreachable and named in the summary, the others must finish; once
sshd is back, a re-run for the hosts that did not finish (--limit, as a retry file or AWX's relaunch on failed
hosts does it) must converge with no failure.
"""

import hoststate
from conftest import PATCH_KERNELS, sample, summary, url_patches

PATCH = 'livepatch_test_url'


def test_hosts_whose_sshd_stops_are_named_unreachable_and_a_rerun_converges(fleet, record, tmp_path):
    before = fleet.last_state or fleet.read_state('before-sshd-stopped')
    patchable = [host for host in fleet.hosts if before[host]['running'] in PATCH_KERNELS]
    count = max(1, len(fleet.hosts) // 20)
    stopped = sorted(sample('sshd', patchable, count) + sample('sshd', [host for host in fleet.hosts if host not in patchable], count),
                     key=fleet.hosts.index)
    fleet.say('sshd-stopped: seed %s chose %s' % (fleet.seed, ', '.join(stopped)))
    extra = {'tencentos_hotpatch_patches': url_patches(), 'tencentos_hotpatch_waves': ['100%']}
    try:
        run = fleet.playbook('playbooks/hotpatch.yml', dict(extra, tencentos_fleet_report_dir=str(tmp_path / 'run')),
                             pause=(1, 'Apply the hot patches in order'), fault=lambda: fleet.stop_sshd(stopped),
                             label='hotpatch-sshd-stopped')
    finally:
        fleet.start_sshd(stopped)
    middle = fleet.read_state('after-sshd-stopped')
    rerun = fleet.playbook('playbooks/hotpatch.yml', dict(extra, tencentos_fleet_report_dir=str(tmp_path / 'rerun')),
                           label='hotpatch-after-sshd', limit=stopped)
    after = fleet.read_state('after-sshd-rerun')

    first = summary(tmp_path / 'run' / 'hotpatch.json')
    second = summary(tmp_path / 'rerun' / 'hotpatch.json')
    named = [host for host in stopped if first['by_host'][host]['outcome'] == 'unreachable'
             and run.recap.get(host, {}).get('unreachable')]

    previous_or_new = hoststate.patch_added_or_not(before, PATCH, patchable)
    wrong = dict(hoststate.inconsistent(middle, fleet.hosts, previous_or_new))
    wrong.update(hoststate.inconsistent(after, fleet.hosts, previous_or_new))
    record('sshd-stopped', before, after, named, sorted(wrong), faulty=stopped,
           fault='sshd of %d of %d hosts killed before the first patch load; sshd back, then a re-run' % (
               len(stopped), len(fleet.hosts)))

    assert run.paused, run.output[-3000:]
    assert run.returncode != 0
    assert sorted(host for host, counts in run.recap.items() if counts['unreachable']) == sorted(stopped), run.output[-3000:]
    assert [host for host, counts in run.recap.items() if counts['failed']] == [], run.output[-3000:]
    assert named == stopped, first['rows']
    # The others finished: patched where a patch is built for their kernel, unchanged elsewhere.
    assert dict((host, row['outcome']) for host, row in first['by_host'].items() if host not in stopped) == dict(
        (host, 'patched' if host in patchable else 'unchanged') for host in fleet.hosts if host not in stopped)
    assert [host for host in stopped if hoststate.loaded(middle[host]) != hoststate.loaded(before[host])] == []
    assert rerun.returncode == 0, rerun.output[-3000:]
    assert dict((host, row['outcome']) for host, row in second['by_host'].items()) == dict(
        (host, 'patched' if host in patchable else 'unchanged') for host in stopped)
    assert [host for host in patchable if PATCH not in hoststate.loaded(after[host])
            or '%s/%s.ko' % (after[host]['running'], PATCH) not in after[host]['persisted']] == []
    assert wrong == {}
