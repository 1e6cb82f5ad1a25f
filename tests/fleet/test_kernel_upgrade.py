# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/kernel_upgrade.yml on the five-host simulated fleet, one of whose new kernels panics.

Run by tools/test.sh after `molecule/resources/scripts/fleet.sh up`, with TENCENTOS_FLEET_INVENTORY
naming the fleet's inventory. The waves are [1, 2, 2] in inventory order (tos24 | tos31 tos4 |
oc9 centos7) and max_fail_percentage 0: tos31's new kernel is marked as panicking in the boot
simulation, so the second wave fails and the third never starts.
"""

import json
import os

import pytest

PROJECT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
BROKEN_HOST = 'tos31'
BROKEN_KERNEL = '5.4.119-19-0010.1'


@pytest.fixture(scope='module')
def rollout(tmp_path_factory, ansible):
    """Configure the repositories, break one kernel, roll out, and keep what came out."""
    work = tmp_path_factory.mktemp('rollout')
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
        'tencentos_kernel_upgrade_pre_hook': os.path.join(PROJECT, 'tests/fleet/hooks/record_pre.yml'),
        'tencentos_kernel_upgrade_post_hook': os.path.join(PROJECT, 'tests/fleet/hooks/record_post.yml'),
        'hook_record_dir': str(work),
        'tencentos_kernel_reboot_ok': True,
        'tencentos_kernel_reboot_timeout': 120,
        'tencentos_fleet_report_dir': str(work),
    }))
    rerun_dir = os.path.join(str(work), 'rerun')
    os.mkdir(rerun_dir)
    rerun = ansible('ansible-playbook', 'playbooks/kernel_upgrade.yml', '--limit', 'tos24,tos4', '-e', json.dumps({
        'tencentos_kernel_upgrade_pre_hook': os.path.join(PROJECT, 'tests/fleet/hooks/record_pre.yml'),
        'tencentos_kernel_upgrade_post_hook': os.path.join(PROJECT, 'tests/fleet/hooks/record_post.yml'),
        'hook_record_dir': rerun_dir,
        'tencentos_kernel_reboot_ok': True,
        'tencentos_fleet_report_dir': rerun_dir,
    }))
    with open(os.path.join(rerun_dir, 'kernel-upgrade.json')) as handle:
        rerun_summary = json.load(handle)
    report = ansible('ansible-playbook', 'playbooks/site.yml', '-e', 'tencentos_fleet_report_dir=%s/site' % work)
    assert report.returncode == 0, report.stdout
    with open(os.path.join(str(work), 'kernel-upgrade.json')) as handle:
        summary = json.load(handle)
    with open(os.path.join(str(work), 'site', 'fleet-report.json')) as handle:
        fleet = dict((row['host'], row) for row in json.load(handle))
    hooks = sorted(name for name in os.listdir(str(work)) if name.startswith(('pre-', 'post-')))
    return {'run': run, 'summary': summary, 'outcomes': dict((row['host'], row) for row in summary['rows']),
            'fleet': fleet, 'hooks': hooks, 'work': str(work), 'rerun': rerun,
            'rerun_outcomes': dict((row['host'], row['outcome']) for row in rerun_summary['rows']),
            'rerun_hooks': sorted(name for name in os.listdir(rerun_dir) if name.startswith(('pre-', 'post-')))}


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


def test_a_second_roll_out_changes_nothing_and_drains_no_host(rollout):
    assert rollout['rerun'].returncode == 0, rollout['rerun'].stdout
    assert rollout['rerun_outcomes'] == {'tos24': 'already', 'tos4': 'already'}
    assert rollout['rerun_hooks'] == []
