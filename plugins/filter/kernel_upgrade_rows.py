# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: kernel_upgrade_rows
short_description: One row of the kernel roll-out summary per host, from the kernel role's result
version_added: 1.0.0
description:
  - Turns the fact C(tencentos_kernel_result) that the C(tencentos.fleet.kernel) role leaves on each host into the
    rows of the summary that C(playbooks/kernel_upgrade.yml) prints after every wave, as data.
  - A host without the fact has not been reached by the roll-out (V(not_reached)). A host whose result still says
    V(started) is in the role, or left the play before the role recorded its outcome.
  - The C(tencentos.fleet.wave_summary) filter then marks the hosts that became unreachable and tells whether the
    roll-out stops after the wave.
positional: _input, hostvars
options:
  _input:
    description: The names of the hosts of the roll-out, C(ansible_play_hosts_all).
    type: list
    elements: str
    required: true
  hostvars:
    description: The variables of every host, C(hostvars).
    type: dict
    required: true
author:
  - tencentos.fleet contributors (@tencentos-fleet)
'''

EXAMPLES = r'''
- name: Show where each host of the roll-out stands
  ansible.builtin.debug:
    msg: "{{ item.host }}: {{ item.outcome }} ({{ item['from'] }} -> {{ item.to }})"
  loop: "{{ ansible_play_hosts_all | tencentos.fleet.kernel_upgrade_rows(hostvars) }}"
  run_once: true
'''

RETURN = r'''
_value:
  description:
    - One dict per host, sorted by host name, with C(host), C(outcome) (V(moved), V(already), V(pending_reboot),
      V(fell_back), V(failed), V(started) or V(not_reached)), C(from) (the kernel the host ran before, or C(-)), C(to) (the kernel
      it was to run, or C(-)) and C(msg) (what the role said, or an empty string).
  type: list
  elements: dict
  sample:
    - {host: tos24, outcome: moved, from: 4.14.105-19-0013, to: 4.14.105-19-0020.1, msg: 'running 4.14.105-19-0020.1; no reboot required'}
    - {host: oc9, outcome: not_reached, from: '-', to: '-', msg: ''}
'''

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

RESULT_VAR = 'tencentos_kernel_result'


def host_row(host, variables):
    """The summary row of one host from its variables (a hostvars entry)."""
    result = variables.get(RESULT_VAR) if isinstance(variables, Mapping) else None
    if not isinstance(result, Mapping):
        result = {}
    return {
        'host': host,
        'outcome': result.get('outcome') or 'not_reached',
        'from': result.get('start') or '-',
        'to': result.get('target') or '-',
        'msg': (result.get('msg') or '').strip(),
    }


def kernel_upgrade_rows(hosts, hostvars):
    """The rows of the kernel roll-out summary, sorted by host name."""
    if isinstance(hosts, (str, bytes)) or not isinstance(hosts, (list, tuple)):
        raise AnsibleFilterError('kernel_upgrade_rows: the input must be a list of host names '
                                 '(ansible_play_hosts_all), got %s' % type(hosts).__name__)
    if not isinstance(hostvars, Mapping):
        raise AnsibleFilterError('kernel_upgrade_rows: hostvars must be the hostvars mapping, got %s'
                                 % type(hostvars).__name__)
    return [host_row(host, hostvars[host] if host in hostvars else None) for host in sorted(str(h) for h in hosts)]


class FilterModule(object):
    """The kernel roll-out summary's rows."""

    def filters(self):
        return {'kernel_upgrade_rows': kernel_upgrade_rows}
