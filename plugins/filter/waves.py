# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: waves
short_description: A roll-out's waves as Ansible's serial keyword takes them, from a list or from text
version_added: 1.0.0
description:
  - The waves of C(playbooks/kernel_upgrade.yml) and C(playbooks/hotpatch.yml), given as a list (V([1, "10%", "100%"]))
    or as text separated by commas (V(1, 10%, 100%)), which is how an AWX survey gives them.
  - Each wave is a number of hosts (1 or more) or a percentage of the fleet from 1% to 100%.
  - Waves that break this rule give an empty list. Ansible reads the play's C(serial) before its first task, and would
    stop with an internal error at a wave it cannot read (V(ten), an empty entry), or run everything at once with a
    wave of 0; given the empty list, the play runs its first task, which refuses the waves by name before any host
    changes.
positional: _input
options:
  _input:
    description: The waves, a list, a text separated by commas, or one number.
    type: raw
    required: true
author:
  - tencentos.fleet contributors (@tencentos-fleet)
'''

EXAMPLES = r'''
- name: Roll through the fleet in waves
  hosts: all
  serial: "{{ tencentos_hotpatch_waves | default('1, 10%, 100%') | tencentos.fleet.waves }}"
  tasks: []
'''

RETURN = r'''
_value:
  description: The waves, numbers of hosts as integers and percentages as text; empty when any wave is wrong.
  type: list
  elements: raw
'''

import re

WAVE = re.compile(r'^(?:[1-9][0-9]*|(?:[1-9][0-9]?|100)%)\Z')


def waves(value):
    if isinstance(value, bool):
        return []
    if isinstance(value, str):
        given = [item.strip() for item in value.split(',')]
    elif isinstance(value, (list, tuple)):
        given = list(value)
    else:
        given = [value]
    if not given or not all(not isinstance(item, bool) and WAVE.match(str(item)) for item in given):
        return []
    return [str(item) if str(item).endswith('%') else int(item) for item in given]


class FilterModule(object):
    """The waves of a roll-out, from a list or from a survey's text."""

    def filters(self):
        return {'waves': waves}
