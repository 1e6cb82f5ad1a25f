# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What AWX does with the definitions of extensions/awx/configuration, for the tests: no AWX runs here.

- ``load_definitions``: the folder's files as a play that include_vars them sees them, templated with the settings
  and the extra variables given (values marked !unsafe, the credential type's injectors, stay templates).
- ``launch_extra_vars``: the extra variables of a job launched from a template with a survey. AWX starts from the
  template's extra_vars, adds each question's default that its own rules accept, then the answers given, refusing
  an answer that breaks a rule or a required question left out (awx/main/models/mixins.py, SurveyJobTemplateMixin,
  in github.com/ansible/awx). ``ui_answers``: what AWX's launch screen sends, the defaults pre-filled.
- ``survey_problems``: those rules for one question and one value: the type, the length of a text, the range of a
  number, a choice not offered.
- ``job_slice``: the hosts of slice ``number`` of ``count``: every count-th host of the inventory sorted by name,
  from the number-th (awx/main/models/inventory.py, Inventory.get_sliced_hosts).
- ``injected_environment``: the environment a credential type's injectors give a job for the inputs given, rendered
  as AWX renders them (a sandboxed Jinja2 environment).
"""

import json
import os
import subprocess
import sys
import tempfile

from jinja2.sandbox import ImmutableSandboxedEnvironment

PROJECT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
AWX_DIR = os.path.join(PROJECT, 'extensions', 'awx')
CONFIGURATION_DIR = os.path.join(AWX_DIR, 'configuration')
AWX_PROJECT_DIR = os.path.join(AWX_DIR, 'project')

# Values for the settings extensions/awx/apply.yml requires (configuration/settings.yml), for the tests.
SETTINGS = {
    'tencentos_awx_project_url': 'https://git.example.com/ops/tencentos-fleet-jobs.git',
    'tencentos_awx_ee_image_core_2_16': 'registry.example.com/tencentos-fleet-ee:2.16',
    'tencentos_awx_ee_image_core_newest': 'registry.example.com/tencentos-fleet-ee:newest',
    'tencentos_awx_secret_id': 'AKIDexample', 'tencentos_awx_secret_key': 'example-key',
    'tencentos_awx_ssh_private_key': '-----BEGIN OPENSSH PRIVATE KEY-----\nexample\n-----END OPENSSH PRIVATE KEY-----',
}

SURVEY_TYPES = ('text', 'textarea', 'password', 'integer', 'float', 'multiplechoice', 'multiselect')


def load_definitions(extra_vars=None, ansible_playbook=None):
    """Every variable of configuration/*.yml, as a play that include_vars the folder templates it (ansible-playbook
    does it, so that what is checked is what extensions/awx/apply.yml passes to the modules)."""
    ansible_playbook = ansible_playbook or os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
    with tempfile.TemporaryDirectory() as work:
        output = os.path.join(work, 'definitions.json')
        playbook = os.path.join(work, 'read.yml')
        with open(playbook, 'w') as handle:
            handle.write(READ_PLAYBOOK % {'dir': CONFIGURATION_DIR, 'output': output})
        extra = os.path.join(work, 'extra.json')
        with open(extra, 'w') as handle:
            json.dump(extra_vars or {}, handle)
        completed = subprocess.run([ansible_playbook, '-i', 'localhost,', '-c', 'local', playbook, '-e', '@' + extra,
                                    '-e', 'ansible_python_interpreter=' + os.path.join(os.path.dirname(ansible_playbook), 'python')],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                                   check=False)
        if completed.returncode != 0:
            raise RuntimeError(completed.stdout)
        with open(output) as handle:
            return json.load(handle)


# The folder is read twice: under one name for the list of its variables, then as a play reads it, so that each
# variable is written out templated as a task that uses it sees it.
READ_PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - ansible.builtin.include_vars:
        dir: %(dir)s
        extensions: [yml]
        name: __definitions
    - ansible.builtin.include_vars:
        dir: %(dir)s
        extensions: [yml]
    - ansible.builtin.copy:
        dest: %(output)s
        content: "{{ dict(__names | zip(query('ansible.builtin.vars', *__names))) | to_json }}"
        mode: "0600"
      vars:
        __names: "{{ __definitions.keys() | list }}"
"""


def by_name(definitions, variable):
    return {item['name']: item for item in definitions[variable]}


def survey_problems(question, value):
    """What AWX says of ``value`` as the answer to ``question`` (a survey spec element); [] when it takes it."""
    kind, name = question['type'], question['variable']
    if kind in ('text', 'textarea', 'password'):
        if not isinstance(value, str):
            return ['%s: %r is not a string' % (name, value)]
        problems = []
        if question.get('min') not in ('', None) and len(value) < int(question['min']):
            problems.append('%s: %r is shorter than %s' % (name, value, question['min']))
        if question.get('max') not in ('', None) and len(value) > int(question['max']):
            problems.append('%s: %r is longer than %s' % (name, value, question['max']))
        return problems
    if kind in ('integer', 'float'):
        numeric = (int,) if kind == 'integer' else (int, float)
        if isinstance(value, bool) or not isinstance(value, numeric):
            return ['%s: %r is not %s' % (name, value, 'an integer' if kind == 'integer' else 'a number')]
        problems = []
        if question.get('min') not in ('', None) and value < float(question['min']):
            problems.append('%s: %r is below %s' % (name, value, question['min']))
        if question.get('max') not in ('', None) and value > float(question['max']):
            problems.append('%s: %r is above %s' % (name, value, question['max']))
        return problems
    choices = question['choices']
    if isinstance(choices, str):
        choices = [choice for choice in choices.splitlines() if choice.strip()]
    if kind == 'multiselect':
        if not isinstance(value, list):
            return ['%s: %r is not a list' % (name, value)]
        return ['%s: %r is not one of %s' % (name, item, choices) for item in value if item not in choices]
    if kind == 'multiplechoice':
        return [] if value in choices else ['%s: %r is not one of %s' % (name, value, choices)]
    return ['%s: unknown question type %r' % (name, kind)]


def ui_answers(template, typed=None):
    """The answers AWX's launch screen sends: every question's default, pre-filled, with what was typed instead."""
    answers = dict((question['variable'], question['default']) for question in template['survey_spec']['spec']
                   if question.get('default') is not None)
    answers.update(typed or {})
    return answers


def launch_extra_vars(template, answers=None):
    """The extra variables of a job of ``template`` (a job template definition) launched through the API with
    ``answers`` (AWX's launch screen sends ui_answers()).

    Raises ValueError, as AWX refuses the launch, for an answer AWX refuses or a required question not answered
    (the API checks that even where the question has a default; workflow nodes and schedules do not).
    """
    answers = dict(answers or {})
    extra_vars = dict(template.get('extra_vars') or {})
    if not template.get('survey_enabled'):
        return dict(extra_vars, **answers)
    problems = []
    for question in template['survey_spec']['spec']:
        name, default = question['variable'], question.get('default')
        if default is not None and not survey_problems(question, default):
            extra_vars[name] = default
        if name in answers:
            problems += survey_problems(question, answers[name])
        elif question.get('required'):
            problems.append('%s: required, and not answered' % name)
    asked = set(question['variable'] for question in template['survey_spec']['spec'])
    if not template.get('ask_variables_on_launch'):
        problems += ['%s: not a question of the survey, and the template does not ask for variables' % name
                     for name in sorted(set(answers) - asked)]
    if problems:
        raise ValueError('; '.join(problems))
    extra_vars.update(answers)
    return extra_vars


def job_slice(hosts, number, count):
    """The hosts of slice ``number`` (1 to ``count``) of a sliced job over ``hosts``."""
    if count < 2:
        return sorted(hosts)
    return sorted(hosts)[number - 1::count]


def injected_environment(credential_type, inputs):
    """The environment variables a job gets from a credential of ``credential_type`` with ``inputs``."""
    environment = ImmutableSandboxedEnvironment()
    # AWX renders with the inputs that have a value; an empty one is as if not given.
    inputs = dict((name, value) for name, value in inputs.items() if value not in ('', None))
    return {name: environment.from_string(template).render(**inputs)
            for name, template in credential_type['injectors'].get('env', {}).items()}
