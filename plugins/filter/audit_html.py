# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: audit_html
short_description: The audit report as one self-contained HTML page
version_added: 1.0.0
description:
  - Renders the report of C(playbooks/audit.yml) (C(docs/audit-report.schema.json)) as one HTML5 page that loads
    nothing from anywhere (its style, script and charts are in the page, and its Content-Security-Policy allows
    nothing else), so it opens from disk and as a downloaded AWX artifact.
  - The page has the fleet's figures (hosts, ok, drift, error, unreachable), a bar chart of the hosts by kernel line
    and release, one of the hosts that drift or errored per concern, and the fleet table - one row per host with
    its release, kernel, status and one badge per concern that says the concern's status and number of findings.
  - The table reads without JavaScript. The page's script filters it (by text, status, or a concern that drifted),
    sorts it by any column (statuses by severity - drift, error, unreachable, ok) and shows a host's findings when
    its row is selected, from the report, which the page embeds once as JSON.
  - The filter is kept in the page's address, so that a view can be shared as a link - C(audit.html#status=drift),
    C(#concern=sysctl), C(#q=tos3) (text), C(#host=tos24) (that host's findings), combined with C(&).
  - Every text of the report is escaped; a host name or a finding cannot add markup or script to the page.
positional: _input
options:
  _input:
    description: The audit report, as C(docs/audit-report.schema.json) describes it.
    type: dict
    required: true
author:
  - tencentos.fleet contributors (@tencentos-fleet)
'''

EXAMPLES = r'''
- name: Write the audit's HTML page
  ansible.builtin.copy:
    content: "{{ tencentos_fleet_audit | tencentos.fleet.audit_html }}"
    dest: "{{ tencentos_fleet_audit_dir }}/audit.html"
    mode: '0644'
  delegate_to: localhost
  run_once: true
'''

RETURN = r'''
_value:
  description:
    - The HTML text. Elements a browser test can rely on - C(count-hosts), C(count-ok), C(count-drift),
      C(count-error) and C(count-unreachable) (their text is the number); the table C(fleet), whose body has one
      C(tr) per host with C(data-host), C(data-status) and C(data-drift) (the concerns that drifted); the controls
      C(filter), C(status-filter), C(concern-filter) and C(shown); the charts C(chart-kernel) and C(chart-concern);
      the host detail C(detail); the embedded report C(audit-data).
  type: str
'''

from ansible_collections.tencentos.fleet.plugins.plugin_utils.audit_html import render
from ansible_collections.tencentos.fleet.plugins.plugin_utils.audit_schema import rendered


def audit_html(report):
    """The audit ``report`` as an HTML page."""
    return rendered('audit_html', render, report)


class FilterModule(object):
    """The audit report for people, in a browser."""

    def filters(self):
        return {'audit_html': audit_html}
