# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The execution environment definitions of extensions/ee, one per controller end, as ansible-builder reads them.

`ansible-builder create` writes each one's build context (a Containerfile and the files it copies); nothing is
built or pulled, so the tests run offline. The context must hold the project's ansible-core pin for its end
(tools/lib.sh), an interpreter that ansible-core runs on, the cvm inventory plugin's SDK packages of
meta/ee-requirements.txt and nothing else, and tencentos.fleet.
"""

import os
import re
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
EE_DIR = os.path.join(ROOT, 'extensions', 'ee')
# ansible-builder is pinned in requirements-test.txt and installed next to the Python running the tests.
ANSIBLE_BUILDER = os.path.join(os.path.dirname(sys.executable), 'ansible-builder')

# Each definition and the tools/lib.sh variable that pins the ansible-core of its controller end.
DEFINITIONS = {
    'execution-environment-core-2.16.yml': 'ANSIBLE_CORE_OLDEST',
    'execution-environment-core-newest.yml': 'ANSIBLE_CORE_NEWEST',
}
# Controller Pythons of each pinned ansible-core release: 2.16's from the ansible-core support matrix (3.10 - 3.12);
# 2.21 requires 3.12 or newer (its wheel's Requires-Python) and the project runs it on 3.13 (.venv-newest). A new pin in
# tools/lib.sh fails here until someone checks the interpreter of its definition.
CONTROLLER_PYTHONS = {
    '2.16': ['3.10', '3.11', '3.12'],
    '2.21': ['3.12', '3.13'],
}
SDK_PACKAGES = ['tencentcloud-sdk-python-common', 'tencentcloud-sdk-python-cvm']


def read(path):
    with open(os.path.join(ROOT, path)) as handle:
        return handle.read()


def requirement_lines(text):
    """A pip requirements file's requirements, without comments and blank lines."""
    lines = [line.split('#', 1)[0].strip() for line in text.splitlines()]
    return [line for line in lines if line]


def project_pin(variable):
    """The ansible-core version tools/lib.sh pins for a controller end."""
    found = re.search(r'^%s=(\S+)$' % variable, read('tools/lib.sh'), re.MULTILINE)
    assert found, '%s is not set in tools/lib.sh' % variable
    return found.group(1)


def containerfile_args(context):
    """The ARG defaults of a Containerfile: {name: value}."""
    with open(os.path.join(context, 'Containerfile')) as handle:
        return dict(re.findall(r'^ARG (\w+)="([^"]*)"$', handle.read(), re.MULTILINE))


def run(*args):
    assert os.path.exists(ANSIBLE_BUILDER), 'ansible-builder is not installed next to %s' % sys.executable
    result = subprocess.run([ANSIBLE_BUILDER] + list(args), cwd=ROOT, capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope='module', params=sorted(DEFINITIONS))
def built(request, tmp_path_factory):
    """(definition file name, loaded definition, its build context written by `ansible-builder create`)."""
    name = request.param
    definition_path = os.path.join(EE_DIR, name)
    context = str(tmp_path_factory.mktemp(name.replace('.yml', '')) / 'context')
    run('create', '-f', definition_path, '--context', context)
    with open(definition_path) as handle:
        return name, yaml.safe_load(handle), context


def test_there_is_a_definition_for_each_controller_end_and_no_other():
    found = sorted(entry for entry in os.listdir(EE_DIR) if entry.startswith('execution-environment'))
    assert found == sorted(DEFINITIONS)


def test_the_definitions_use_the_version_3_schema(built):
    name, definition, context = built
    assert definition['version'] == 3, name


def test_the_containerfile_builds_from_the_definition_s_public_base_image(built):
    name, definition, context = built
    base_image = definition['images']['base_image']['name']
    # A full reference (registry host, repository, tag) pulls the same image under podman and docker.
    assert re.match(r'^[a-z0-9-]+(\.[a-z0-9-]+)+/[^:]+:[\w.-]+$', base_image), base_image
    with open(os.path.join(context, 'Containerfile')) as handle:
        containerfile = handle.read()
    assert containerfile_args(context)['EE_BASE_IMAGE'] == base_image
    assert re.search(r'^FROM \$EE_BASE_IMAGE AS base$', containerfile, re.MULTILINE), containerfile


def test_ansible_core_is_the_project_s_pin_for_the_controller_end(built):
    name, definition, context = built
    refs = containerfile_args(context)['ANSIBLE_INSTALL_REFS'].split()
    core = [ref for ref in refs if ref.startswith('ansible-core')]
    assert core == ['ansible-core==%s' % project_pin(DEFINITIONS[name])], name
    runner = [ref for ref in refs if ref.startswith('ansible-runner')]
    assert len(runner) == 1 and re.match(r'^ansible-runner==\d+(\.\d+)+$', runner[0]), refs
    assert len(refs) == 2, refs


def test_the_interpreter_is_one_the_pinned_ansible_core_runs_on(built):
    name, definition, context = built
    args = containerfile_args(context)
    core_minor = '.'.join(project_pin(DEFINITIONS[name]).split('.')[:2])
    assert core_minor in CONTROLLER_PYTHONS, 'check which Python ansible-core %s runs on' % core_minor
    python_version = re.match(r'^/usr/bin/python(3\.\d+)$', args['PYCMD']).group(1)
    assert python_version in CONTROLLER_PYTHONS[core_minor], (name, args['PYCMD'])
    assert args['PYPKG'] == 'python' + python_version


def test_the_python_requirements_are_the_sdk_packages_and_nothing_else(built):
    name, definition, context = built
    with open(os.path.join(context, '_build', 'requirements.txt')) as handle:
        copied = requirement_lines(handle.read())
    assert copied == requirement_lines(read('meta/ee-requirements.txt')), name
    assert [re.split(r'[<>=!~ ]', line)[0] for line in copied] == SDK_PACKAGES
    # No system packages (bindep), no build files or build steps of our own.
    assert sorted(os.listdir(os.path.join(context, '_build'))) == ['requirements.txt', 'requirements.yml', 'scripts']
    assert sorted(definition['dependencies']) == sorted(
        ['python_interpreter', 'ansible_core', 'ansible_runner', 'python', 'galaxy'])
    assert sorted(definition) == ['dependencies', 'images', 'version'], name


def test_the_galaxy_requirements_install_this_collection_at_this_version(built):
    name, definition, context = built
    with open(os.path.join(context, '_build', 'requirements.yml')) as handle:
        requirements = yaml.safe_load(handle)
    version = yaml.safe_load(read('galaxy.yml'))['version']
    assert requirements == {'collections': [{'name': 'tencentos.fleet', 'version': version}]}, name


def test_the_collection_declares_the_same_packages_to_ansible_builder(tmp_path):
    """meta/execution-environment.yml is what ansible-builder reads from the installed collection during a build:
    it must give the SDK packages of meta/ee-requirements.txt and no system package."""
    collections = tmp_path / 'collections'
    (collections / 'ansible_collections' / 'tencentos').mkdir(parents=True)
    os.symlink(ROOT, str(collections / 'ansible_collections' / 'tencentos' / 'fleet'))
    pip, bindep = tmp_path / 'requirements.txt', tmp_path / 'bindep.txt'
    run('introspect', '--write-pip', str(pip), '--write-bindep', str(bindep), str(collections))
    assert requirement_lines(pip.read_text()) == requirement_lines(read('meta/ee-requirements.txt'))
    assert not bindep.exists()
