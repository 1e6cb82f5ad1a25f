# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX definitions of extensions/awx/configuration, checked against what reads them.

- Every object validates against the argument spec of the awx.awx module that applies it (taken from the module
  itself, as bundled in the `ansible` package), and extensions/awx/apply.yml passes every key a definition has.
- Every survey: AWX takes each default; every value it can give (each default, each choice, each end of a range, and
  an answer an operator would type) is accepted by the argument specs of the roles its playbook applies, and every
  variable it sets is read by that playbook or those roles.
- The credential type injects the environment variables the cvm inventory plugin reads.
"""

import importlib
import os
import re
from unittest import mock

import pytest
import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from awx_model import (AWX_DIR, AWX_PROJECT_DIR, PROJECT, SETTINGS, SURVEY_TYPES, by_name, injected_environment,
                       launch_extra_vars, load_definitions, survey_problems, ui_answers)

# Which awx.awx module applies each variable's objects.
MODULES = {
    'controller_credential_types': 'credential_type',
    'controller_execution_environments': 'execution_environment',
    'controller_credentials': 'credential',
    'controller_projects': 'project',
    'controller_inventories': 'inventory',
    'controller_inventory_sources': 'inventory_source',
    'controller_templates': 'job_template',
    'controller_workflows': 'workflow_job_template',
}
# The roles each project playbook applies (through the collection's playbook it imports).
PLAYBOOK_ROLES = {
    'provision.yml': ['repos', 'kernel', 'sysctl', 'hotpatch'],
    'kernel_upgrade.yml': ['kernel'],
    'hotpatch.yml': ['hotpatch'],
    'site.yml': ['repos'],
    'stats_isolation.yml': [],
    'audit.yml': ['repos', 'kernel', 'sysctl', 'hotpatch'],
}
# Answers an operator would type, besides the defaults and the choices.
TYPED_ANSWERS = {
    'tencentos_fleet_hosts': ['tke_node', 'tke_node:&ap_guangzhou'],
    'stats_isolation_hosts': ['tke_node'],
    'tencentos_kernel_version': ['latest', '5.4.241-1.0017'],
    'tencentos_kernel_upgrade_waves': ['1, 50%', '100%'],
    'tencentos_hotpatch_waves': ['1, 50%', '2'],
    'tencentos_hotpatch_patches_yaml': ['- name: kpatch_5_4_241_cve_2024_1086\n  file: patches/cve.ko\n'],
}


@pytest.fixture(scope='module')
def definitions():
    return load_definitions(SETTINGS)


def module_argspec(name):
    """(argument_spec, the module's other AnsibleModule arguments) of awx.awx's module ``name``."""
    module = importlib.import_module('ansible_collections.awx.awx.plugins.modules.%s' % name)
    captured = {}

    class Captured(Exception):
        pass

    def capture(self, argument_spec=None, **kwargs):
        captured.update(argument_spec=argument_spec, kwargs=kwargs)
        raise Captured()

    with mock.patch.object(module.ControllerAPIModule, '__init__', capture):
        with pytest.raises(Captured):
            module.main()
    return captured['argument_spec'], captured['kwargs']


def validation_errors(module, params):
    spec, kwargs = module_argspec(module)
    checks = {key: kwargs[key] for key in ('mutually_exclusive', 'required_together', 'required_one_of', 'required_if',
                                           'required_by') if kwargs.get(key)}
    result = ArgumentSpecValidator(spec, **checks).validate(params)
    return [str(error) for error in result.errors]


def objects_with_modules(definitions):
    for variable, module in MODULES.items():
        for item in definitions[variable]:
            params = dict(item)
            nodes = params.pop('simplified_workflow_nodes', [])
            yield '%s %s' % (module, item['name']), module, params
            for node in nodes:
                node_params = dict(node, workflow_job_template=item['name'], organization=item['organization'])
                yield 'workflow_job_template_node %s' % node['identifier'], 'workflow_job_template_node', node_params


def test_every_definition_validates_against_its_awx_awx_module(definitions):
    problems = {label: validation_errors(module, params)
                for label, module, params in objects_with_modules(definitions)}
    assert {label: errors for label, errors in problems.items() if errors} == {}
    assert len(problems) == 17


def test_a_wrong_definition_is_caught():
    """The check above can fail: a misspelt option and a wrong type."""
    assert validation_errors('job_template', {'name': 'x', 'job_slice_cuont': 2})
    assert validation_errors('job_template', {'name': 'x', 'job_slice_count': 'many'})


def passed_keys(task):
    """The keys of ``item`` (or ``item.1``) a task of apply.yml passes to its module."""
    options = next(value for key, value in task.items() if key.startswith('awx.awx.'))
    return set(re.findall(r'item(?:\.1)?\.(\w+)', yaml.safe_dump(options)))


def test_apply_yml_passes_every_key_of_every_definition(definitions):
    with open(os.path.join(AWX_DIR, 'apply.yml')) as handle:
        tasks = yaml.safe_load(handle)[0]['tasks']
    passed = {}
    for task in tasks:
        module = next((key.split('.')[-1] for key in task if key.startswith('awx.awx.')), None)
        if module:
            passed.setdefault(module, set()).update(passed_keys(task))
    dropped = {}
    for label, module, params in objects_with_modules(definitions):
        extra = set(params) - passed.get(module, set()) - {'workflow_job_template', 'organization'}
        if extra:
            dropped[label] = sorted(extra)
    assert dropped == {}


def role_spec(role):
    with open(os.path.join(PROJECT, 'roles', role, 'meta', 'argument_specs.yml')) as handle:
        return yaml.safe_load(handle)['argument_specs']['main']['options']


def values_a_survey_can_give(question):
    values = []
    if question.get('default') is not None:
        values.append(question['default'])
    if question['type'] in ('multiplechoice', 'multiselect'):
        values += [[choice] if question['type'] == 'multiselect' else choice for choice in question['choices']]
    if question['type'] in ('integer', 'float'):
        values += [question[end] for end in ('min', 'max') if question.get(end) not in ('', None)]
    values += TYPED_ANSWERS.get(question['variable'], [])
    return values


def survey_cases(definitions):
    for template in definitions['controller_templates']:
        for question in template['survey_spec']['spec']:
            for value in values_a_survey_can_give(question):
                yield template, question, value


def test_every_value_a_survey_can_give_is_taken_by_awx_and_the_roles(definitions):
    refused = []
    cases = list(survey_cases(definitions))
    for template, question, value in cases:
        awx_says = survey_problems(question, value)
        if awx_says:
            refused.append('%s: AWX refuses %s' % (template['name'], awx_says))
            continue
        extra_vars = launch_extra_vars(template, ui_answers(template, {question['variable']: value}))
        for role in PLAYBOOK_ROLES[template['playbook']]:
            spec = role_spec(role)
            given = {name: value for name, value in extra_vars.items() if name in spec}
            errors = ArgumentSpecValidator(spec).validate(given).errors
            refused += ['%s: role %s refuses %r: %s' % (template['name'], role, value, error) for error in errors]
    assert refused == []
    assert len(cases) > 40


def test_a_survey_value_a_role_refuses_is_caught(definitions):
    """The check above can fail: a sysctl profile the role does not know."""
    errors = ArgumentSpecValidator(role_spec('sysctl')).validate({'tencentos_sysctl_profile': 'tke'}).errors
    assert errors


def test_every_survey_default_is_taken_by_awx_and_every_required_question_has_one(definitions):
    for template in definitions['controller_templates'] + definitions['controller_workflows']:
        for question in template['survey_spec']['spec']:
            assert question['type'] in SURVEY_TYPES, question
            if question.get('default') is not None:
                assert survey_problems(question, question['default']) == [], (template['name'], question)
            assert not question['required'] or question.get('default') is not None, (template['name'], question)
        launch_extra_vars(template, ui_answers(template))


def test_every_survey_variable_is_read_by_its_playbook_or_its_roles(definitions):
    unread = []
    for template in definitions['controller_templates']:
        with open(os.path.join(AWX_PROJECT_DIR, template['playbook'])) as handle:
            imported = re.search(r'import_playbook: tencentos\.fleet\.(\w+)', handle.read()).group(1)
        with open(os.path.join(PROJECT, 'playbooks', imported + '.yml')) as handle:
            playbook = handle.read()
        role_options = set()
        for role in PLAYBOOK_ROLES[template['playbook']]:
            role_options.update(role_spec(role))
        for question in template['survey_spec']['spec']:
            if question['variable'] not in role_options and question['variable'] not in playbook:
                unread.append('%s: %s' % (template['name'], question['variable']))
    assert unread == []


def test_the_project_has_every_playbook_of_the_templates(definitions):
    playbooks = sorted(template['playbook'] for template in definitions['controller_templates'])
    assert playbooks == sorted(PLAYBOOK_ROLES)
    for name in playbooks:
        assert os.path.isfile(os.path.join(AWX_PROJECT_DIR, name)), name


def test_the_wave_roll_outs_are_not_sliced_and_the_others_are(definitions):
    slices = {template['playbook']: int(template['job_slice_count']) for template in definitions['controller_templates']}
    assert slices['kernel_upgrade.yml'] == 1 and slices['hotpatch.yml'] == 1
    assert all(count > 1 for name, count in slices.items() if name not in ('kernel_upgrade.yml', 'hotpatch.yml'))


def test_the_credential_type_injects_what_the_cvm_plugin_reads(definitions):
    credential_type = by_name(definitions, 'controller_credential_types')['Tencent Cloud API']
    inputs = {'secret_id': 'AKID1', 'secret_key': 'KEY1', 'region': 'ap-guangzhou'}
    environment = injected_environment(credential_type, inputs)
    assert environment == {'TENCENTCLOUD_SECRET_ID': 'AKID1', 'TENCENTCLOUD_SECRET_KEY': 'KEY1',
                           'TENCENTCLOUD_SECURITY_TOKEN': '', 'TENCENTCLOUD_REGION': 'ap-guangzhou'}
    with open(os.path.join(PROJECT, 'plugins', 'inventory', 'cvm.py')) as handle:
        documentation = yaml.safe_load(re.search(r'DOCUMENTATION = r?"""(.*?)"""', handle.read(), re.S).group(1))
    read = set(env['name'] for option in documentation['options'].values() for env in option.get('env', []))
    assert set(environment) <= read
    assert set(field['id'] for field in credential_type['inputs']['fields']) == {'secret_id', 'secret_key', 'token', 'region'}


def test_the_inventory_source_file_is_one_the_cvm_plugin_takes(definitions):
    source = by_name(definitions, 'controller_inventory_sources')['CVM API']
    assert source['source_path'].endswith('cvm.yml')
    with open(os.path.join(AWX_PROJECT_DIR, source['source_path'])) as handle:
        assert yaml.safe_load(handle)['plugin'] == 'tencentos.fleet.cvm'


def test_an_answer_awx_refuses_stops_the_launch(definitions):
    """AWX refuses these before a job exists: a choice not offered, an empty kernel version (min 1)."""
    provision = by_name(definitions, 'controller_templates')['TencentOS provision']
    with pytest.raises(ValueError, match='tencentos_sysctl_profile'):
        launch_extra_vars(provision, ui_answers(provision, {'tencentos_sysctl_profile': 'tke'}))
    with pytest.raises(ValueError, match='tencentos_kernel_version'):
        launch_extra_vars(provision, ui_answers(provision, {'tencentos_kernel_version': ''}))
    with pytest.raises(ValueError, match='not a question of the survey'):
        launch_extra_vars(provision, ui_answers(provision, {'tencentos_repos_mirror': 'public'}))
    # Through the API, a required question must be answered even where it has a default.
    with pytest.raises(ValueError, match='tencentos_fleet_hosts: required'):
        launch_extra_vars(provision, {'tencentos_kernel_reboot_ok': 'false'})
    assert launch_extra_vars(provision, ui_answers(provision)) == {'tencentos_fleet_hosts': 'all',
                                                                   'tencentos_kernel_reboot_ok': 'false'}


def test_every_job_and_inventory_update_runs_in_an_execution_environment_of_the_collection(definitions):
    """An inventory update has no project: without its own, AWX runs it in its default image, which lacks the SDK."""
    images = set(item['name'] for item in definitions['controller_execution_environments'])
    for variable in ('controller_templates', 'controller_inventory_sources'):
        for item in definitions[variable]:
            assert item.get('execution_environment') in images, item['name']
    for template in definitions['controller_templates']:
        sliced = int(template['job_slice_count']) > 1
        assert bool(template.get('ask_job_slice_count_on_launch')) == sliced, template['name']
