# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Audit reports (docs/audit-report.schema.json) for the tests of the audit_html, audit_markdown and audit_junit filters.

REPORT is what playbooks/audit.yml is to write for four hosts of the simulated fleet: tos31 as desired, tos24 with
repository and sysctl drift, oc9 whose boot loader could not be read, and tos32, which did not answer. Releases
(os-release PRETTY_NAME) and kernels (uname -r) are those of the simulated fleet's images (molecule/resources);
summaries and findings are written for these tests, in the schema's words, since audit.yml is being written.
Every test file checks the reports it uses against the schema (``check_schema``), so they cannot drift from it.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import json
import os

import pytest

SCHEMA_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', '..', 'docs',
                           'audit-report.schema.json')
CONCERNS = ['repos', 'kernel', 'sysctl', 'hotpatch', 'stats_isolation']
CONCERN_STATUSES = ('ok', 'drift', 'error', 'not_applicable', 'not_checked')
GENERATED = '2026-12-08T03:30:00Z'

UNREACHABLE = 'not checked: the host was unreachable (ssh: connect to host 10.0.2.15 port 22: No route to host)'


def concern(status, summary, *findings):
    return {'status': status, 'summary': summary, 'findings': list(findings)}


def finding(check, item, expected, actual, message):
    return {'check': check, 'item': item, 'expected': expected, 'actual': actual, 'message': message}


TOS31 = {
    'host': 'tos31', 'status': 'ok', 'release': 'TencentOS Server 3.1 (Final)', 'kernel': '5.4.119-19-0009.1',
    'kernel_line': 'tk4',
    'concerns': {
        'repos': concern('ok', '1 repository as desired (tlinux)'),
        'kernel': concern('ok', 'runs 5.4.119-19-0009.1, the desired kernel, and boots it next'),
        'sysctl': concern('ok', '12 settings as desired, live and in /etc/sysctl.d/90-tencentos-fleet.conf'),
        'hotpatch': concern('not_applicable', 'no hot patch desired and none loaded'),
        'stats_isolation': concern('not_applicable', 'the tk4 kernel has no stats isolation'),
    },
}

TOS24 = {
    'host': 'tos24', 'status': 'drift', 'release': 'TencentOS Server 2.4', 'kernel': '4.14.105-19-0020.1',
    'kernel_line': 'tk3',
    'concerns': {
        'repos': concern(
            'drift', '2 differences in 1 repository',
            finding('repo_baseurl', 'tlinux', 'http://10.0.2.2:18080/tlinux/2.4/$basearch/os/',
                    'http://mirrors.tencent.com/tlinux/2.4/$basearch/os/',
                    'tlinux takes packages from mirrors.tencent.com instead of the fleet mirror'),
            finding('repo_gpgcheck', 'tlinux', '1', '0', 'GPG does not check the packages of tlinux')),
        'kernel': concern('ok', 'runs 4.14.105-19-0020.1, the desired kernel, and boots it next'),
        'sysctl': concern(
            'drift', '3 of 12 settings differ',
            finding('live_value', 'net.core.somaxconn', '4096', '128', 'net.core.somaxconn is 128, not 4096'),
            finding('live_value', 'vm.swappiness', '10', '60', 'vm.swappiness is 60, not 10'),
            finding('persisted_value', 'net.ipv4.tcp_tw_reuse', '1', None,
                    'net.ipv4.tcp_tw_reuse is not in /etc/sysctl.d/90-tencentos-fleet.conf: a reboot would lose it')),
        'hotpatch': concern('ok', '1 hot patch loaded as desired (kpatch_cve_2026_1234)'),
        'stats_isolation': concern('ok', 'host switch on; 3 containers isolated as desired'),
    },
}

OC9 = {
    'host': 'oc9', 'status': 'error', 'release': 'OpenCloudOS 9.2', 'kernel': '6.6.47-12.oc9.x86_64',
    'kernel_line': 'oc9',
    'concerns': {
        'repos': concern('ok', '1 repository as desired (opencloudos)'),
        'kernel': concern('error', "could not read the boot loader's default entry: grubby exited with 1"),
        'sysctl': concern('ok', '12 settings as desired, live and in /etc/sysctl.d/90-tencentos-fleet.conf'),
        'hotpatch': concern('not_checked', 'not checked: the kernel concern failed before it'),
        'stats_isolation': concern('not_applicable', 'the opencloudos kernel has no stats isolation'),
    },
}

TOS32 = {
    'host': 'tos32', 'status': 'unreachable', 'release': None, 'kernel': None, 'kernel_line': None,
    'concerns': {name: concern('not_checked', UNREACHABLE) for name in CONCERNS},
}

REPORT = {
    'schema': 'tencentos.fleet.audit',
    'schema_version': '1.0',
    'generated': GENERATED,
    'collection_version': '1.0.0',
    'fail_on_drift': False,
    'concerns': CONCERNS,
    'summary': {
        'hosts': 4,
        'by_status': {'ok': 1, 'drift': 1, 'error': 1, 'unreachable': 1},
        'by_concern': {
            'repos': {'ok': 2, 'drift': 1, 'error': 0, 'not_applicable': 0, 'not_checked': 1},
            'kernel': {'ok': 2, 'drift': 0, 'error': 1, 'not_applicable': 0, 'not_checked': 1},
            'sysctl': {'ok': 2, 'drift': 1, 'error': 0, 'not_applicable': 0, 'not_checked': 1},
            'hotpatch': {'ok': 1, 'drift': 0, 'error': 0, 'not_applicable': 1, 'not_checked': 2},
            'stats_isolation': {'ok': 1, 'drift': 0, 'error': 0, 'not_applicable': 2, 'not_checked': 1},
        },
        'by_kernel_line': {'tk4': 1, 'tk3': 1, 'oc9': 1},
        'by_release': {'TencentOS Server 3.1 (Final)': 1, 'TencentOS Server 2.4': 1, 'OpenCloudOS 9.2': 1},
    },
    'hosts': [TOS31, TOS24, OC9, TOS32],
}


def report_of(hosts):
    """A report of ``hosts`` (copied) with the summary audit.yml would compute for them."""
    hosts = copy.deepcopy(hosts)
    by_status = {status: 0 for status in ('ok', 'drift', 'error', 'unreachable')}
    by_concern = {name: {status: 0 for status in CONCERN_STATUSES} for name in CONCERNS}
    by_kernel_line, by_release = {}, {}
    for host in hosts:
        by_status[host['status']] += 1
        for name in CONCERNS:
            by_concern[name][host['concerns'][name]['status']] += 1
        for counts, key in ((by_kernel_line, host['kernel_line']), (by_release, host['release'])):
            if key is not None:
                counts[key] = counts.get(key, 0) + 1
    return dict(copy.deepcopy(REPORT), hosts=hosts, summary={
        'hosts': len(hosts), 'by_status': by_status, 'by_concern': by_concern,
        'by_kernel_line': by_kernel_line, 'by_release': by_release})


def renamed(host, name):
    return dict(copy.deepcopy(host), host=name)


def clean_report(count=9):
    """``count`` hosts as desired."""
    return report_of([renamed(TOS31, 'tos31-%02d' % number) for number in range(count)])


def fleet_of(count):
    """A fleet of ``count`` hosts like REPORT's, in turn: a host drifts in 2 concerns with 5 findings, every
    fourth host as desired, every tenth errored and every twentieth unreachable."""
    hosts = []
    for number in range(count):
        model = TOS32 if number % 20 == 19 else OC9 if number % 10 == 9 else TOS31 if number % 4 == 3 else TOS24
        hosts.append(renamed(model, 'node-%04d.gz.cvm.example.com' % number))
    return report_of(hosts)


def check_schema(report):
    """Fail unless ``report`` follows docs/audit-report.schema.json; skip where jsonschema is not installed."""
    try:
        import jsonschema
    except ImportError:
        pytest.skip('jsonschema is not installed in this virtualenv (it comes with ansible-lint, which only .venv '
                    'has): the audit report fixtures are checked against docs/audit-report.schema.json there')
    with open(SCHEMA_PATH) as schema_file:
        schema = json.load(schema_file)
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    problems = ['%s: %s' % ('/'.join(str(part) for part in error.absolute_path), error.message)
                for error in validator.iter_errors(report)]
    assert problems == []
