# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: hotpatch_problems
short_description: What is wrong with a list of hot patch entries, one sentence per entry, before anything changes
version_added: 1.0.0
description:
  - The hotpatch role's check of C(tencentos_hotpatch_patches) across the keys of an entry, which its argument specs
    cannot express (they have checked the keys, their types and the states). The role refuses the run with these
    sentences before it fetches or loads anything.
  - Per entry - the module name rule of M(tencentos.fleet.livepatch_set); to load it (V(installed), V(loaded)),
    exactly one source (C(package), C(url) or C(file)) and a C(kernel); a C(kernel) as C(uname -r) prints it;
    C(url) over http(s) with a C(sha256); C(file) with a C(sha256); C(sha256) as 64 hex digits and only with
    C(url) or C(file); C(path) absolute and only with C(package).
  - The controller's patch files - each C(file) must be a file on the controller with the entry's C(sha256), from
    O(controller_files).
  - Across entries - the same patch listed twice for one kernel (dashes and underscores are the same).
positional: _input, controller_files, variable
options:
  _input:
    description: The entries, as the role's argument specs accepted them.
    type: list
    elements: dict
    required: true
  controller_files:
    description:
      - The C(results) of an C(ansible.builtin.stat) task (with C(checksum_algorithm=sha256)) that read the entries'
        controller files, each with its C(item) an item of P(tencentos.fleet.hotpatch_plan#filter)'s C(controller_files)
        (the entry's C(index) and C(file) as a path on the controller). Without them, no file is checked.
    type: list
    elements: dict
    default: []
  variable:
    description: The variable the entries come from, named in every sentence.
    type: str
    default: tencentos_hotpatch_patches
author:
  - tencentos.fleet contributors (@tencentos-fleet)
'''

EXAMPLES = r'''
- name: Refuse hot patch entries that have problems, naming every one
  ansible.builtin.assert:
    that: __problems | length == 0
    fail_msg: "{{ __problems | join(' | ') }}; nothing was changed"
    quiet: true
  vars:
    __problems: "{{ tencentos_hotpatch_patches | tencentos.fleet.hotpatch_problems(controller_stat.results) }}"
'''

RETURN = r'''
_value:
  description: One sentence per entry with problems, in the list's order, then one for patches listed twice.
  type: list
  elements: str
  sample:
    - 'tencentos_hotpatch_patches[0] (fix_a): to load it, give exactly one source: package, url or file (given: none)'
'''

import json
import re

from ansible.errors import AnsibleFilterError

from ansible_collections.tencentos.fleet.plugins.module_utils.kernel_release import UNAME_R_FORM
from ansible_collections.tencentos.fleet.plugins.module_utils.livepatch import LOADING_STATES, NAME_PATTERN, module_name

SOURCES = ('package', 'url', 'file')
SHA256_FORM = re.compile(r'[0-9A-Fa-f]{64}\Z')


def file_problem(entry, stat_result):
    """Why the entry's controller file does not do, or None, from the stat task's result for it."""
    item = stat_result['item']
    path = item['file']
    if item.get('given'):
        path = '%s (%s, relative to %s)' % (item['given'], item['file'], item.get('relative_to') or 'a directory')
    checksum = (stat_result.get('stat') or {}).get('checksum')
    wanted = str(entry.get('sha256') or '').lower()
    if checksum is None:
        return 'file %s is not a file on the controller' % path
    if checksum != wanted:
        return 'file %s has sha256 %s, not %s' % (path, checksum, wanted)
    return None


def entry_problems(entry, stat_result=None):
    """The problems of one entry, as phrases."""
    loads = (entry.get('state') or 'installed') in LOADING_STATES
    given = [source for source in SOURCES if entry.get(source) is not None]
    kernel = entry.get('kernel')
    problems = []
    if not NAME_PATTERN.match(str(entry.get('name') or '')):
        problems.append('name must be a kernel module name: 1 to 55 letters, digits, "_" or "-"')
    if loads and len(given) != 1:
        problems.append('to load it, give exactly one source: package, url or file (given: %s)' % (', '.join(given) or 'none'))
    if loads and kernel is None:
        problems.append('kernel is required to load it: the kernel release it is built for, as uname -r prints it')
    if kernel is not None and not UNAME_R_FORM.match(str(kernel)):
        problems.append('kernel %s is not a kernel release as uname -r prints it, such as 5.4.119-19-0009.1'
                        % json.dumps(str(kernel)))
    if entry.get('url') is not None and not re.match(r'https?://', str(entry['url'])):
        problems.append('url must start with http:// or https://')
    with_checksum = [source for source in ('url', 'file') if entry.get(source) is not None]
    if with_checksum and entry.get('sha256') is None:
        problems.append('sha256 is required with %s' % with_checksum[0])
    if entry.get('sha256') is not None:
        if not SHA256_FORM.match(str(entry['sha256'])):
            problems.append('sha256 must be 64 hex digits')
        if not with_checksum:
            problems.append('sha256 is only for url or file (a package is checked by its signature)')
    if entry.get('path') is not None:
        if entry.get('package') is None:
            problems.append('path is only for package')
        if not str(entry['path']).startswith('/'):
            problems.append('path must be absolute')
    if entry.get('file') is not None and stat_result and not problems:
        problem = file_problem(entry, stat_result)
        if problem:
            problems.append(problem)
    return problems


def hotpatch_problems(entries, controller_files=(), variable='tencentos_hotpatch_patches'):
    """A sentence for each entry of ``entries`` with problems, and one for patches listed twice for a kernel."""
    if not isinstance(entries, (list, tuple)) or not all(isinstance(entry, dict) for entry in entries):
        raise AnsibleFilterError('hotpatch_problems: the input must be a list of hot patch entries (dicts)')
    # The stat task looped over hotpatch_plan's controller_files, each with the index of its entry.
    stat_results = dict((result['item']['index'], result) for result in controller_files or () if 'item' in result)
    sentences = []
    for index, entry in enumerate(entries):
        problems = entry_problems(entry, stat_results.get(index))
        if problems:
            sentences.append('%s[%d] (%s): %s' % (variable, index, entry.get('name'), '; '.join(problems)))
    # The kernel names a module with underscores: fix-a and fix_a are one patch.
    keys = ['%s for %s' % (module_name(str(entry.get('name'))), entry.get('kernel') or 'the running kernel')
            for entry in entries]
    if len(set(keys)) != len(keys):
        sentences.append('%s lists a patch twice for the same kernel (dashes and underscores are the same): %s'
                         % (variable, ', '.join(keys)))
    return sentences


class FilterModule(object):
    """Problems of hot patch entries."""

    def filters(self):
        return {'hotpatch_problems': hotpatch_problems}
