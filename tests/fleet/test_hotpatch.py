# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/hotpatch.yml on the simulated fleet, one of whose patches stalls, from both controllers.

Run by tools/test.sh after `molecule/resources/scripts/fleet.sh up`, before test_kernel_upgrade.py
reboots the hosts into other kernels. Every host is given the mirror's URL test patch of the TK3
and of the TK4 kernel (molecule/resources/README.md, "Livepatch simulation"): each TencentOS host
takes the one of its kernel and skips the other. The waves are [1, 2, 2] in inventory order
(tos24 | tos31 tos4 | oc9 centos7 | ...) and max_fail_percentage 0: tos31's patch transition is made
to stall, so tos31 is rolled back, the second wave fails and the third never starts.

The roll-out runs once from each controller (ansible-core 2.16 and the newest): a patch takes
seconds, so the whole scenario is cheap, and on 2.16 it shows the waves after the first running and
the stop where a host failed. Between the two, tos24's patch is removed again, so that both start
from the same fleet.
"""

import json
import os
import re
from urllib.request import urlopen

import pytest

KERNELS = {'tos24': '4.14.105-19-0013', 'tos31': '5.4.119-19-0009.1'}
PATCH = 'livepatch_test_url'
STALLING_HOST = 'tos31'


def mirror_patches():
    """One entry a kernel for the mirror's URL test patch, its sha256 read from the mirror's SHA256SUMS."""
    host_url = os.environ.get('REPO_URL_HOST', 'http://127.0.0.1:18080')
    guest_url = os.environ.get('REPO_URL_GUEST', 'http://10.0.2.2:18080')
    patches = []
    for kernel in sorted(KERNELS.values()):
        sums = urlopen('%s/hotpatch/%s/SHA256SUMS' % (host_url, kernel)).read().decode('utf-8')
        sha256 = [line.split()[0] for line in sums.splitlines() if line.split()[-1].lstrip('*') == PATCH + '.ko']
        assert len(sha256) == 1, sums
        patches.append({'name': PATCH, 'kernel': kernel, 'sha256': sha256[0],
                        'url': '%s/hotpatch/%s/%s.ko' % (guest_url, kernel, PATCH)})
    return patches


@pytest.fixture(scope='module', params=['newest', 'oldest'])
def rollout(request, tmp_path_factory, ansible_on):
    """Make tos31's patch stall, roll the patches out, then report the fleet; undo the stall, and the patch after."""
    ansible = ansible_on(request.param)
    work = str(tmp_path_factory.mktemp('hotpatch-' + request.param))
    stall = ansible('ansible', STALLING_HOST, '-m', 'ansible.builtin.copy',
                    '-a', 'dest=/etc/tencentos-sim/livepatch-stall content=%s\n mode=0644' % PATCH)
    assert stall.returncode == 0, stall.stdout
    try:
        run = ansible('ansible-playbook', 'playbooks/hotpatch.yml', '-e', json.dumps({
            'tencentos_hotpatch_patches': mirror_patches(),
            'tencentos_hotpatch_waves': [1, 2, 2],
            'tencentos_hotpatch_max_fail_percentage': 0,
            'tencentos_hotpatch_timeout': 3,
            'tencentos_fleet_report_dir': work,
        }))
    finally:
        unstall = ansible('ansible', STALLING_HOST, '-m', 'ansible.builtin.file',
                          '-a', 'path=/etc/tencentos-sim/livepatch-stall state=absent')
        assert unstall.returncode == 0, unstall.stdout
    report = ansible('ansible-playbook', 'playbooks/site.yml', '-e', 'tencentos_fleet_hosts=tos24:%s:centos7' % STALLING_HOST,
                     '-e', 'tencentos_fleet_report_dir=%s/site' % work)
    assert report.returncode == 0, report.stdout
    with open(os.path.join(work, 'hotpatch.json')) as handle:
        summary = json.load(handle)
    with open(os.path.join(work, 'site', 'fleet-report.json')) as handle:
        fleet = dict((row['host'], row) for row in json.load(handle))
    yield {'run': run, 'summary': summary, 'rows': dict((row['host'], row) for row in summary['rows']),
           'fleet': fleet, 'report': report.stdout}
    removed = ansible('ansible', 'tos24', '-m', 'tencentos.fleet.livepatch', '-a', 'name=%s state=absent' % PATCH)
    assert removed.returncode == 0, removed.stdout


def test_the_rollout_stops_after_the_wave_with_the_stalled_patch(rollout):
    assert rollout['run'].returncode != 0, rollout['run'].stdout
    assert rollout['summary']['stopped'] is True
    assert rollout['summary']['last_wave'] == ['tos31', 'tos4']
    assert rollout['summary']['wave_failed'] == [STALLING_HOST]
    assert 'STOPPED, later waves will not start' in rollout['run'].stdout


def test_only_the_rolled_back_host_counts_as_failed(rollout):
    """The summary runs once per wave on the wave's first host (tos24, then tos31): it fails none of them."""
    recap = dict(re.findall(r'^(\w+)\s+: ok=\d+\s+changed=\d+\s+unreachable=\d+\s+failed=(\d+)',
                            rollout['run'].stdout, re.MULTILINE))
    assert recap['tos24'] == '0' and recap['tos4'] == '0' and recap[STALLING_HOST] == '1', rollout['run'].stdout
    assert 'ignoring' not in rollout['run'].stdout


def test_the_rollout_gives_no_warning(rollout, warnings_of):
    assert warnings_of(rollout['run'].stdout) == []


def test_the_first_wave_patched_its_kernel_and_skipped_the_other(rollout):
    row = rollout['rows']['tos24']
    assert row['outcome'] == 'patched' and row['kernel'] == KERNELS['tos24']
    assert row['changed'] == [PATCH] and row['skipped'] == ['%s for %s' % (PATCH, KERNELS['tos31'])]


def test_the_stalled_host_was_rolled_back_and_says_why(rollout):
    row = rollout['rows'][STALLING_HOST]
    assert row['outcome'] == 'failed'
    assert 'the transition to patched did not complete in 3 s' in row['msg']
    assert 'disabled (reversed in' in row['msg'] and 'unloaded' in row['msg']
    assert 'rolled back: nothing (no change of this run was left to undo)' in row['msg']
    assert 'FAILED, rolled back:' in rollout['run'].stdout


def test_a_host_without_a_patch_for_its_kernel_is_unchanged(rollout):
    row = rollout['rows']['tos4']
    assert row['outcome'] == 'unchanged' and row['changed'] == [] and len(row['skipped']) == 2


def test_the_wave_after_the_failure_never_started(rollout):
    assert rollout['rows']['oc9']['outcome'] == 'not_reached'
    assert rollout['rows']['centos7']['outcome'] == 'not_reached'


def test_the_fleet_report_shows_the_hot_patches(rollout):
    fleet = rollout['fleet']
    assert fleet['tos24']['hot_patches'] == PATCH
    assert fleet[STALLING_HOST]['hot_patches'] == 'none'
    assert fleet['centos7']['hot_patches'] == 'none'
    assert 'HOT PATCHES' in rollout['report']


@pytest.mark.parametrize('controller', ['oldest', 'newest'])
def test_waves_ansible_would_misread_are_refused_before_any_host_changes(ansible_on, controller):
    """Ansible itself takes a wave of 0 (all hosts at once) and a negative percentage without a word."""
    run = ansible_on(controller)('ansible-playbook', 'playbooks/hotpatch.yml', '-e', json.dumps({
        'tencentos_hotpatch_patches': [],
        'tencentos_hotpatch_waves': [0],
        'tencentos_hotpatch_max_fail_percentage': -5,
        # A survey's text area holding a mapping, not a list.
        'tencentos_hotpatch_patches_yaml': 'name: kpatch_one',
    }))
    assert run.returncode != 0, run.stdout
    assert 'tencentos_hotpatch_waves must be a list of numbers of hosts (1, 2, ...)' in run.stdout
    assert '(got [0]); tencentos_hotpatch_max_fail_percentage must be a number from 0 to 100 (got -5)' in run.stdout
    assert 'tencentos_hotpatch_patches_yaml must be a YAML list of patches' in run.stdout
    assert 'TASK [Apply the hotpatch role]' not in run.stdout


def test_the_last_wave_s_figures_are_published_for_awx(rollout, published_figures):
    """set_stats after every wave, replacing the previous one: the figures of the summary written last, no rows."""
    figures = published_figures(rollout['run'].stdout)
    assert figures is not None, rollout['run'].stdout[-3000:]
    expected = dict((key, value) for key, value in rollout['summary'].items() if key != 'rows')
    assert figures == {'tencentos_hotpatch_rollout': expected}
    assert expected['failed'] == [STALLING_HOST]
    outcomes = [row['outcome'] for row in rollout['summary']['rows']]
    assert expected['outcomes'] == dict((outcome, outcomes.count(outcome)) for outcome in set(outcomes))
    assert expected['outcomes']['patched'] == 1 and expected['outcomes']['failed'] == 1
