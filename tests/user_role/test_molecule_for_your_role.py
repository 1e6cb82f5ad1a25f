# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/testing.md, "Testing your own role with molecule", run as a user runs it: from the installed collection.

The collection is built (ansible-galaxy collection build, as a release builds it) and installed into the home of a
user of its own (a temporary HOME), where ansible-galaxy puts it by default; containers.podman, which molecule's
podman driver uses, is taken from the collections the project's tools installed (ANSIBLE_COLLECTIONS_PATH, or
.ansible/collections). Then every `sh` block of the section after its first one (which installs molecule and the
collections from PyPI and Galaxy) runs as written, in that order, in one bash with `set -e`, from an empty folder:
the simulated image built from the installed collection, the example role with the example scenario copied into it,
`molecule test` on the simulated TencentOS Server 3.1 (no registry is reachable from the test machines).

Needs root and the machine tools/setup.sh prepared (podman, the simulated images; their build is then cached).
tools/test.sh runs it after the molecule scenarios:

    .venv/bin/python -m pytest -p no:cacheprovider -q tests/user_role
"""

import os
import re
import subprocess
import sys

import pytest

PROJECT = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
VENV_BIN = os.path.dirname(sys.executable)
SECTION = 'Testing your own role with molecule'
# What the test's shell keeps from the environment tools/test.sh runs it in: CI's plain-text switches and the
# project's state folder (the simulated images' podman configuration is in it).
KEPT_VARIABLES = ('CI', 'ANSIBLE_NOCOLOR', 'NO_COLOR', 'PY_COLORS', 'TENCENTOS_FLEET_WORKDIR')


def section_commands(text, title):
    """The `sh` blocks of the page's `## title` section, in order."""
    match = re.search(r'^## %s\n(.*?)(?=^## |\Z)' % re.escape(title), text, re.M | re.S)
    assert match, 'no section "## %s"' % title
    return re.findall(r'^```sh\n(.*?)^```', match.group(1), re.M | re.S)


def test_the_section_names_the_commands_this_test_runs():
    with open(os.path.join(PROJECT, 'docs', 'testing.md')) as page:
        blocks = section_commands(page.read(), SECTION)
    assert 'ansible-galaxy collection install tencentos.fleet' in blocks[0]
    assert 'build-simulated-images.sh' in ''.join(blocks[1:])
    assert 'molecule test' in blocks[-1]


def podman_collection():
    for path in os.environ.get('ANSIBLE_COLLECTIONS_PATH', '').split(':') + [os.path.join(PROJECT, '.ansible',
                                                                                          'collections')]:
        candidate = os.path.join(path, 'ansible_collections', 'containers', 'podman')
        if path and os.path.isdir(candidate):
            return candidate
    pytest.fail('containers.podman is not installed: run tools/setup.sh')


@pytest.fixture(scope='module')
def user_env(tmp_path_factory):
    """The environment of a user whose ~/.ansible/collections holds the built collection and containers.podman, and
    nothing of the project's: a HOME of its own, the molecule and Ansible of the project's venv on PATH."""
    podman = podman_collection()
    home = tmp_path_factory.mktemp('home')
    env = dict((key, os.environ[key]) for key in KEPT_VARIABLES if key in os.environ)
    env.update(HOME=str(home), PATH=VENV_BIN + ':/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')
    artifact_dir = tmp_path_factory.mktemp('artifact')
    subprocess.run([os.path.join(VENV_BIN, 'ansible-galaxy'), 'collection', 'build', '--output-path',
                    str(artifact_dir), PROJECT], check=True, stdout=subprocess.DEVNULL, env=env)
    artifact, = artifact_dir.glob('tencentos-fleet-*.tar.gz')
    subprocess.run([os.path.join(VENV_BIN, 'ansible-galaxy'), 'collection', 'install', '--offline', str(artifact)],
                   check=True, stdout=subprocess.DEVNULL, env=env)
    collections = home / '.ansible' / 'collections' / 'ansible_collections'
    assert (collections / 'tencentos' / 'fleet' / 'MANIFEST.json').is_file()
    (collections / 'containers').mkdir()
    os.symlink(podman, str(collections / 'containers' / 'podman'))
    return env


def test_the_documented_scenario_passes_on_the_simulated_image(user_env, tmp_path):
    with open(os.path.join(PROJECT, 'docs', 'testing.md')) as page:
        blocks = section_commands(page.read(), SECTION)
    run = subprocess.run(['bash', '-c', 'set -euo pipefail\n' + '\n'.join(blocks[1:])], cwd=str(tmp_path), check=False,
                         env=user_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    assert run.returncode == 0, run.stdout[-6000:]
    # Every step of molecule's default sequence that the scenario has, on the simulated TencentOS Server 3.1.
    for step in ('create', 'prepare', 'converge', 'idempotence', 'verify', 'destroy'):
        assert 'default > %s: Executed: Successful' % step in run.stdout
    assert 'localhost/tencentos-fleet/tencentos-3.1:latest' in run.stdout
