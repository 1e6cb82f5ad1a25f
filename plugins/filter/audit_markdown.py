# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: audit_markdown
short_description: The audit report as Markdown, for a ticket or a chat message
version_added: 1.0.0
description:
  - Renders the report of C(playbooks/audit.yml) (C(docs/audit-report.schema.json)) as Markdown - a title, when the
    report was written, a one-line verdict (V(3 of 9 hosts drift from the desired state) or V(No drift on 9 hosts)),
    a table of the concerns by status, and a table of the hosts that drift or errored with the concerns concerned and
    the first finding to read.
  - The hosts table stops after O(max_hosts) rows and says how many more there are; the HTML page
    (P(tencentos.fleet.audit_html#filter)) and the JSON report have them all.
  - In table cells, C(|) is escaped and line breaks become C(<br>).
positional: _input, max_hosts
options:
  _input:
    description: The audit report, as C(docs/audit-report.schema.json) describes it.
    type: dict
    required: true
  max_hosts:
    description: How many hosts the hosts table lists at most.
    type: int
    default: 50
author:
  - tencentos.fleet contributors (@tencentos-fleet)
'''

EXAMPLES = r'''
- name: Write the audit's summary for the ticket
  ansible.builtin.copy:
    content: "{{ tencentos_fleet_audit | tencentos.fleet.audit_markdown(max_hosts=20) }}"
    dest: "{{ tencentos_fleet_audit_dir }}/audit.md"
    mode: '0644'
  delegate_to: localhost
  run_once: true
'''

RETURN = r'''
_value:
  description: The Markdown text, ending with a line break.
  type: str
  sample: |
    # TencentOS fleet audit

    Generated 2026-12-08T03:30:00Z by tencentos.fleet 1.0.0.

    **1 of 4 hosts drifts from the desired state** (1 with errors, 1 unreachable).
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.tencentos.fleet.plugins.plugin_utils.audit_markdown import render
from ansible_collections.tencentos.fleet.plugins.plugin_utils.audit_schema import rendered


def audit_markdown(report, max_hosts=50):
    """The audit ``report`` as Markdown, listing at most ``max_hosts`` hosts."""
    if isinstance(max_hosts, str) and max_hosts.strip().isdigit():
        max_hosts = int(max_hosts)  # as an AWX survey or extra vars give it
    if isinstance(max_hosts, bool) or not isinstance(max_hosts, int) or max_hosts < 0:
        raise AnsibleFilterError('audit_markdown: max_hosts must be a whole number, 0 or more (given: %r)' % (max_hosts,))
    return rendered('audit_markdown', render, report, max_hosts)


class FilterModule(object):
    """The audit report for a ticket or a chat message."""

    def filters(self):
        return {'audit_markdown': audit_markdown}
