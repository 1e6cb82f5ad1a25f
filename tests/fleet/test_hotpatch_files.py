# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A hot patch given as a controller file with a relative path, to the collection's own hotpatch playbook.

That playbook lives inside the installed collection: its directory is not the user's. A relative file is taken from
the directory ansible-playbook runs in (an AWX job's project directory), and a refusal shows where it looked. The
file here is there but not the module the sha256 names, so the run stops before any host changes, with the
checksum the controller read from the file it found.
"""

import hashlib
import json
import os

import pytest

PROJECT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))

KERNEL = '4.14.105-19-0013'
CONTENT = b'not a kernel module\n'
WRONG_SHA256 = 'ab' * 32


@pytest.mark.parametrize('controller', ['oldest', 'newest'])
def test_a_relative_file_is_taken_from_where_ansible_playbook_runs_and_the_refusal_shows_it(
        controller, tmp_path, ansible_on):
    (tmp_path / 'patches').mkdir()
    (tmp_path / 'patches' / 'fix_local.ko').write_bytes(CONTENT)
    patches = [{'name': 'fix_local', 'kernel': KERNEL, 'file': 'patches/fix_local.ko', 'sha256': WRONG_SHA256}]
    run = ansible_on(controller)('ansible-playbook', os.path.join(PROJECT, 'playbooks', 'hotpatch.yml'), '--limit', 'tos24',
                                 '-e', json.dumps({'tencentos_hotpatch_patches': patches}), cwd=str(tmp_path))
    assert run.returncode != 0, run.stdout
    found = os.path.join(str(tmp_path), 'patches', 'fix_local.ko')
    assert ("tencentos_hotpatch_patches[0] (fix_local): file patches/fix_local.ko (%s, relative to the directory "
            "ansible-playbook runs in, as the playbook is one of the collection's own) has sha256 %s, not %s"
            % (found, hashlib.sha256(CONTENT).hexdigest(), WRONG_SHA256)) in run.stdout, run.stdout
    assert 'Apply the hot patches in order' not in run.stdout
