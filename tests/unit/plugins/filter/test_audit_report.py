# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit report: hosts and their concerns from what audit.yml registered, the summary, the version."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.tencentos.fleet.plugins.filter import audit_report as ar

FACTS = {
    'release': {'distribution': 'TencentOS', 'version': '3.1'},
    'kernel': {'release': '5.4.119-19-0009.1', 'line': 'tk4'},
    'features': {'stats_isolation': 'absent'},
    'repos': {'enabled': []},
}
SCHEMA = os.path.join(ar.COLLECTION_ROOT, 'docs', 'audit-report.schema.json')


def reached(**results):
    variables = {'ansible_facts': {'tencentos': FACTS}, ar.FACTS_RESULT: {'changed': False}}
    variables.update(results)
    return variables


def sysctl_drift():
    return {'file': '/etc/sysctl.d/90-tencentos-fleet.conf', 'file_changed': False, 'missing': [],
            'per_key': {'net.core.somaxconn': {'before': '4096', 'file_before': '8192', 'file': '8192',
                                               'live': 'applied'}}}


def test_the_filter_is_named_as_the_playbook_calls_it():
    assert ar.FilterModule().filters() == {'audit_report': ar.audit_report}


def test_hosts_get_the_worst_status_of_their_concerns_and_the_summary_counts_them():
    hostvars = {
        'clean': reached(),
        'drifted': reached(__tencentos_sysctl_written=sysctl_drift()),
        'broken': reached(__tencentos_kernel_plan={'failed': True, 'msg': 'dnf failed'}),
        'gone': {ar.FACTS_RESULT: {'unreachable': True, 'msg': 'ssh: connect timed out'}},
    }
    report = ar.audit_report(['broken', 'clean', 'drifted', 'gone'], hostvars, generated='2026-12-08T04:00:00Z')
    statuses = dict((host['host'], host['status']) for host in report['hosts'])
    assert statuses == {'broken': 'error', 'clean': 'ok', 'drifted': 'drift', 'gone': 'unreachable'}
    assert report['summary']['by_status'] == {'ok': 1, 'drift': 1, 'error': 1, 'unreachable': 1}
    assert report['summary']['by_concern']['sysctl'] == {'ok': 0, 'drift': 1, 'error': 0, 'not_applicable': 0,
                                                         'not_checked': 3}
    assert report['summary']['by_kernel_line'] == {'tk4': 3}
    assert report['summary']['by_release'] == {'TencentOS 3.1': 3}
    gone = report['hosts'][3]
    assert gone['release'] is None and set(item['status'] for item in gone['concerns'].values()) == {'not_checked'}
    assert list(report['concerns']) == ['repos', 'kernel', 'sysctl', 'hotpatch', 'stats_isolation']
    assert report['generated'] == '2026-12-08T04:00:00Z'


def test_the_report_follows_its_published_schema():
    jsonschema = pytest.importorskip('jsonschema')
    report = ar.audit_report(['a', 'b'], {'a': reached(__tencentos_sysctl_written=sysctl_drift()), 'b': {}},
                             fail_on_drift=True)
    with open(SCHEMA) as handle:
        jsonschema.validate(report, json.load(handle), format_checker=jsonschema.FormatChecker())
    assert report['fail_on_drift'] is True


def test_the_version_is_the_collections(tmp_path):
    (tmp_path / 'galaxy.yml').write_text('namespace: tencentos\nname: fleet\nversion: 1.2.3\n')
    assert ar.collection_version(str(tmp_path)) == '1.2.3'
    (tmp_path / 'MANIFEST.json').write_text('{"collection_info": {"version": "1.2.4"}}')
    assert ar.collection_version(str(tmp_path)) == '1.2.4'


def test_bad_input_is_named():
    with pytest.raises(AnsibleFilterError, match='list of host names'):
        ar.audit_report('all', {})
    with pytest.raises(AnsibleFilterError, match='hostvars must be a mapping'):
        ar.audit_report(['a'], [])
