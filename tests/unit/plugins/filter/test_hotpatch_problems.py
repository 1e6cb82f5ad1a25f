# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hotpatch role's entries: every problem of every entry named, before anything is fetched."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.tencentos.fleet.plugins.filter.hotpatch_problems import FilterModule, hotpatch_problems

KERNEL = '5.4.119-19-0009.1'
SHA = 'ab' * 32


def test_sound_entries_have_no_problem():
    assert hotpatch_problems([
        {'name': 'fix_a', 'kernel': KERNEL, 'package': 'kpatch-patch-fix-a'},
        {'name': 'fix-b', 'kernel': KERNEL, 'url': 'https://mirror.example/fix_b.ko', 'sha256': SHA.upper()},
        {'name': 'fix_c', 'kernel': KERNEL, 'file': 'patches/fix_c.ko', 'sha256': SHA, 'state': 'loaded'},
        {'name': 'fix_d', 'kernel': KERNEL, 'package': 'fix-d', 'path': '/opt/fix_d.ko'},
        {'name': 'fix_old', 'state': 'absent'},
        {'name': 'fix_e', 'state': 'disabled'},
    ]) == []


@pytest.mark.parametrize('entry, phrase', [
    ({'name': 'fix a', 'kernel': KERNEL, 'package': 'x'}, 'name must be a kernel module name'),
    ({'name': 'x' * 56, 'kernel': KERNEL, 'package': 'x'}, 'name must be a kernel module name'),
    ({'name': 'fix_a', 'kernel': KERNEL}, 'to load it, give exactly one source: package, url or file (given: none)'),
    ({'name': 'fix_a', 'kernel': KERNEL, 'package': 'x', 'url': 'http://m/x.ko', 'sha256': SHA}, '(given: package, url)'),
    ({'name': 'fix_a', 'package': 'x'}, 'kernel is required to load it'),
    ({'name': 'fix_a', 'kernel': 'banana', 'package': 'x'}, 'kernel "banana" is not a kernel release as uname -r prints it'),
    ({'name': 'fix_a', 'kernel': KERNEL + '\n', 'package': 'x'}, 'is not a kernel release'),
    ({'name': 'fix_a', 'kernel': KERNEL, 'url': 'ftp://m/x.ko', 'sha256': SHA}, 'url must start with http:// or https://'),
    ({'name': 'fix_a', 'kernel': KERNEL, 'url': 'http://m/x.ko'}, 'sha256 is required with url'),
    ({'name': 'fix_a', 'kernel': KERNEL, 'file': 'x.ko'}, 'sha256 is required with file'),
    ({'name': 'fix_a', 'kernel': KERNEL, 'url': 'http://m/x.ko', 'sha256': 'abc'}, 'sha256 must be 64 hex digits'),
    ({'name': 'fix_a', 'kernel': KERNEL, 'url': 'http://m/x.ko', 'sha256': SHA + '\n'}, 'sha256 must be 64 hex digits'),
    ({'name': 'fix_a', 'kernel': KERNEL, 'package': 'x', 'sha256': SHA}, 'sha256 is only for url or file'),
    ({'name': 'fix_a', 'kernel': KERNEL, 'url': 'http://m/x.ko', 'sha256': SHA, 'path': '/x.ko'}, 'path is only for package'),
    ({'name': 'fix_a', 'kernel': KERNEL, 'package': 'x', 'path': 'x.ko'}, 'path must be absolute'),
])
def test_each_problem_is_named_with_its_entry(entry, phrase):
    sentences = hotpatch_problems([{'name': 'fine', 'state': 'absent'}, entry])
    assert len(sentences) == 1
    assert sentences[0].startswith('tencentos_hotpatch_patches[1] (%s): ' % entry['name'])
    assert phrase in sentences[0]


def test_every_problem_of_every_entry_is_in_one_answer():
    sentences = hotpatch_problems([
        {'name': 'fix a', 'kernel': 'banana'},
        {'name': 'fix_b', 'kernel': KERNEL, 'package': 'x'},
        {'name': 'fix_c', 'kernel': KERNEL, 'url': 'ftp://m/x.ko'},
    ], variable='patches')
    assert [sentence.split(':', 1)[0] for sentence in sentences] == ['patches[0] (fix a)', 'patches[2] (fix_c)']
    assert sentences[0].count('; ') == 2  # three problems
    assert 'url must start' in sentences[1] and 'sha256 is required with url' in sentences[1]


def test_a_patch_listed_twice_for_a_kernel_is_refused_with_dashes_as_underscores():
    assert hotpatch_problems([{'name': 'fix-a', 'state': 'absent'}, {'name': 'fix_a', 'state': 'absent'}]) == [
        'tencentos_hotpatch_patches lists a patch twice for the same kernel (dashes and underscores are the same): '
        'fix_a for the running kernel, fix_a for the running kernel']
    # One name for two kernels is two patches.
    assert hotpatch_problems([{'name': 'fix_a', 'kernel': KERNEL, 'package': 'a'},
                              {'name': 'fix_a', 'kernel': '4.14.105-19-0013', 'package': 'b'}]) == []


def stat_result(index, name, path, checksum):
    result = {'item': {'index': index, 'name': name, 'file': path, 'sha256': SHA}}
    result['stat'] = {'exists': True, 'checksum': checksum} if checksum else {'exists': False}
    return result


def test_controller_files_must_be_there_with_their_sha256():
    entries = [{'name': 'fix_a', 'kernel': KERNEL, 'file': 'a.ko', 'sha256': SHA.upper()},
               {'name': 'fix_b', 'kernel': KERNEL, 'file': '/p/b.ko', 'sha256': SHA},
               {'name': 'fix_c', 'kernel': KERNEL, 'file': '/p/c.ko', 'sha256': SHA}]
    stats = [stat_result(0, 'fix_a', '/play/a.ko', SHA), stat_result(1, 'fix_b', '/p/b.ko', None),
             stat_result(2, 'fix_c', '/p/c.ko', 'cd' * 32)]
    assert hotpatch_problems(entries, stats) == [
        'tencentos_hotpatch_patches[1] (fix_b): file /p/b.ko is not a file on the controller',
        'tencentos_hotpatch_patches[2] (fix_c): file /p/c.ko has sha256 %s, not %s' % ('cd' * 32, SHA)]
    # Without the stat's results, files are not checked.
    assert hotpatch_problems(entries) == []


def test_input_that_is_not_a_list_of_entries_is_an_error():
    with pytest.raises(AnsibleFilterError, match='list of hot patch entries'):
        hotpatch_problems({'name': 'fix_a'})
    assert FilterModule().filters()['hotpatch_problems'] is hotpatch_problems


def test_a_relative_file_that_is_not_there_is_refused_showing_where_it_was_looked_for():
    entries = [{'name': 'fix_a', 'kernel': KERNEL, 'file': 'patches/a.ko', 'sha256': SHA}]
    stat = stat_result(0, 'fix_a', '/srv/project/patches/a.ko', None)
    stat['item'].update(given='patches/a.ko', relative_to='the playbook\'s directory')
    assert hotpatch_problems(entries, [stat]) == [
        "tencentos_hotpatch_patches[0] (fix_a): file patches/a.ko (/srv/project/patches/a.ko, relative to the "
        "playbook's directory) is not a file on the controller"]
