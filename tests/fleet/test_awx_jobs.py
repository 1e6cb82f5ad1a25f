# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The job templates of extensions/awx run as AWX runs them: through ansible-runner, on the running SSH fleet.

Each job gets a private data directory made from the definitions as AWX makes it: the project's files
(extensions/awx/project), the inventory (the fleet's, or one slice of it), the extra variables of the launch (the
template's, the survey's defaults, the answers; tests/awx/awx_model.py), the machine credential's key through
ssh-agent and its user on the command line, AWX's Limit as --limit. The job events ansible-runner writes are what
AWX shows. A sliced job is run as AWX splits it (every Nth host, sorted by name), its slices side by side, and
compared with one unsliced job.

The jobs change the fleet (provision first, as on a fresh fleet), so tools/test.sh gives this file fresh hosts.
"""

import copy
import glob
import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from conftest import controllers, warnings_in

# AWX's rules, shared with tests/awx; appended, so that `conftest` above stays this folder's.
sys.path.append(os.path.join(os.path.dirname(__file__), '..', 'awx'))
from awx_model import (AWX_PROJECT_DIR, SETTINGS, by_name, job_slice, launch_extra_vars, load_definitions,  # noqa: E402
                       ui_answers)

SLICES = 3
# A survey's text area: a YAML list, its one patch built for a kernel no host runs.
OTHER_KERNEL_PATCH = '''- name: kpatch_built_for_another_kernel
  kernel: 9.9.9-1.0001.tl4.x86_64
  package: kpatch-built-for-another-kernel
'''
# What the machine credential gives a job; the rest of the connection settings are the inventory's.
CREDENTIAL_VARS = ('ansible_user', 'ansible_ssh_private_key_file')


@pytest.fixture(scope='module')
def templates():
    return by_name(load_definitions(SETTINGS), 'controller_templates')


@pytest.fixture(scope='module')
def fleet(fleet_inventory):
    with open(fleet_inventory) as handle:
        inventory = yaml.safe_load(handle)
    key_file = inventory['all']['vars']['ansible_ssh_private_key_file']
    hosts = sorted(inventory['all']['children']['tencentos_fleet']['hosts'])
    return {'inventory': inventory, 'key_file': key_file, 'hosts': hosts,
            'group_vars': os.path.join(os.path.dirname(fleet_inventory), 'group_vars')}


class Job(object):
    """A finished ansible-runner job: its status, its events, the hosts' recap, its artifacts."""

    def __init__(self, directory):
        artifacts = os.path.join(directory, 'artifacts', 'job')
        with open(os.path.join(artifacts, 'status')) as handle:
            self.status = handle.read().strip()
        with open(os.path.join(artifacts, 'stdout')) as handle:
            self.stdout = handle.read()
        self.events = []
        for path in glob.glob(os.path.join(artifacts, 'job_events', '*.json')):
            with open(path) as handle:
                self.events.append(json.load(handle))
        self.events.sort(key=lambda event: event['counter'])
        stats = [event for event in self.events if event['event'] == 'playbook_on_stats']
        self.stats = stats[-1]['event_data'] if stats else {}

    def host_events(self, kind=None):
        return [event for event in self.events if event['event'].startswith('runner_on_')
                and (kind is None or event['event'] == kind)]

    def recap(self, counter):
        return self.stats.get(counter) or {}

    @property
    def published(self):
        return self.stats.get('artifact_data') or {}

    def report_lines(self, hosts):
        """{host: its line in the printed fleet report} for those of ``hosts`` the report lists."""
        for event in self.host_events('runner_on_ok'):
            if event['event_data'].get('task') == 'Print the fleet report':
                lines = event['event_data']['res']['msg']
                return {line.split()[0]: ' '.join(line.split()) for line in lines if line.split() and line.split()[0] in hosts}
        return {}


def run_job(fleet, template, controller, tmp_path, answers=None, hosts=None, limit=None, name='job'):
    """Run ``template`` as an AWX job through ansible-runner; ``hosts`` is the slice (default: every host)."""
    directory = tmp_path / name
    shutil.copytree(AWX_PROJECT_DIR, str(directory / 'project'), symlinks=True)
    inventory = copy.deepcopy(fleet['inventory'])
    for variable in CREDENTIAL_VARS:
        inventory['all']['vars'].pop(variable)
    keep = set(hosts or fleet['hosts'])
    for group in inventory['all']['children'].values():
        group['hosts'] = {host: value for host, value in (group.get('hosts') or {}).items() if host in keep}
    (directory / 'inventory').mkdir()
    (directory / 'inventory' / 'hosts.yml').write_text(yaml.safe_dump(inventory))
    os.symlink(fleet['group_vars'], str(directory / 'inventory' / 'group_vars'))
    (directory / 'env').mkdir()
    (directory / 'env' / 'extravars').write_text(json.dumps(launch_extra_vars(template, ui_answers(template, answers))))
    shutil.copy(fleet['key_file'], str(directory / 'env' / 'ssh_key'))
    cmdline = '-u root' + (' --limit %s' % limit if limit else '')
    (directory / 'env' / 'cmdline').write_text(cmdline)
    bin_dir = os.path.dirname(controllers()[controller])
    env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ['PATH'], ANSIBLE_NOCOLOR='1')
    subprocess.run([os.path.join(bin_dir, 'ansible-runner'), 'run', str(directory), '-p', template['playbook'],
                    '--ident', 'job'], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, check=False,
                   timeout=1800)
    return Job(str(directory))


def run_sliced(fleet, template, controller, tmp_path, answers=None):
    """The slices of a sliced job, run side by side as AWX's execution nodes run them."""
    with ThreadPoolExecutor(max_workers=SLICES) as pool:
        futures = [pool.submit(run_job, fleet, template, controller, tmp_path, answers,
                               job_slice(fleet['hosts'], number, SLICES), None, 'slice%d' % number)
                   for number in range(1, SLICES + 1)]
        return [future.result() for future in futures]


def merged(figures):
    """The published figures of the slices as one job's: counts added, host lists joined, in name order."""
    if all(isinstance(value, dict) for value in figures):
        keys = sorted(set(key for value in figures for key in value))
        return {key: merged([value[key] for value in figures if key in value]) for key in keys}
    if all(isinstance(value, list) for value in figures):
        return sorted(item for value in figures for item in value)
    if all(isinstance(value, bool) for value in figures):
        return any(figures)
    if all(isinstance(value, int) for value in figures):
        return sum(figures)
    assert len(set(map(json.dumps, figures))) == 1, figures
    return figures[0]


def what_awx_would_flag(job):
    """Host events whose task has no name of its own (AWX would show the module's name), and the job's warnings."""
    return unnamed_tasks(job) + warnings_in(job.stdout)


def unnamed_tasks(job):
    """Host events whose task has no name of its own (AWX would show the module's name)."""
    return sorted(set(event['event_data'].get('task_action', '') for event in job.host_events()
                      if not event['event_data'].get('task') or
                      event['event_data'].get('task') == event['event_data'].get('task_action')))


def test_provision_sliced_as_awx_splits_it_leaves_the_fleet_as_one_job_would(fleet, templates, tmp_path):
    """Provision a fresh fleet in three slices at once, then run it unsliced: nothing is left to change. Then the same
    state provisioned in slices and unsliced: the slices' reports and figures put together are the unsliced job's
    (each report says what its run did, so only runs from the same state compare)."""
    template = templates['TencentOS provision']
    assert int(template['job_slice_count']) > 1
    applied = run_sliced(fleet, template, 'newest', tmp_path)
    for job in applied:
        assert job.status == 'successful', job.stdout[-3000:]
    assert sorted(host for job in applied for host in job.recap('ok')) == fleet['hosts']
    whole = run_job(fleet, template, 'newest', tmp_path, name='whole')
    assert whole.status == 'successful', whole.stdout[-3000:]
    assert whole.recap('changed') == {}, 'the sliced provisioning left changes to make: %s' % whole.recap('changed')
    again = run_sliced(fleet, template, 'newest', tmp_path / 'again')
    sliced_lines = {}
    for job in again:
        assert job.status == 'successful' and job.recap('changed') == {}, job.stdout[-3000:]
        sliced_lines.update(job.report_lines(fleet['hosts']))
    whole_lines = whole.report_lines(fleet['hosts'])
    assert sorted(whole_lines) == fleet['hosts']
    assert sliced_lines == whole_lines
    assert merged([job.published['tencentos_fleet_report'] for job in again]) == \
        merged([whole.published['tencentos_fleet_report']])
    assert what_awx_would_flag(whole) == []


@pytest.mark.parametrize('controller', ['oldest', 'newest'])
def test_the_report_sliced_equals_one_unsliced_job(fleet, templates, tmp_path, controller):
    template = templates['TencentOS fleet report']
    slices = run_sliced(fleet, template, controller, tmp_path)
    whole = run_job(fleet, template, controller, tmp_path, name='whole')
    assert whole.status == 'successful' and all(job.status == 'successful' for job in slices)
    sliced_lines = {}
    for job in slices:
        assert set(job.report_lines(fleet['hosts'])) == set(job.recap('ok')), 'a slice reports another slice'
        sliced_lines.update(job.report_lines(fleet['hosts']))
    assert sliced_lines == whole.report_lines(fleet['hosts'])
    assert merged([job.published['tencentos_fleet_report'] for job in slices]) == \
        merged([whole.published['tencentos_fleet_report']])
    for job in slices + [whole]:
        assert job.recap('changed') == {} and job.recap('failures') == {}
    assert what_awx_would_flag(whole) == []


def test_awx_s_limit_narrows_the_job_and_its_report(fleet, templates, tmp_path):
    whole = run_job(fleet, templates['TencentOS fleet report'], 'newest', tmp_path, limit='tos24')
    assert whole.status == 'successful', whole.stdout[-3000:]
    assert set(whole.report_lines(fleet['hosts'])) == {'tos24'}
    assert whole.published['tencentos_fleet_report']['hosts'] == 1


@pytest.mark.parametrize('controller, answers', [
    ('newest', {}),
    ('oldest', {'stats_isolation_expect': 'off', 'stats_isolation_hosts': 'tke_node'}),
], ids=['defaults', 'answered'])
def test_the_stats_isolation_audit_changes_nothing_and_judges_every_host(fleet, templates, tmp_path, controller, answers):
    template = templates['TencentOS stats isolation audit']
    job = run_job(fleet, template, controller, tmp_path, answers)
    assert job.status in ('successful', 'failed'), job.stdout[-3000:]
    assert job.recap('changed') == {}
    expected_hosts = fleet['hosts'] if not answers else sorted(fleet['inventory']['all']['children']['tke_node']['hosts'])
    # Every host audited (passed or failed the audit), not refused before it.
    audited = set(event['event_data']['host'] for event in job.host_events()
                  if event['event_data'].get('task') == 'Report (and audit) container stats isolation'
                  and event['event'] in ('runner_on_ok', 'runner_on_failed'))
    assert audited == set(expected_hosts), job.stdout[-3000:]
    assert what_awx_would_flag(job) == []


@pytest.mark.parametrize('controller, answers, batches', [
    ('newest', {}, 4),
    ('oldest', {'tencentos_hotpatch_waves': '1, 50%', 'tencentos_hotpatch_patches_yaml': OTHER_KERNEL_PATCH,
                'tencentos_hotpatch_max_fail_percentage': 10}, 3),
], ids=['defaults', 'answered'])
def test_the_hot_patch_template_rolls_out_in_the_survey_s_waves(fleet, templates, tmp_path, controller, answers, batches):
    """The survey's waves are text ("1, 10%, 25%, 100%": on 9 hosts, waves of 1, 1, 2 and 5 hosts)."""
    job = run_job(fleet, templates['TencentOS hot patch'], controller, tmp_path, answers)
    assert job.status == 'successful', job.stdout[-3000:]
    if answers:
        # The survey's list reached the role on every host, which skipped the patch as built for another kernel.
        assert job.stdout.count('kpatch_built_for_another_kernel') >= len(fleet['hosts']), job.stdout[-3000:]
    assert len([event for event in job.events if event['event'] == 'playbook_on_play_start']) == batches
    assert 'tencentos_hotpatch_rollout' in job.published
    assert job.published['tencentos_hotpatch_rollout']['stopped'] is False
    assert what_awx_would_flag(job) == []


@pytest.mark.parametrize('controller, answers', [
    ('newest', {}),
    ('oldest', {'tencentos_kernel_upgrade_waves': '100%', 'tencentos_kernel_reboot_ok': 'false'}),
], ids=['defaults', 'answered'])
def test_the_kernel_upgrade_template_stages_without_a_reboot(fleet, templates, tmp_path, controller, answers):
    """Survey answers are strings: reboot_ok 'false' must not reboot (a non-empty string is true in Jinja)."""
    job = run_job(fleet, templates['TencentOS kernel upgrade'], controller, tmp_path, answers)
    assert job.status == 'successful', job.stdout[-3000:]
    rebooted = [event for event in job.host_events('runner_on_ok') if event['event_data'].get('task_action') in (
        'reboot', 'ansible.builtin.reboot')]
    assert rebooted == []
    assert 'tencentos_kernel_upgrade_rollout' in job.published
    assert what_awx_would_flag(job) == []
