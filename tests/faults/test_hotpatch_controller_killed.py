# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller is killed in the middle of a hot patch wave, then the roll-out runs again.

hotpatch.yml in waves [1, "100%"] gives the tos24 and tos31 hosts the test hot patch package of their kernel
(each installs one patch module, livepatch_test_pkg; the other hosts have none for their kernel). The run is
held in the second wave when the role is about to apply the list (livepatch_set: load, verify, persist, or undo
it all), then goes on, and the controller's whole process group gets SIGKILL the moment the simulated kernel of
a host of that wave starts the patch's transition: in the middle of the module's run on the hosts. Every host
must be in its previous state or in the new one - no patch in transition, none persisted for the next boot
without being loaded - and a re-run must converge with no failure.
"""

import hoststate
from conftest import PATCH_KERNELS, package_patches, summary

PATCH = 'livepatch_test_pkg'
LOG = '/var/log/tencentos-sim/livepatch.log'
STARTED = 'transition %s patch started' % PATCH


def test_a_killed_hot_patch_wave_leaves_no_unverified_patch_and_a_rerun_converges(fleet, record, tmp_path):
    before = fleet.last_state or fleet.read_state('before-hotpatch-killed')
    patchable = [host for host in fleet.hosts if before[host]['running'] in PATCH_KERNELS]
    extra = {'tencentos_hotpatch_patches': package_patches(), 'tencentos_hotpatch_waves': [1, '100%']}
    second_wave = [host for host in patchable if host != fleet.hosts[0]]
    started_before = {}

    def transitions_started():
        return sum((fleet.host_file(host, LOG) or '').count(STARTED) for host in second_wave)

    def note_transitions():
        started_before['count'] = transitions_started()

    run = fleet.playbook('playbooks/hotpatch.yml', dict(extra, tencentos_fleet_report_dir=str(tmp_path / 'run')),
                         pause=(2, 'Apply the hot patches in order'), fault=note_transitions,
                         kill_when=lambda: transitions_started() > started_before['count'], label='hotpatch-killed')
    middle = fleet.read_state('after-hotpatch-killed')
    rerun = fleet.playbook('playbooks/hotpatch.yml', dict(extra, tencentos_fleet_report_dir=str(tmp_path / 'rerun')),
                           label='hotpatch-after-kill')
    after = fleet.read_state('after-hotpatch-rerun')
    second = summary(tmp_path / 'rerun' / 'hotpatch.json')

    previous_or_new = hoststate.patch_added_or_not(before, PATCH, patchable)
    wrong = dict(hoststate.inconsistent(middle, fleet.hosts, previous_or_new))
    wrong.update(hoststate.inconsistent(after, fleet.hosts, previous_or_new))
    failed = rerun.failed_hosts()
    record('hotpatch-controller-killed', before, after, failed, sorted(wrong),
           fault="controller killed in wave 2 while a host's patch transition ran; a re-run")

    # Killed: the watcher saw a transition start in the second wave before the run ended.
    assert run.paused and run.killed, run.output[-3000:]
    # The first wave (one host) completed before the kill: its patch is loaded and persisted.
    first_host = fleet.hosts[0]
    if first_host in patchable:
        assert PATCH in hoststate.loaded(middle[first_host])
        assert '%s/%s.ko' % (middle[first_host]['running'], PATCH) in middle[first_host]['persisted']
    assert rerun.returncode == 0, rerun.output[-3000:]
    assert failed == []
    assert second['by_host'][first_host]['outcome'] == 'unchanged'
    assert [host for host in patchable if PATCH not in hoststate.loaded(after[host])
            or '%s/%s.ko' % (after[host]['running'], PATCH) not in after[host]['persisted']] == []
    assert [host for host in fleet.hosts if host not in patchable and hoststate.loaded(after[host]) != hoststate.loaded(before[host])] == []
    assert wrong == {}
