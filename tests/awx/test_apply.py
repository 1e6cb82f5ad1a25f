# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""extensions/awx/apply.yml against a local AWX API v2 (awx_api.py), from the oldest and the newest controller.

From an empty AWX it creates every object of the definitions as they are written, and a second run changes nothing
(no write at all reaches the API). A missing setting is refused before the first request that writes.
"""

import json
import os
import subprocess

import pytest

from awx_model import AWX_DIR, PROJECT, SETTINGS, load_definitions

CONTROLLERS = {
    'oldest': os.path.join(PROJECT, '.venv-2.16', 'bin'),
    'newest': os.path.join(PROJECT, '.venv-newest', 'bin'),
}


def apply(awx_api, controller, tmp_path, settings):
    extra = tmp_path / 'settings.json'
    extra.write_text(json.dumps(settings))
    bin_dir = CONTROLLERS[controller]
    env = dict(os.environ, CONTROLLER_HOST=awx_api.url, CONTROLLER_USERNAME=awx_api.user,
               CONTROLLER_PASSWORD=awx_api.password, CONTROLLER_VERIFY_SSL='false', ANSIBLE_NOCOLOR='1')
    return subprocess.run([os.path.join(bin_dir, 'ansible-playbook'), '-i', 'localhost,', os.path.join(AWX_DIR, 'apply.yml'),
                           '-e', '@%s' % extra, '-e', 'ansible_python_interpreter=%s' % os.path.join(bin_dir, 'python')],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, env=env,
                          check=False, timeout=600)


def recap(output):
    line = [line for line in output.splitlines() if line.startswith('localhost ')][-1]
    return dict((key, int(value)) for key, value in (item.split('=') for item in line.split(':', 1)[1].split()))


def names(awx_api, kind):
    return sorted(obj['name'] for obj in awx_api.objects(kind))


@pytest.mark.parametrize('controller', sorted(CONTROLLERS))
def test_from_an_empty_awx_every_object_is_made_and_a_second_run_changes_nothing(awx_api, controller, tmp_path):
    definitions = load_definitions(SETTINGS, os.path.join(CONTROLLERS[controller], 'ansible-playbook'))
    first = apply(awx_api, controller, tmp_path, SETTINGS)
    assert first.returncode == 0, first.stdout[-4000:]
    for variable, kind in (('controller_credential_types', 'credential_types'), ('controller_credentials', 'credentials'),
                           ('controller_execution_environments', 'execution_environments'),
                           ('controller_projects', 'projects'), ('controller_inventories', 'inventories'),
                           ('controller_inventory_sources', 'inventory_sources'), ('controller_templates', 'job_templates'),
                           ('controller_workflows', 'workflow_job_templates')):
        made = names(awx_api, kind)
        assert all(item['name'] in made for item in definitions[variable]), (kind, made)

    images = dict((obj['name'], obj['id']) for obj in awx_api.objects('execution_environments'))
    for source in awx_api.objects('inventory_sources'):
        assert source['execution_environment'] == images['TencentOS fleet (ansible-core 2.16)']
    templates = dict((obj['name'], obj) for obj in awx_api.objects('job_templates'))
    for item in definitions['controller_templates']:
        made = templates[item['name']]
        assert made['execution_environment'] == images[item['execution_environment']]
        assert made['ask_job_slice_count_on_launch'] is bool(item.get('ask_job_slice_count_on_launch'))
        assert made['playbook'] == item['playbook']
        assert made['job_slice_count'] == int(item['job_slice_count'])
        assert made['ask_limit_on_launch'] is True and made['survey_enabled'] is True
        assert json.loads(made['extra_vars'] or '{}') == item.get('extra_vars', {})
    nodes = awx_api.objects('workflow_job_template_nodes')
    assert sorted(node['identifier'] for node in nodes) == ['hotpatch', 'report']
    hotpatch = [node for node in nodes if node['identifier'] == 'hotpatch'][0]
    report = [node for node in nodes if node['identifier'] == 'report'][0]
    assert hotpatch['always_nodes'] == [report['id']] and hotpatch['success_nodes'] == []

    writes_before = len(awx_api.writes())
    second = apply(awx_api, controller, tmp_path, SETTINGS)
    assert second.returncode == 0, second.stdout[-4000:]
    assert recap(second.stdout)['changed'] == 0, second.stdout[-4000:]
    assert awx_api.writes()[writes_before:] == []


def test_a_missing_setting_is_named_before_anything_changes(awx_api, tmp_path):
    settings = dict(SETTINGS, tencentos_awx_project_url='')
    del settings['tencentos_awx_secret_key']
    run = apply(awx_api, 'newest', tmp_path, settings)
    assert run.returncode != 0
    assert 'tencentos_awx_project_url, tencentos_awx_secret_key must be set' in run.stdout
    assert awx_api.writes() == []


def test_the_secrets_never_show_in_the_output(awx_api, tmp_path):
    run = apply(awx_api, 'newest', tmp_path, SETTINGS)
    assert run.returncode == 0, run.stdout[-4000:]
    for secret in ('tencentos_awx_secret_key', 'tencentos_awx_ssh_private_key'):
        assert SETTINGS[secret] not in run.stdout
