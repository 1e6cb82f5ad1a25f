# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: fleet_report_summary
short_description: The fleet report in a few figures, small enough to publish with set_stats
version_added: 1.0.0
description:
  - Sums up the rows of P(tencentos.fleet.fleet_report_rows#filter) - how many hosts, which have no facts, how many
    run each release and kernel line, which wait for a reboot, which take packages from a repository that GPG does
    not check.
  - C(playbooks/report.yml) publishes it with M(ansible.builtin.set_stats) as C(tencentos_fleet_report), which AWX
    shows as the job's artifacts and passes on to the next jobs of a workflow as extra variables. That is why it is
    figures and host names, not the rows themselves, which at hundreds of hosts would follow every later job.
positional: _input
options:
  _input:
    description: The rows of the fleet report.
    type: list
    elements: dict
    required: true
author:
  - tencentos.fleet contributors (@tencentos-fleet)
'''

EXAMPLES = r'''
- name: Publish the fleet report's figures for AWX
  ansible.builtin.set_stats:
    data:
      tencentos_fleet_report: "{{ ansible_play_hosts_all | sort | tencentos.fleet.fleet_report_rows(hostvars) | tencentos.fleet.fleet_report_summary }}"
    aggregate: false
  run_once: true
'''

RETURN = r'''
_value:
  description:
    - C(hosts) (the rows), C(without_facts) (the hosts without facts, sorted); C(releases) and C(kernel_lines)
      (hosts per release and per kernel line, of the hosts with facts); C(reboot_pending) (the hosts whose next
      boot starts another kernel); C(gpg_off) (the hosts with an enabled repository that GPG does not check).
  type: dict
  sample:
    hosts: 9
    without_facts: [centos7]
    releases: {TencentOS 2.4: 1, TencentOS 3.1: 1, OpenCloudOS 9.2: 1}
    kernel_lines: {tk3: 1, tk4: 1, opencloudos: 1}
    reboot_pending: [tos24]
    gpg_off: []
'''

from collections import Counter
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.tencentos.fleet.plugins.filter.fleet_report_rows import NO_FACTS


def fleet_report_summary(rows):
    """The figures of the fleet report's ``rows``."""
    if not isinstance(rows, (list, tuple)) or not all(isinstance(row, Mapping) for row in rows):
        raise AnsibleFilterError('fleet_report_summary: the input must be the rows of fleet_report_rows (a list of dicts)')
    with_facts = [row for row in rows if row.get('release') != NO_FACTS]
    return {
        'hosts': len(rows),
        'without_facts': sorted(str(row.get('host')) for row in rows if row.get('release') == NO_FACTS),
        'releases': dict(Counter(row['release'] for row in with_facts)),
        'kernel_lines': dict(Counter(row['line'] for row in with_facts)),
        'reboot_pending': sorted(str(row['host']) for row in with_facts if str(row.get('reboot')).startswith('pending')),
        'gpg_off': sorted(str(row['host']) for row in with_facts if str(row.get('repos')).endswith('gpg=OFF')),
    }


class FilterModule(object):
    """The fleet report's figures."""

    def filters(self):
        return {'fleet_report_summary': fleet_report_summary}
