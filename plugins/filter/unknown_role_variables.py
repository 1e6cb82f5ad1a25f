# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: unknown_role_variables
short_description: The variables with a role's prefix that the role does not know, each with the closest known name
version_added: 1.0.0
description:
  - A role reads only the variables its argument specs declare. A variable with the role's prefix that is
    misspelt (C(tencentos_repos_gpgcheck) for a GPG switch) is otherwise silently ignored, and the role does what
    its default says. Each role of the collection calls this filter first, on the names that
    C(ansible.builtin.varnames) finds with its prefix, and refuses the run before anything on a host changes.
  - The known names are the options of every entry point of O(argument_specs), plus O(also), the variables the
    role sets itself (its result) and those that the collection's playbooks read with the same prefix.
positional: _input, argument_specs, also
options:
  _input:
    description:
      - The variable names to check, as the C(ansible.builtin.varnames) lookup gives them for a pattern such as
        C(^tencentos_repos_).
    type: list
    elements: str
    required: true
  argument_specs:
    description: The role's C(meta/argument_specs.yml), read as data (the top key C(argument_specs) or its content).
    type: dict
    required: true
  also:
    description: Other names with the prefix that are not the role's options but are known.
    type: list
    elements: str
    default: []
author:
  - tencentos.fleet contributors (@tencentos-fleet)
'''

EXAMPLES = r'''
- name: Refuse variables with the role's prefix that the role does not know
  ansible.builtin.assert:
    that: __unknown | length == 0
    fail_msg: "{{ __unknown | join(' | ') }}; nothing was changed"
    quiet: true
  vars:
    __unknown: >-
      {{ lookup('ansible.builtin.varnames', '^tencentos_repos_', wantlist=True)
         | tencentos.fleet.unknown_role_variables(lookup('ansible.builtin.file', role_path ~ '/meta/argument_specs.yml')
                                                  | from_yaml, also=['tencentos_repos_result']) }}
'''

RETURN = r'''
_value:
  description: One sentence a name, sorted by name; empty when every name is known.
  type: list
  elements: str
  sample:
    - "tencentos_repos_gpgcheck is not a variable of this role: did you mean tencentos_repos_i_accept_unsigned_packages?"
'''

import difflib
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError


def known_names(argument_specs, also=()):
    """The option names of every entry point of a role's argument specs, with ``also``."""
    if not isinstance(argument_specs, Mapping):
        raise AnsibleFilterError('unknown_role_variables: argument_specs must be the data of meta/argument_specs.yml')
    entry_points = argument_specs.get('argument_specs', argument_specs)
    names = set(also or ())
    for entry_point in entry_points.values():
        names.update((entry_point or {}).get('options') or {})
    return names


def unknown_role_variables(names, argument_specs, also=()):
    """A sentence for each of ``names`` that the role does not know, naming the closest known one."""
    if isinstance(names, (str, bytes)) or not isinstance(names, (list, tuple)):
        raise AnsibleFilterError('unknown_role_variables: the input must be a list of variable names')
    known = known_names(argument_specs, also)
    sentences = []
    for name in sorted(set(str(name) for name in names) - known):
        # cutoff 0.6 is difflib's default: close enough to be a misspelling, not any name of the role.
        closest = difflib.get_close_matches(name, sorted(known), n=1)
        if closest:
            sentences.append('%s is not a variable of this role: did you mean %s?' % (name, closest[0]))
        else:
            sentences.append('%s is not a variable of this role; its variables are %s' % (name, ', '.join(sorted(known))))
    return sentences


class FilterModule(object):
    """Unknown variables of a role."""

    def filters(self):
        return {'unknown_role_variables': unknown_role_variables}
