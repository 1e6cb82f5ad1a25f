# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit report as JUnit XML: one test case per host and concern, valid against pytest's junit-10.xsd."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from xml.etree import ElementTree

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.tencentos.fleet.plugins.filter.audit_junit import FilterModule, audit_junit

from ansible_collections.tencentos.fleet.tests.unit.plugins.filter.audit_report_fixture import (
    CONCERNS, REPORT, TOS24, check_schema, fleet_of, renamed, report_of)
from ansible_collections.tencentos.fleet.tests.unit.plugins.filter.junit_schema import junit_schema


@pytest.fixture(scope='module')
def schema():
    return junit_schema()


def parsed(report):
    return ElementTree.fromstring(audit_junit(report).encode('utf-8'))


def summed(report, *statuses):
    return sum(counts[status] for counts in report['summary']['by_concern'].values() for status in statuses)


def control_characters_report():
    host = renamed(TOS24, 'tos24')
    host['concerns']['sysctl']['findings'][0]['message'] = 'bell \x07, escape \x1b[31m and a </failure> <!-- & ]]>'
    return report_of([host])


def test_the_filter_is_named_as_the_playbook_calls_it():
    assert FilterModule().filters() == {'audit_junit': audit_junit}


def test_the_reports_of_these_tests_follow_the_schema():
    for report in (REPORT, fleet_of(60), control_characters_report()):
        check_schema(report)


def test_there_is_one_test_case_per_host_and_concern():
    root = parsed(REPORT)
    assert root.tag == 'testsuites' and root.get('name') == 'tencentos.fleet audit'
    assert [suite.get('name') for suite in root] == CONCERNS
    cases = root.findall('testsuite/testcase')
    assert len(cases) == len(REPORT['hosts']) * len(CONCERNS) == int(root.get('tests'))
    assert [(case.get('classname'), case.get('name')) for case in root.find('testsuite')] == [
        ('tencentos.fleet.audit.repos', host) for host in ('tos31', 'tos24', 'oc9', 'tos32')]
    assert {case.get('time') for case in cases} == {'0'}


def test_failures_errors_and_skips_are_the_report_s_drift_errors_and_unchecked_concerns():
    for report in (REPORT, fleet_of(60)):
        root = parsed(report)
        assert (root.get('failures'), root.get('errors')) == (str(summed(report, 'drift')), str(summed(report, 'error')))
        assert len(root.findall('testsuite/testcase/failure')) == summed(report, 'drift')
        assert len(root.findall('testsuite/testcase/error')) == summed(report, 'error')
        assert len(root.findall('testsuite/testcase/skipped')) == summed(report, 'not_applicable', 'not_checked')
        for suite in root:
            counts = report['summary']['by_concern'][suite.get('name')]
            assert {name: suite.get(name) for name in ('tests', 'failures', 'errors', 'skipped')} == {
                'tests': str(report['summary']['hosts']), 'failures': str(counts['drift']),
                'errors': str(counts['error']), 'skipped': str(counts['not_applicable'] + counts['not_checked'])}


def test_a_drift_fails_with_its_summary_and_one_line_per_finding():
    failure = parsed(REPORT).find("testsuite[@name='sysctl']/testcase[@name='tos24']/failure")
    assert failure.get('type') == 'drift' and failure.get('message') == '3 of 12 settings differ'
    assert failure.text.splitlines() == [
        'live_value net.core.somaxconn: expected 4096, actual 128: net.core.somaxconn is 128, not 4096',
        'live_value vm.swappiness: expected 10, actual 60: vm.swappiness is 60, not 10',
        'persisted_value net.ipv4.tcp_tw_reuse: expected 1, actual (none): net.ipv4.tcp_tw_reuse is not in '
        '/etc/sysctl.d/90-tencentos-fleet.conf: a reboot would lose it']


def test_an_error_and_unchecked_concerns_say_why():
    root = parsed(REPORT)
    error = root.find("testsuite[@name='kernel']/testcase[@name='oc9']/error")
    assert error.get('type') == 'error'
    assert error.get('message') == "could not read the boot loader's default entry: grubby exited with 1"
    unreachable = root.findall("testsuite/testcase[@name='tos32']")
    assert [[(child.tag, child.get('type')) for child in case] for case in unreachable] == \
        [[('skipped', 'not_checked')]] * len(CONCERNS)
    assert 'unreachable' in unreachable[0].find('skipped').get('message')
    assert list(root.find("testsuite[@name='kernel']/testcase[@name='tos24']")) == []  # ok: passed


def test_the_text_is_declared_xml_and_timestamped_in_utc_without_a_zone():
    text = audit_junit(REPORT)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')
    assert {suite.get('timestamp') for suite in parsed(REPORT)} == {'2026-12-08T03:30:00'}
    shanghai = dict(REPORT, generated='2026-12-08T11:30:00.250+08:00')
    assert {suite.get('timestamp') for suite in parsed(shanghai)} == {'2026-12-08T03:30:00'}


def test_characters_xml_cannot_carry_are_replaced(schema):
    failure = parsed(control_characters_report()).find("testsuite[@name='sysctl']/testcase/failure")
    assert 'bell \ufffd, escape \ufffd[31m and a </failure> <!-- & ]]>' in failure.text
    schema.validate(audit_junit(control_characters_report()))


def test_the_xml_is_valid_junit_as_pytest_checks_its_own(schema):
    for report in (REPORT, fleet_of(60), report_of([])):
        schema.validate(audit_junit(report))


def test_the_schema_check_is_real(schema):
    # junit-10.xsd has no skipped attribute on testsuites (only on testsuite), which is why audit_junit leaves it out.
    root = parsed(REPORT)
    root.set('skipped', '9')
    assert not schema.is_valid(ElementTree.tostring(root, encoding='unicode'))
    del root.attrib['skipped']
    root.find('testsuite/testcase').attrib.pop('name')
    assert not schema.is_valid(ElementTree.tostring(root, encoding='unicode'))


@pytest.mark.parametrize('report', [None, [REPORT], {'schema': 'tencentos.fleet.audit', 'schema_version': '2.0'},
                                    dict(REPORT, generated='yesterday'), dict(REPORT, hosts=[{'host': 'tos31'}])])
def test_what_is_not_an_audit_report_is_refused(report):
    with pytest.raises(AnsibleFilterError, match='the input must be the report of playbooks/audit.yml'):
        audit_junit(report)
