# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/kernel_upgrade.yml on the simulated fleet, from both controllers.

Run by tools/test.sh after `molecule/resources/scripts/ssh-fleet.sh up 9`, with TENCENTOS_FLEET_INVENTORY
naming the fleet's inventory. From the newest controller, the whole roll-out: waves [1, 2, 2] in
inventory order (tos24 | tos31 tos4 | oc9 centos7 | ...) and max_fail_percentage 0; tos31's new
kernel is marked as panicking in the boot simulation, so the second wave fails and the third never
starts. A second roll-out over the hosts that moved changes nothing, from either controller.

From ansible-core 2.16 (TencentOS 2.x and 3.x need it), the short case that shows what 2.16 used to
break: the roll-out goes past its first wave. tos24 (already on its newest kernel) is the first
wave and oc9, which the whole roll-out never reached, the second: oc9 moves, then its post-switch
hook fails, which the summary records and counts, so 2.16 also stops where a host failed. Reboots
take most of this folder's time, so 2.16 reboots one host only.
"""

import json
import os
import re

import pytest

PROJECT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
BROKEN_HOST = 'tos31'
BROKEN_KERNEL = '5.4.119-19-0010.1'
HOOKS = os.path.join(PROJECT, 'tests', 'fleet', 'hooks')


def hook_files(directory):
    return sorted(name for name in os.listdir(directory) if name.startswith(('pre-', 'post-')))


def recap(output):
    """{host: failed count} from the PLAY RECAP of a run."""
    return dict((host, int(failed)) for host, failed in re.findall(
        r'^(\S+)\s+: ok=\d+\s+changed=\d+\s+unreachable=\d+\s+failed=(\d+)', output, re.MULTILINE))


@pytest.fixture(scope='module')
def rollout(tmp_path_factory, ansible_on):
    """Configure the repositories, break one kernel, roll out from the newest controller, and keep what came out."""
    ansible = ansible_on('newest')
    work = str(tmp_path_factory.mktemp('rollout'))
    mirror = os.environ.get('REPO_URL_GUEST', 'http://10.0.2.2:18080')
    repos = ansible('ansible-playbook', 'playbooks/site.yml', '-e', json.dumps({
        'tencentos_fleet_configure_repos': True,
        'tencentos_repos_mirror': mirror,
        'tencentos_repos_gpg_key_url': mirror + '/RPM-GPG-KEY-tencentos-fleet-test',
        'tencentos_repos_sections': ['tlinux', 'tencentos-baseos', 'tencentos-tencentos',
                                     'opencloudos-baseos', 'tencentos-kernel'],
    }))
    assert repos.returncode == 0, repos.stdout
    broken = ansible('ansible', BROKEN_HOST, '-m', 'ansible.builtin.copy',
                     '-a', 'dest=/etc/tencentos-sim/panic-kernels content=%s\n mode=0644' % BROKEN_KERNEL)
    assert broken.returncode == 0, broken.stdout
    run = ansible('ansible-playbook', 'playbooks/kernel_upgrade.yml', '-e', json.dumps({
        'tencentos_kernel_upgrade_waves': [1, 2, 2],
        'tencentos_kernel_upgrade_max_fail_percentage': 0,
        'tencentos_kernel_upgrade_pre_hook': os.path.join(HOOKS, 'record_pre.yml'),
        'tencentos_kernel_upgrade_post_hook': os.path.join(HOOKS, 'record_post.yml'),
        'hook_record_dir': work,
        'tencentos_kernel_reboot_ok': True,
        'tencentos_kernel_reboot_timeout': 120,
        'tencentos_fleet_report_dir': work,
    }))
    report = ansible('ansible-playbook', 'playbooks/site.yml', '-e', 'tencentos_fleet_report_dir=%s/site' % work)
    assert report.returncode == 0, report.stdout
    with open(os.path.join(work, 'kernel-upgrade.json')) as handle:
        summary = json.load(handle)
    with open(os.path.join(work, 'site', 'fleet-report.json')) as handle:
        fleet = dict((row['host'], row) for row in json.load(handle))
    return {'run': run, 'summary': summary, 'outcomes': dict((row['host'], row) for row in summary['rows']),
            'fleet': fleet, 'hooks': hook_files(work), 'work': work}


@pytest.fixture(scope='module', params=['newest', 'oldest'])
def rerun(request, rollout, tmp_path_factory, ansible_on):
    """After the roll-out, roll out again over the hosts that moved (default waves: tos24, then tos4), with a
    summary that cannot be written: a directory stands where the text summary goes."""
    work = str(tmp_path_factory.mktemp('rerun-' + request.param))
    os.mkdir(os.path.join(work, 'kernel-upgrade.txt'))
    run = ansible_on(request.param)('ansible-playbook', 'playbooks/kernel_upgrade.yml', '--limit', 'tos24,tos4',
                                    '-e', json.dumps({
                                        'tencentos_kernel_upgrade_pre_hook': os.path.join(HOOKS, 'record_pre.yml'),
                                        'tencentos_kernel_upgrade_post_hook': os.path.join(HOOKS, 'record_post.yml'),
                                        'hook_record_dir': work,
                                        'tencentos_kernel_reboot_ok': True,
                                        'tencentos_fleet_report_dir': work,
                                    }))
    assert os.path.exists(os.path.join(work, 'kernel-upgrade.json')), run.stdout
    with open(os.path.join(work, 'kernel-upgrade.json')) as handle:
        summary = json.load(handle)
    return {'run': run, 'summary': summary, 'hooks': hook_files(work),
            'outcomes': dict((row['host'], row['outcome']) for row in summary['rows'])}


@pytest.fixture(scope='module')
def oldest_second_wave(rollout, tmp_path_factory, ansible_on):
    """From ansible-core 2.16: tos24 (already there) in the first wave, oc9 (to move) in the second, whose
    post-switch hook fails; then the fleet report, from 2.16 too."""
    ansible = ansible_on('oldest')
    work = str(tmp_path_factory.mktemp('oldest'))
    run = ansible('ansible-playbook', 'playbooks/kernel_upgrade.yml', '--limit', 'tos24,oc9', '-e', json.dumps({
        'tencentos_kernel_upgrade_waves': [1, 1],
        'tencentos_kernel_upgrade_pre_hook': os.path.join(HOOKS, 'record_pre.yml'),
        'tencentos_kernel_upgrade_post_hook': os.path.join(HOOKS, 'record_post_then_fail.yml'),
        'hook_record_dir': work,
        'tencentos_kernel_reboot_ok': True,
        'tencentos_kernel_reboot_timeout': 120,
        'tencentos_fleet_report_dir': work,
    }))
    assert os.path.exists(os.path.join(work, 'kernel-upgrade.json')), run.stdout
    with open(os.path.join(work, 'kernel-upgrade.json')) as handle:
        summary = json.load(handle)
    # tencentos_fleet_hosts, not --limit: the report is a play on localhost, which a limit to fleet hosts leaves out.
    report = ansible('ansible-playbook', 'playbooks/site.yml', '-e', 'tencentos_fleet_hosts=oc9',
                     '-e', 'tencentos_fleet_report_dir=%s/site' % work)
    assert report.returncode == 0, report.stdout
    with open(os.path.join(work, 'site', 'fleet-report.json')) as handle:
        fleet = dict((row['host'], row) for row in json.load(handle))
    return {'run': run, 'summary': summary, 'outcomes': dict((row['host'], row) for row in summary['rows']),
            'hooks': hook_files(work), 'fleet': fleet}


def test_the_rollout_fails_because_a_wave_failed(rollout):
    assert rollout['run'].returncode != 0, rollout['run'].stdout
    assert rollout['summary']['stopped'] is True
    assert rollout['summary']['last_wave'] == ['tos31', 'tos4']


def test_the_summary_names_the_host_that_fell_back(rollout):
    row = rollout['outcomes'][BROKEN_HOST]
    assert row['outcome'] == 'fell_back'
    assert row['to'] == BROKEN_KERNEL and row['from'] == '5.4.119-19-0009.1'
    assert 'kernel %s did not come up' % BROKEN_KERNEL in row['msg']
    assert 'FELL BACK' in rollout['run'].stdout and 'STOPPED, later waves will not start' in rollout['run'].stdout


def test_hosts_of_the_waves_that_ran_moved(rollout):
    assert rollout['outcomes']['tos24']['outcome'] == 'moved'
    assert rollout['outcomes']['tos4']['outcome'] == 'moved'


def test_the_wave_after_the_failure_never_started(rollout):
    assert rollout['outcomes']['oc9']['outcome'] == 'not_reached'
    assert rollout['outcomes']['centos7']['outcome'] == 'not_reached'
    assert rollout['fleet']['oc9']['kernel'] == '6.6.114-43.oc9.x86_64'
    assert rollout['fleet']['centos7']['kernel'] == '3.10.0-1160.el7.x86_64'


def test_hooks_ran_around_every_switch_that_started(rollout):
    assert rollout['hooks'] == ['post-tos24', 'post-tos31', 'post-tos4', 'pre-tos24', 'pre-tos31', 'pre-tos4']
    with open(os.path.join(rollout['work'], 'post-tos31')) as handle:
        assert handle.read() == 'post tos31 fell_back\n'


def test_the_fleet_report_shows_running_and_default_kernels(rollout):
    fleet = rollout['fleet']
    assert fleet['tos24']['kernel'] == fleet['tos24']['default_kernel'] == '4.14.105-19-0020.1'
    assert fleet['tos4']['kernel'] == fleet['tos4']['default_kernel'] == '6.6.117-45.tl4.x86_64'
    assert fleet[BROKEN_HOST]['kernel'] == fleet[BROKEN_HOST]['default_kernel'] == '5.4.119-19-0009.1'
    assert all(row['reboot'] == 'no' for row in fleet.values())


def test_the_roll_outs_give_no_warning(rollout, oldest_second_wave, warnings_of):
    assert warnings_of(rollout['run'].stdout) + warnings_of(oldest_second_wave['run'].stdout) == []


def test_a_second_roll_out_changes_nothing_and_drains_no_host(rerun):
    assert rerun['run'].returncode == 0, rerun['run'].stdout
    assert rerun['outcomes'] == {'tos24': 'already', 'tos4': 'already'}
    assert rerun['hooks'] == []
    # Writing the summary on the controller is not a change of the wave's first host.
    changed = dict(re.findall(r'^(\S+)\s+: ok=\d+\s+changed=(\d+)', rerun['run'].stdout, re.MULTILINE))
    assert changed == {'tos24': '0', 'tos4': '0'}, rerun['run'].stdout[-3000:]


def test_a_summary_that_cannot_be_written_fails_no_host_and_every_wave_runs(rerun):
    """The summary runs once per wave, attributed to the wave's first host; were its failure not ignored,
    Ansible would fail every host of the wave (tos24's) and end the roll-out there."""
    run = rerun['run']
    assert '...ignoring' in run.stdout and 'kernel-upgrade.txt' in run.stdout, run.stdout
    assert recap(run.stdout) == {'tos24': 0, 'tos4': 0}, run.stdout
    assert rerun['summary']['last_wave'] == ['tos4'], run.stdout
    assert rerun['summary']['stopped'] is False


def test_the_oldest_controller_runs_the_second_wave(oldest_second_wave):
    summary = oldest_second_wave['summary']
    assert summary['last_wave'] == ['oc9'], oldest_second_wave['run'].stdout
    assert oldest_second_wave['outcomes']['tos24']['outcome'] == 'already'
    assert oldest_second_wave['hooks'] == ['post-oc9', 'pre-oc9']


def test_the_oldest_controller_moves_the_host_of_the_second_wave(oldest_second_wave):
    row = oldest_second_wave['outcomes']['oc9']
    assert (row['from'], row['to']) == ('6.6.114-43.oc9.x86_64', '6.6.117-45.oc9.x86_64')
    fleet = oldest_second_wave['fleet']
    assert fleet['oc9']['kernel'] == fleet['oc9']['default_kernel'] == '6.6.117-45.oc9.x86_64'


def test_a_failed_post_switch_hook_fails_the_host_and_stops_the_roll_out(oldest_second_wave):
    run = oldest_second_wave['run']
    row = oldest_second_wave['outcomes']['oc9']
    assert row['outcome'] == 'failed'
    assert 'the post-switch hook failed: kubectl uncordon: the cluster cannot be reached' in row['msg']
    assert oldest_second_wave['summary']['stopped'] is True and oldest_second_wave['summary']['wave_failed'] == ['oc9']
    assert run.returncode != 0, run.stdout
    # The summary of each wave ran once, on the wave's first host, and failed neither.
    assert recap(run.stdout) == {'tos24': 0, 'oc9': 1}, run.stdout
    assert 'ignoring' not in run.stdout


def test_the_last_wave_s_figures_are_published_for_awx(rollout, published_figures):
    """set_stats after every wave, replacing the previous one: the figures of the summary written last, no rows."""
    figures = published_figures(rollout['run'].stdout)
    assert figures is not None, rollout['run'].stdout[-3000:]
    expected = dict((key, value) for key, value in rollout['summary'].items() if key != 'rows')
    assert figures == {'tencentos_kernel_upgrade_rollout': expected}
    assert expected['stopped'] is True and expected['failed'] == rollout['summary']['wave_failed']
