# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: yaml_list
short_description: A list given as YAML text, or none when the text is not YAML or not a list
version_added: 1.0.0
description:
  - For a list given as text, such as the hot patch list an AWX survey's text area gives C(playbooks/hotpatch.yml)
    (C(tencentos_hotpatch_patches_yaml)). Unlike C(from_yaml), text that is not YAML gives none instead of an error,
    so that the playbook can refuse it by the variable's name.
positional: _input
options:
  _input:
    description: The text.
    type: str
    required: true
author:
  - tencentos.fleet contributors (@tencentos-fleet)
'''

EXAMPLES = r'''
- name: Take the patch list given as YAML text
  ansible.builtin.set_fact:
    tencentos_hotpatch_patches: "{{ tencentos_hotpatch_patches_yaml | tencentos.fleet.yaml_list }}"
'''

RETURN = r'''
_value:
  description: The list; none when the text is not YAML or holds something else than a list.
  type: list
'''

import yaml


def yaml_list(text):
    try:
        value = yaml.safe_load(str(text))
    except yaml.YAMLError:
        return None
    return value if isinstance(value, list) else None


class FilterModule(object):
    """A list given as YAML text."""

    def filters(self):
        return {'yaml_list': yaml_list}
