# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: hotpatch_rows
short_description: One row of the hot patch roll-out summary per host, from the hotpatch role's result
version_added: 1.0.0
description:
  - Turns the fact C(tencentos_hotpatch_result) that the C(tencentos.fleet.hotpatch) role leaves on each host into
    the rows of the summary that C(playbooks/hotpatch.yml) prints after every wave, as data.
  - A host without the fact has not been reached by the roll-out (V(not_reached)).
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
    msg: "{{ item.host }} ({{ item.kernel }}): {{ item.outcome }} {{ item.changed | join(', ') }}"
  loop: "{{ ansible_play_hosts_all | tencentos.fleet.hotpatch_rows(hostvars) }}"
  run_once: true
'''

RETURN = r'''
_value:
  description:
    - One dict per host, sorted by host name, with C(host), C(kernel) (the running kernel, or C(-)), C(outcome)
      (V(patched), V(unchanged), V(failed) or V(not_reached)), C(changed) and C(rolled_back) (patch
      names), C(skipped) (C(<patch> for <kernel>) for each patch built for another kernel) and C(msg) (what the role
      said, or an empty string).
  type: list
  elements: dict
  sample:
    - host: tos24
      kernel: 4.14.105-19-0013
      outcome: patched
      changed: [livepatch_test_url]
      skipped: [livepatch_test_url for 5.4.119-19-0009.1]
      rolled_back: []
      msg: 'kernel 4.14.105-19-0013: 1 patch(es) changed (livepatch_test_url), 1 skipped'
'''

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

RESULT_VAR = 'tencentos_hotpatch_result'


def host_row(host, variables):
    """The summary row of one host from its variables (a hostvars entry)."""
    result = variables.get(RESULT_VAR) if isinstance(variables, Mapping) else None
    if not isinstance(result, Mapping):
        result = {}
    return {
        'host': host,
        'kernel': result.get('kernel') or '-',
        'outcome': result.get('outcome') or 'not_reached',
        'changed': list(result.get('changed') or []),
        'skipped': ['%s for %s' % (patch.get('name'), patch.get('kernel')) for patch in result.get('skipped') or []],
        'rolled_back': list(result.get('rolled_back') or []),
        'msg': (result.get('msg') or '').strip(),
    }


def hotpatch_rows(hosts, hostvars):
    """The rows of the hot patch roll-out summary, sorted by host name."""
    if isinstance(hosts, (str, bytes)) or not isinstance(hosts, (list, tuple)):
        raise AnsibleFilterError('hotpatch_rows: the input must be a list of host names '
                                 '(ansible_play_hosts_all), got %s' % type(hosts).__name__)
    if not isinstance(hostvars, Mapping):
        raise AnsibleFilterError('hotpatch_rows: hostvars must be the hostvars mapping, got %s'
                                 % type(hostvars).__name__)
    return [host_row(host, hostvars[host] if host in hostvars else None) for host in sorted(str(h) for h in hosts)]


class FilterModule(object):
    """The hot patch roll-out summary's rows."""

    def filters(self):
        return {'hotpatch_rows': hotpatch_rows}
