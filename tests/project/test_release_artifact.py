# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The release artifact holds what runs from an installed collection, and its pages link to nothing it lacks.

The artifact is built as a release builds it (ansible-galaxy collection build, galaxy.yml's build_ignore) with the
ansible-galaxy next to the Python running the tests. tools/release_checks.sh runs galaxy-importer and antsibull-docs
on it.
"""

import glob
import os
import re
import subprocess
import sys
import tarfile

import pytest

ROOT = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
ANSIBLE_GALAXY = os.path.join(os.path.dirname(sys.executable), 'ansible-galaxy')

# Left out: what needs the repository (its scripts, CI, the simulated fleet, lint and molecule configuration), and
# the pages that describe only that.
LEFT_OUT = [
    '.ci', '.config', '.gitignore', '.yamllint', 'Makefile', 'requirements-test.txt', 'tools', 'extensions/awx/project',
    'tests/awx', 'tests/bench', 'tests/faults', 'tests/fleet', 'tests/project', 'tests/sanity', 'tests/simulation',
    'tests/target_pythons', 'tests/user_role', 'docs/simulation.md', 'docs/testing.md', 'changelogs/fragments',
]
# Of molecule/, only what builds the simulated images ships: extensions/molecule/build-simulated-images.sh runs it for
# users' own molecule scenarios (docs/testing.md, "Testing your own role with molecule"). Every scenario stays out.
IMAGE_BUILD = [
    'molecule/resources/scripts/build-images.sh', 'molecule/resources/scripts/prepare-machine.sh',
    'molecule/resources/scripts/lib.sh', 'molecule/resources/scripts/env.sh', 'molecule/resources/images',
    'molecule/resources/releases', 'molecule/resources/rpm/release.spec', 'molecule/resources/rpm/kernel.spec',
    'molecule/resources/sim-kernel',
]
# Kept: what a user of the collection reads or runs.
KEPT = [
    # .ansible-lint: galaxy-importer's ansible-lint reads it in the artifact (the awx.awx modules apply.yml mocks).
    '.ansible-lint', 'extensions/awx/apply.yml', 'extensions/awx/configuration/job_templates.yml',
    'README.md', 'COPYING', 'requirements.txt', 'meta/runtime.yml', 'meta/execution-environment.yml',
    'meta/ee-requirements.txt', 'changelogs/changelog.yaml', 'docs/getting-started.md', 'docs/awx.md',
    'examples/inventory/hosts.yml', 'plugins/modules/tencentos_facts.py', 'plugins/inventory/cvm.py',
    'roles/kernel/tasks/main.yml', 'roles/kernel/README.md', 'playbooks/site.yml', 'tests/unit/conftest.py',
    'extensions/molecule/build-simulated-images.sh', 'extensions/molecule/example/molecule.yml',
    'extensions/molecule/release_motd/tasks/main.yml',
]
# The README is also the repository's front page (its commands and layout are the repository's) and galaxy.yml's
# readme: Galaxy renders it without its folder, where no relative link resolves anyway. Its links are for readers
# of the repository; every other page of the artifact must link only to files the artifact holds.
REPOSITORY_PAGES = ['README.md']
MARKDOWN_LINK = re.compile(r'\]\(([^)\s]+)\)')


@pytest.fixture(scope='module')
def artifact(tmp_path_factory):
    """{path: TarInfo} of the artifact's members."""
    output = tmp_path_factory.mktemp('artifact')
    subprocess.run([ANSIBLE_GALAXY, 'collection', 'build', '--output-path', str(output), ROOT],
                   check=True, stdout=subprocess.DEVNULL)
    path, = output.glob('tencentos-fleet-*.tar.gz')
    with tarfile.open(str(path)) as archive:
        members = dict((member.name.rstrip('/'), member) for member in archive.getmembers())
        pages = dict((name, archive.extractfile(member).read().decode('utf-8'))
                     for name, member in members.items() if name.endswith('.md') and member.isfile())
    return members, pages


def test_the_artifact_leaves_out_what_needs_the_repository(artifact):
    members, _pages = artifact
    assert [path for path in LEFT_OUT
            if any(name == path or name.startswith(path + '/') for name in members)] == []
    assert [name for name in members if '__pycache__' in name or name.endswith('.pyc')] == []


def test_of_molecule_the_artifact_holds_only_what_builds_the_simulated_images(artifact):
    members, _pages = artifact
    shipped = [name for name in members if name.startswith('molecule/') and not members[name].isdir()]
    assert [name for name in shipped
            if not any(name == path or name.startswith(path + '/') for path in IMAGE_BUILD)] == []
    assert [path for path in IMAGE_BUILD if path not in members] == []
    scenarios = glob.glob(os.path.join(ROOT, 'molecule', '*', 'molecule.yml'))
    assert len(scenarios) > 5
    assert [path for path in scenarios if os.path.relpath(os.path.dirname(path), ROOT) in members] == []


def test_the_artifact_keeps_what_users_run_and_read(artifact):
    members, _pages = artifact
    assert [path for path in KEPT if path not in members] == []


def test_the_only_tests_shipped_are_ansible_test_s_unit_tests(artifact):
    """A new folder under tests/ fails here until someone decides whether it runs from an installed collection."""
    members, _pages = artifact
    assert sorted(set(name.split('/')[1] for name in members if name.startswith('tests/'))) == ['unit']


def test_the_pages_of_the_artifact_link_only_to_files_it_holds(artifact):
    members, pages = artifact
    assert len(pages) > 10
    broken = []
    for page, text in sorted(pages.items()):
        if page in REPOSITORY_PAGES:
            continue
        for target in MARKDOWN_LINK.findall(text):
            if re.match(r'[a-z][a-z0-9+.-]*:', target) or target.startswith('#'):
                continue  # a URL, or a section of the same page
            path = os.path.normpath(os.path.join(os.path.dirname(page), target.split('#')[0]))
            if path not in members:
                broken.append((page, target))
    assert broken == []
