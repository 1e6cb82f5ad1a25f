# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hotpatch role's plan: what it fetches for the running kernel, and the list livepatch_set gets."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.tencentos.fleet.plugins.filter import hotpatch_plan as hotpatch_plan_module
from ansible_collections.tencentos.fleet.plugins.filter.hotpatch_plan import FilterModule, hotpatch_plan

KERNEL = '5.4.119-19-0009.1'
OTHER = '4.14.105-19-0013'
SHA = 'AB' * 32
STAGE = '/var/lib/tencentos-fleet/hotpatch/'

ENTRIES = [
    {'name': 'fix_pkg', 'kernel': KERNEL, 'package': 'kpatch-patch-fix'},
    {'name': 'fix_path', 'kernel': KERNEL, 'package': 'fix-path', 'path': '/opt/p/fix_path.ko', 'state': 'loaded'},
    {'name': 'fix_url', 'kernel': KERNEL, 'url': 'https://m/fix_url.ko', 'sha256': SHA},
    {'name': 'fix_file', 'kernel': KERNEL, 'file': 'patches/fix_file.ko', 'sha256': SHA},
    {'name': 'fix_other', 'kernel': OTHER, 'file': '/abs/fix_other.ko', 'sha256': SHA},
    {'name': 'fix_gone', 'state': 'absent'},
    {'name': 'fix_off', 'kernel': KERNEL, 'state': 'disabled'},
]


def test_the_running_kernels_patches_are_fetched_and_every_entry_goes_to_the_module():
    plan = hotpatch_plan(ENTRIES, KERNEL, STAGE, '/play')
    assert plan['patches'] == [
        {'name': 'fix_pkg', 'kernel': KERNEL, 'state': 'installed', 'src': '/usr/lib/kpatch/%s/fix_pkg.ko' % KERNEL},
        {'name': 'fix_path', 'kernel': KERNEL, 'state': 'loaded', 'src': '/opt/p/fix_path.ko'},
        {'name': 'fix_url', 'kernel': KERNEL, 'state': 'installed', 'src': STAGE + 'fix_url.ko'},
        {'name': 'fix_file', 'kernel': KERNEL, 'state': 'installed', 'src': STAGE + 'fix_file.ko'},
        {'name': 'fix_other', 'kernel': OTHER, 'state': 'installed'},
        {'name': 'fix_gone', 'state': 'absent'},
        {'name': 'fix_off', 'kernel': KERNEL, 'state': 'disabled'},
    ]
    assert plan['packages'] == ['kpatch-patch-fix', 'fix-path']
    assert plan['package_files'] == [
        {'name': 'fix_pkg', 'package': 'kpatch-patch-fix', 'path': '/usr/lib/kpatch/%s/fix_pkg.ko' % KERNEL},
        {'name': 'fix_path', 'package': 'fix-path', 'path': '/opt/p/fix_path.ko'}]
    assert plan['downloads'] == [{'name': 'fix_url', 'url': 'https://m/fix_url.ko', 'sha256': SHA.lower(),
                                  'dest': STAGE + 'fix_url.ko'}]
    assert plan['copies'] == [{'name': 'fix_file', 'file': '/play/patches/fix_file.ko', 'sha256': SHA.lower(),
                               'dest': STAGE + 'fix_file.ko'}]
    assert plan['controller_files'] == [
        {'index': 3, 'name': 'fix_file', 'file': '/play/patches/fix_file.ko', 'sha256': SHA.lower(),
         'given': 'patches/fix_file.ko', 'relative_to': "the playbook's directory"},
        {'index': 4, 'name': 'fix_other', 'file': '/abs/fix_other.ko', 'sha256': SHA.lower()}]


def test_another_kernel_fetches_nothing_and_an_unknown_kernel_neither():
    for kernel in (OTHER.replace('0013', '0020.1'), None):
        plan = hotpatch_plan(ENTRIES, kernel, STAGE, '/play')
        assert (plan['packages'], plan['downloads'], plan['copies']) == ([], [], [])
        assert [patch for patch in plan['patches'] if 'src' in patch] == []
        assert len(plan['controller_files']) == 2


def test_input_that_is_not_a_list_of_entries_is_an_error():
    with pytest.raises(AnsibleFilterError, match='list of hot patch entries'):
        hotpatch_plan('fix_a', KERNEL, STAGE, '/play')
    with pytest.raises(AnsibleFilterError, match='state'):
        hotpatch_plan([{'name': 'fix_a', 'state': 'enabled'}], KERNEL, STAGE, '/play')
    assert FilterModule().filters()['hotpatch_plan'] is hotpatch_plan


def test_run_from_the_collection_s_own_playbook_a_relative_file_is_taken_from_where_ansible_playbook_runs(
        tmp_path, monkeypatch):
    """tencentos.fleet.hotpatch's playbook_dir is inside the installed collection: the user's file is not there."""
    monkeypatch.chdir(tmp_path)
    collection_playbooks = os.path.join(os.path.dirname(hotpatch_plan_module.__file__), '..', '..', 'playbooks')
    plan = hotpatch_plan(ENTRIES, KERNEL, STAGE, collection_playbooks)
    assert plan['controller_files'][0]['file'] == os.path.join(str(tmp_path), 'patches/fix_file.ko')
    assert plan['controller_files'][0]['relative_to'] == (
        "the directory ansible-playbook runs in, as the playbook is one of the collection's own")
    assert plan['copies'][0]['file'] == os.path.join(str(tmp_path), 'patches/fix_file.ko')
