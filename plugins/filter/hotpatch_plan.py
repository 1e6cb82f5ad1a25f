# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: hotpatch_plan
short_description: What the hotpatch role fetches for the running kernel, and the list it gives livepatch_set
version_added: 1.0.0
description:
  - Turns the hotpatch role's entries (C(tencentos_hotpatch_patches), already checked by
    P(tencentos.fleet.hotpatch_problems#filter)) into data for its tasks, so that no task builds it in Jinja.
  - Only the entries for the running kernel that are to be loaded (V(installed), V(loaded)) are fetched - a
    patch module loads only into the kernel its vermagic names - and each gets the path on the host that
    M(tencentos.fleet.livepatch_set) loads it from. A package installs its module where the entry's C(path) says
    (default C(/usr/lib/kpatch/<kernel>/<name>.ko), where Red Hat's kpatch-patch packages put it); downloads and
    copies land in the staging directory as C(<name>.ko).
  - Every entry goes to M(tencentos.fleet.livepatch_set), which skips those for another kernel, saying why.
positional: _input, kernel, stage_dir, playbook_dir
options:
  _input:
    description: The role's entries.
    type: list
    elements: dict
    required: true
  kernel:
    description: The running kernel, as C(uname -r) prints it; none before it is known (then nothing is fetched).
    type: str
  stage_dir:
    description: The host's directory for downloaded and copied patch modules.
    type: str
    required: true
  playbook_dir:
    description:
      - The playbook's directory, C(playbook_dir), which a relative C(file) is taken from.
      - When it is the directory of the collection's own playbooks (C(tencentos.fleet.hotpatch) is run), a relative
        C(file) is the user's, and is taken from the directory ansible-playbook runs in instead (an AWX job's is
        its project's).
    type: str
    required: true
author:
  - tencentos.fleet contributors (@tencentos-fleet)
'''

EXAMPLES = r'''
- name: Apply the hot patches as one transaction
  tencentos.fleet.livepatch_set:
    patches: "{{ __plan.patches }}"
  vars:
    __plan: >-
      {{ tencentos_hotpatch_patches | tencentos.fleet.hotpatch_plan(ansible_facts.tencentos.kernel.release,
                                                                    tencentos_hotpatch_stage_dir, playbook_dir) }}
'''

RETURN = r'''
_value:
  description: The plan.
  type: dict
  contains:
    patches:
      description: The entries for M(tencentos.fleet.livepatch_set), in order - C(name), C(state), C(kernel) when
        the entry names one, C(src) for those the run fetches.
      type: list
      elements: dict
    packages:
      description: The packages to install, in order.
      type: list
      elements: str
    package_files:
      description: Each patch module a package must install, with C(name), C(package) and C(path).
      type: list
      elements: dict
    downloads:
      description: Each patch module to download, with C(name), C(url), C(sha256) (lower case) and C(dest).
      type: list
      elements: dict
    copies:
      description: Each patch module to copy from the controller, with C(name), C(file) (absolute), C(sha256) and C(dest).
      type: list
      elements: dict
    controller_files:
      description: Every entry's controller file, for any kernel, with the entry's C(index) in the list, C(name),
        C(file) (absolute) and C(sha256), to be checked before anything changes; for a relative one also C(given),
        the path the entry gives, and C(relative_to), which directory it was taken from.
      type: list
      elements: dict
  sample:
    patches: [{name: livepatch_cve_2026_1234, kernel: 5.4.119-19-0009.1, state: installed,
               src: /var/lib/tencentos-fleet/hotpatch/livepatch_cve_2026_1234.ko}]
    packages: []
    package_files: []
    downloads: [{name: livepatch_cve_2026_1234, url: 'https://mirror.example/livepatch_cve_2026_1234.ko',
                 sha256: 1df912f2fd89f2398b381922af5074ab71c93ec9651864b45c2f691994dfde65,
                 dest: /var/lib/tencentos-fleet/hotpatch/livepatch_cve_2026_1234.ko}]
    copies: []
    controller_files: []
'''

import os

from ansible.errors import AnsibleFilterError

from ansible_collections.tencentos.fleet.plugins.module_utils.livepatch import LOADING_STATES, STATES

PACKAGE_DIR = '/usr/lib/kpatch'


# The collection's own playbooks (tencentos.fleet.hotpatch): a relative file given to one of them is the user's, not
# the installed collection's.
COLLECTION_PLAYBOOKS = os.path.realpath(os.path.join(os.path.dirname(__file__), '..', '..', 'playbooks'))


def relative_base(playbook_dir):
    """(the directory a relative file is taken from, what that directory is, for messages)."""
    if playbook_dir and os.path.realpath(playbook_dir) == COLLECTION_PLAYBOOKS:
        return os.getcwd(), 'the directory ansible-playbook runs in, as the playbook is one of the collection\'s own'
    return playbook_dir, 'the playbook\'s directory'


def controller_file(file, playbook_dir):
    """The item of controller_files and copies for a file an entry gives: C(file) absolute, and where a relative
    one was taken from (C(given), C(relative_to))."""
    if os.path.isabs(file):
        return dict(file=file)
    base, what = relative_base(playbook_dir)
    return dict(file=os.path.join(base, file), given=file, relative_to=what)


def hotpatch_plan(entries, kernel, stage_dir, playbook_dir):
    """The role's entries as the data of its tasks (see RETURN)."""
    if not isinstance(entries, (list, tuple)) or not all(isinstance(entry, dict) for entry in entries):
        raise AnsibleFilterError('hotpatch_plan: the input must be a list of hot patch entries (dicts)')
    plan = dict(patches=[], packages=[], package_files=[], downloads=[], copies=[], controller_files=[])
    for index, entry in enumerate(entries):
        name, state = entry['name'], entry.get('state') or 'installed'
        if state not in STATES:
            raise AnsibleFilterError('hotpatch_plan: %s: state %r is not one of %s' % (name, state, ', '.join(STATES)))
        wanted = dict(name=name, state=state)
        if entry.get('kernel') is not None:
            wanted['kernel'] = entry['kernel']
        on_controller = controller_file(entry['file'], playbook_dir) if entry.get('file') is not None else None
        if on_controller:
            plan['controller_files'].append(dict(on_controller, index=index, name=name,
                                                 sha256=str(entry.get('sha256') or '').lower()))
        if kernel and entry.get('kernel') == kernel and state in LOADING_STATES:
            staged = '%s/%s.ko' % (stage_dir.rstrip('/'), name)
            if entry.get('package') is not None:
                wanted['src'] = entry.get('path') or '%s/%s/%s.ko' % (PACKAGE_DIR, kernel, name)
                plan['packages'].append(entry['package'])
                plan['package_files'].append(dict(name=name, package=entry['package'], path=wanted['src']))
            elif entry.get('url') is not None:
                wanted['src'] = staged
                plan['downloads'].append(dict(name=name, url=entry['url'], sha256=entry['sha256'].lower(), dest=staged))
            elif on_controller:
                wanted['src'] = staged
                plan['copies'].append(dict(name=name, file=on_controller['file'],
                                           sha256=entry['sha256'].lower(), dest=staged))
        plan['patches'].append(wanted)
    return plan


class FilterModule(object):
    """The hotpatch role's plan."""

    def filters(self):
        return {'hotpatch_plan': hotpatch_plan}
