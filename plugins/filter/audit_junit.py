# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: audit_junit
short_description: The audit report as JUnit XML, one test case per host and concern
version_added: 1.0.0
description:
  - Renders the report of C(playbooks/audit.yml) (C(docs/audit-report.schema.json)) as JUnit XML, which CI systems
    and test dashboards read - one C(testsuite) per concern, named after it, and in each one C(testcase) per host
    (C(classname) V(tencentos.fleet.audit.<concern>), C(name) the host).
  - A concern that drifted is a C(failure) whose message is the concern's summary and whose text has one line per
    finding; one that could not be checked is an C(error); V(not_applicable) and V(not_checked) (every concern of an
    unreachable host) are C(skipped); V(ok) is a test case that passed.
  - Each C(testsuite) carries the report's time as C(timestamp), in UTC without a zone. Times are V(0), the audit
    does not measure them.
  - The XML follows the JUnit schema that pytest checks its own C(--junitxml) output against (C(junit-10.xsd)),
    which is why C(testsuites) has no C(skipped) count (the C(testsuite) elements have theirs).
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
- name: Write the audit as JUnit XML for the CI system
  ansible.builtin.copy:
    content: "{{ tencentos_fleet_audit | tencentos.fleet.audit_junit }}"
    dest: "{{ tencentos_fleet_audit_dir }}/audit-junit.xml"
    mode: '0644'
  delegate_to: localhost
  run_once: true
'''

RETURN = r'''
_value:
  description: The XML text, with its XML declaration (UTF-8).
  type: str
  sample: |
    <?xml version="1.0" encoding="UTF-8"?>
    <testsuites name="tencentos.fleet audit" tests="1" failures="1" errors="0" time="0">
      <testsuite name="repos" tests="1" failures="1" errors="0" skipped="0" time="0" timestamp="2026-12-08T03:30:00">
        <testcase classname="tencentos.fleet.audit.repos" name="tos24" time="0">
          <failure type="drift" message="1 difference in 1 repository">repo_gpgcheck tlinux: expected 1, actual 0: ...</failure>
        </testcase>
      </testsuite>
    </testsuites>
'''

from ansible_collections.tencentos.fleet.plugins.plugin_utils.audit_junit import render
from ansible_collections.tencentos.fleet.plugins.plugin_utils.audit_schema import rendered


def audit_junit(report):
    """The audit ``report`` as JUnit XML."""
    return rendered('audit_junit', render, report)


class FilterModule(object):
    """The audit report for CI systems."""

    def filters(self):
        return {'audit_junit': audit_junit}
