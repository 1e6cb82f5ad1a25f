# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: wave_summary
short_description: Where a roll-out in waves stands after a wave, and whether Ansible stops it there
version_added: 1.0.0
description:
  - For a play that rolls a change through the fleet in waves (C(serial)) and fails, in its last task, the hosts
    whose change failed, so that C(max_fail_percentage) stops the roll-out. C(playbooks/kernel_upgrade.yml) and
    C(playbooks/hotpatch.yml) call it after every wave, before that last task, with the rows of
    C(tencentos.fleet.kernel_upgrade_rows) or C(tencentos.fleet.hotpatch_rows).
  - A host that is no longer in O(remaining) although its outcome is not one of O(failing) became unreachable
    (those playbooks rescue and record every failure of their own tasks). Its outcome becomes V(unreachable),
    and C(msg) keeps what it had recorded.
  - The roll-out stops after the wave as Ansible stops it. Ansible counts the hosts of the wave that failed
    (here, those whose outcome is one of O(failing)) against the wave's size, unreachable hosts included in the
    size but not among the failed; more than O(max_fail_percentage) percent stops the play. A wave whose hosts all
    failed or became unreachable stops it too.
positional: _input, wave, remaining, max_fail_percentage
options:
  _input:
    description: The rows of the roll-out, one dict per host with at least C(host) and C(outcome).
    type: list
    elements: dict
    required: true
  wave:
    description:
      - The hosts of the wave that has just run, as C(ansible_play_batch) listed them at the wave's first task
        (later, C(ansible_play_batch) no longer lists the hosts that became unreachable).
    type: list
    elements: str
    required: true
  remaining:
    description: The hosts still in the play, C(ansible_play_hosts).
    type: list
    elements: str
    required: true
  max_fail_percentage:
    description: The play's C(max_fail_percentage), a number from 0 to 100 (a trailing C(%) is allowed).
    type: raw
    required: true
  failing:
    description: The outcomes for which the playbook fails a host.
    type: list
    elements: str
    default: [failed]
author:
  - tencentos.fleet contributors (@tencentos-fleet)
'''

EXAMPLES = r'''
- name: Remember which hosts this wave holds, for its summary
  ansible.builtin.set_fact:
    __wave: "{{ ansible_play_batch }}"

# ... the change, with a rescue that records a failed outcome ...

- name: Summarise the fleet after this wave
  ansible.builtin.debug:
    msg: "{{ __summary.rows | map(attribute='outcome') | list }}, stopped: {{ __summary.stopped }}"
  run_once: true
  vars:
    __summary: >-
      {{ ansible_play_hosts_all | tencentos.fleet.kernel_upgrade_rows(hostvars)
         | tencentos.fleet.wave_summary(__wave, ansible_play_hosts, 0, failing=['failed', 'fell_back']) }}
'''

RETURN = r'''
_value:
  description:
    - C(rows), the input rows (copies) with the outcome of the hosts that became unreachable set to
      V(unreachable); C(last_wave), the hosts of the wave, sorted; C(stopped), true when Ansible stops the roll-out
      after this wave (once the playbook has failed the failing hosts); C(wave_failed) and C(wave_unreachable), the
      hosts of the wave that failed or became unreachable, sorted; C(outcomes), how many hosts of the whole
      roll-out have each outcome; C(failed) and C(unreachable), the hosts of the whole roll-out that failed or
      became unreachable, sorted. Everything but C(rows) is small enough to publish with M(ansible.builtin.set_stats).
  type: dict
  sample:
    rows:
      - {host: tos24, outcome: moved}
      - {host: tos31, outcome: fell_back}
      - {host: tos4, outcome: moved}
    last_wave: [tos31, tos4]
    stopped: true
    wave_failed: [tos31]
    wave_unreachable: []
    outcomes: {moved: 2, fell_back: 1}
    failed: [tos31]
    unreachable: []
'''

from collections import Counter
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

UNREACHABLE = 'unreachable'


def percentage(value):
    """max_fail_percentage as Ansible reads it (a number, or a string with an optional trailing %), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        try:
            number = float(str(value).strip().rstrip('%'))
        except ValueError:
            return None
    return number if 0 <= number <= 100 else None


def mark_unreachable(row, failing):
    """A copy of ``row`` for a host that left the play: unreachable, unless it left because it failed."""
    row = dict(row)
    if row['outcome'] in failing:
        return row
    recorded = row['outcome']
    msg = (row.get('msg') or '').strip()
    if recorded not in ('not_reached', 'started'):
        msg = 'last recorded: %s%s' % (recorded, ' (%s)' % msg if msg else '')
    row['outcome'] = UNREACHABLE
    row['msg'] = 'Ansible took the unreachable host out of the roll-out' + ('; ' + msg if msg else '')
    return row


def stops(wave_size, failed, unreachable, max_fail_percentage):
    """Whether Ansible ends the play after a wave (linear strategy and playbook executor of ansible-core).

    The strategy compares the wave's failed hosts, not its unreachable ones, with the whole wave's size
    (failed / size > max_fail_percentage / 100); the executor ends the play when every host of the wave
    failed or became unreachable.
    """
    if wave_size == 0:
        return False
    return failed / wave_size > max_fail_percentage / 100.0 or failed + unreachable == wave_size


def _host_list(value, name):
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise AnsibleFilterError('wave_summary: %s must be a list of host names, got %s' % (name, type(value).__name__))
    return [str(host) for host in value]


def wave_summary(rows, wave, remaining, max_fail_percentage, failing=('failed',)):
    """The summary of a roll-out after a wave: rows with unreachable hosts marked, the wave, and the stop."""
    if isinstance(rows, (str, bytes)) or not isinstance(rows, (list, tuple)) \
            or not all(isinstance(row, Mapping) and 'host' in row and 'outcome' in row for row in rows):
        raise AnsibleFilterError('wave_summary: the input must be a list of rows, each a dict with host and outcome')
    wave = _host_list(wave, 'wave')
    remaining = set(_host_list(remaining, 'remaining'))
    failing = _host_list(failing, 'failing')
    limit = percentage(max_fail_percentage)
    if limit is None:
        raise AnsibleFilterError('wave_summary: max_fail_percentage must be a number from 0 to 100, got %r'
                                 % (max_fail_percentage,))

    summary_rows = [mark_unreachable(row, failing) if str(row['host']) not in remaining else dict(row) for row in rows]
    outcome_of = dict((str(row['host']), row['outcome']) for row in summary_rows)
    wave_failed = sorted(host for host in wave if outcome_of.get(host) in failing)
    wave_unreachable = sorted(host for host in wave if outcome_of.get(host) == UNREACHABLE)
    return {
        'rows': summary_rows,
        'last_wave': sorted(wave),
        'stopped': stops(len(wave), len(wave_failed), len(wave_unreachable), limit),
        'wave_failed': wave_failed,
        'wave_unreachable': wave_unreachable,
        'outcomes': dict(Counter(row['outcome'] for row in summary_rows)),
        'failed': sorted(host for host, outcome in outcome_of.items() if outcome in failing),
        'unreachable': sorted(host for host, outcome in outcome_of.items() if outcome == UNREACHABLE),
    }


class FilterModule(object):
    """The state of a roll-out in waves."""

    def filters(self):
        return {'wave_summary': wave_summary}
