# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit report as Markdown, for a ticket or a chat message."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.tencentos.fleet.plugins.filter.audit_markdown import FilterModule, audit_markdown

from ansible_collections.tencentos.fleet.tests.unit.plugins.filter.audit_report_fixture import (
    OC9, REPORT, TOS24, TOS31, check_schema, clean_report, fleet_of, renamed, report_of)


def lines(text):
    return text.splitlines()


def cells(line):
    """The cells of a table row, split at the pipes that are not escaped."""
    return [cell.strip() for cell in re.split(r'(?<!\\)\|', line)[1:-1]]


def three_of_nine():
    return report_of([renamed(TOS24, 'drift-%d' % number) for number in range(3)]
                     + [renamed(TOS31, 'ok-%d' % number) for number in range(6)])


def test_the_filter_is_named_as_the_playbook_calls_it():
    assert FilterModule().filters() == {'audit_markdown': audit_markdown}


def test_the_reports_of_these_tests_follow_the_schema():
    for report in (REPORT, three_of_nine(), clean_report(), fleet_of(100)):
        check_schema(report)


def test_the_text_opens_with_the_title_the_time_and_the_verdict():
    assert lines(audit_markdown(REPORT))[:5] == [
        '# TencentOS fleet audit', '',
        'Generated 2026-12-08T03:30:00Z by tencentos.fleet 1.0.0.', '',
        '**1 of 4 hosts drifts from the desired state** (1 with errors, 1 unreachable).']


def test_the_verdict_counts_the_hosts_that_drift():
    assert '**3 of 9 hosts drift from the desired state**.' in lines(audit_markdown(three_of_nine()))


def test_a_clean_fleet_has_no_drift_and_no_hosts_table():
    text = audit_markdown(clean_report(9))
    assert '**No drift on 9 hosts**.' in lines(text)
    assert '| Host | Status | Concerns | First finding |' not in text
    assert audit_markdown(clean_report(1)).count('**No drift on 1 host**.') == 1


def test_the_concerns_table_counts_the_hosts_per_status():
    text = lines(audit_markdown(REPORT))
    start = text.index('| Concern | ok | drift | error | not applicable | not checked |')
    assert [cells(line) for line in text[start + 2:start + 7]] == [
        ['repos', '2', '1', '0', '0', '1'],
        ['kernel', '2', '0', '1', '0', '1'],
        ['sysctl', '2', '1', '0', '0', '1'],
        ['hotpatch', '1', '0', '0', '1', '2'],
        ['stats_isolation', '1', '0', '0', '2', '1'],
    ]


def test_the_hosts_table_lists_drift_then_errors_with_the_first_finding():
    text = lines(audit_markdown(REPORT))
    start = text.index('| Host | Status | Concerns | First finding |')
    assert [cells(line) for line in text[start + 2:]] == [
        ['tos24', 'drift', 'repos (2), sysctl (3)',
         'tlinux takes packages from mirrors.tencent.com instead of the fleet mirror'],
        ['oc9', 'error', 'kernel', "could not read the boot loader's default entry: grubby exited with 1"],
    ]


def test_pipes_and_line_breaks_in_cells_are_escaped():
    drifting = renamed(TOS24, 'tos24')
    drifting['concerns']['repos']['findings'][0]['message'] = 'baseurl is a|b\nnot c|d'
    errored = renamed(OC9, 'oc9')
    errored['concerns']['kernel']['summary'] = 'grubby said:\r\nno | default'
    text = lines(audit_markdown(report_of([drifting, errored])))
    assert text[-2] == '| tos24 | drift | repos (2), sysctl (3) | baseurl is a\\|b<br>not c\\|d |'
    assert text[-1] == '| oc9 | error | kernel | grubby said:<br>no \\| default |'
    assert [len(cells(line)) for line in text[-2:]] == [4, 4]


def test_the_hosts_table_stops_at_max_hosts_and_says_how_many_more():
    report = fleet_of(100)
    listed = report['summary']['by_status']['drift'] + report['summary']['by_status']['error']
    text = lines(audit_markdown(report, max_hosts=10))
    start = text.index('| Host | Status | Concerns | First finding |')
    assert len([line for line in text[start + 2:] if line.startswith('| ')]) == 10
    assert text[-1] == '\u2026 and %d more hosts (see the HTML page or the JSON)' % (listed - 10)
    assert lines(audit_markdown(report, max_hosts=listed - 1))[-1] == \
        '\u2026 and 1 more host (see the HTML page or the JSON)'
    assert not lines(audit_markdown(report, max_hosts=listed))[-1].startswith('\u2026')
    assert len([line for line in lines(audit_markdown(report)) if re.match(r'\| node-', line)]) == 50


def test_max_hosts_may_come_as_text_from_a_survey():
    assert audit_markdown(fleet_of(100), '10') == audit_markdown(fleet_of(100), 10)


@pytest.mark.parametrize('max_hosts', [-1, 'ten', True, 2.5, None])
def test_max_hosts_that_is_not_a_count_is_refused(max_hosts):
    with pytest.raises(AnsibleFilterError, match=r'max_hosts must be a whole number, 0 or more \(given: '):
        audit_markdown(REPORT, max_hosts)


@pytest.mark.parametrize('report', [None, 'report', {'schema': 'tencentos.fleet.audit', 'schema_version': '2.0'},
                                    dict(REPORT, summary={'hosts': 4})])
def test_what_is_not_an_audit_report_is_refused(report):
    with pytest.raises(AnsibleFilterError, match='the input must be the report of playbooks/audit.yml'):
        audit_markdown(report)
