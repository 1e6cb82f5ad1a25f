# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit report (docs/audit-report.schema.json) as JUnit XML, for CI systems and AWX-adjacent dashboards.

One test suite per concern, one test case per host and concern: drift is a failure (one line per finding), error
an error, not_applicable and not_checked (so every concern of an unreachable host) are skipped. The XML follows
the Jenkins xunit JUnit 10 schema that pytest validates its own junitxml output against (junit-10.xsd): there,
``testsuites`` takes name, time, tests, failures and errors only (no skipped), ``testsuite`` requires name,
tests, failures and errors, and ``time`` matches SUREFIRE_TIME (plain decimal seconds). Controller side only.
"""

from __future__ import annotations

import datetime
import re
from xml.etree import ElementTree

SUITES_NAME = 'tencentos.fleet audit'
CLASSNAME = 'tencentos.fleet.audit.%s'
DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
# What the outcome of a test case is, by concern status; ok and unknown statuses have none.
OUTCOMES = {'drift': 'failure', 'error': 'error', 'not_applicable': 'skipped', 'not_checked': 'skipped'}
# Characters XML 1.0 cannot carry, even escaped: C0 controls but tab and line breaks, surrogates, U+FFFE/U+FFFF.
NOT_XML = re.compile('[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]')
MISSING = {'status': 'not_checked', 'summary': 'not in the report', 'findings': []}


def xml_text(value):
    """``value`` as text XML can carry: characters it cannot are replaced by U+FFFD; None is (none)."""
    return NOT_XML.sub('\ufffd', '(none)' if value is None else str(value))


def timestamp(generated):
    """The report's time as JUnit's timestamp wants it: UTC, ISO 8601 without a zone, to the second."""
    text = str(generated).strip()
    if text.endswith(('Z', 'z')):
        text = text[:-1] + '+00:00'  # Python 3.10's fromisoformat does not read Z
    moment = datetime.datetime.fromisoformat(text)
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return moment.isoformat(timespec='seconds')


def finding_line(finding):
    """One finding on one line: check and item, expected and actual, then the message."""
    what = finding['check'] if finding.get('item') is None else '%s %s' % (finding['check'], finding['item'])
    line = '%s: expected %s, actual %s: %s' % (
        what, xml_text(finding.get('expected')), xml_text(finding.get('actual')), finding['message'])
    return ' '.join(line.split())


def outcome(concern):
    """The failure, error or skipped element of a test case for a host's concern, or None when it is ok."""
    kind = OUTCOMES.get(concern['status'])
    if kind is None:
        return None
    element = ElementTree.Element(kind, {'type': concern['status'], 'message': xml_text(concern['summary'])})
    if concern['findings']:
        element.text = xml_text('\n'.join(finding_line(finding) for finding in concern['findings']))
    elif kind == 'error':
        element.text = xml_text(concern['summary'])
    return element


def counts(cases):
    """tests, failures, errors and skipped of the test case elements ``cases``, as attribute values."""
    kinds = [child.tag for case in cases for child in case]
    return {'tests': str(len(cases)), 'failures': str(kinds.count('failure')),
            'errors': str(kinds.count('error')), 'skipped': str(kinds.count('skipped'))}


def render(report):
    """The JUnit XML text of ``report``, with its XML declaration."""
    moment = timestamp(report['generated'])
    suites = []
    for name in report['concerns']:
        cases = []
        for host in report['hosts']:
            case = ElementTree.Element('testcase', {'classname': CLASSNAME % name, 'name': xml_text(host['host']),
                                                    'time': '0'})
            child = outcome(host['concerns'].get(name, MISSING))
            if child is not None:
                case.append(child)
            cases.append(case)
        suite = ElementTree.Element('testsuite', {'name': name, **counts(cases), 'time': '0', 'timestamp': moment})
        suite.extend(cases)
        suites.append(suite)
    every_case = [case for suite in suites for case in suite]
    totals = counts(every_case)
    del totals['skipped']  # junit-10.xsd has no skipped attribute on testsuites
    root = ElementTree.Element('testsuites', {'name': SUITES_NAME, **totals, 'time': '0'})
    root.extend(suites)
    ElementTree.indent(root)
    return DECLARATION + ElementTree.tostring(root, encoding='unicode') + '\n'
