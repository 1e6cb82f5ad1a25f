# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: audit_report
short_description: The fleet audit as data - per host and concern, how the host differs from its desired state
version_added: 1.0.0
description:
  - Turns what C(playbooks/audit.yml) registered on each host - the TencentOS facts, the check-mode results of the
    roles' audit entry points (repositories, kernel, sysctl, hot patches) and the stats isolation query - into the
    audit report that C(docs/audit-report.schema.json) describes, version 1.
  - Per host and concern a status - V(ok), V(drift), V(error) (the check itself failed), V(not_applicable) or
    V(not_checked) (the host failed or was unreachable before it) - a line for a person and the findings, each
    naming what was compared, the item, the expected and the actual value.
  - A host without the facts of the audit's own facts task is V(unreachable), with every concern V(not_checked).
positional: _input, hostvars
options:
  _input:
    description: The names of the hosts to report, in the order of the report.
    type: list
    elements: str
    required: true
  hostvars:
    description: The variables of every host, C(hostvars).
    type: dict
    required: true
  generated:
    description: When the report is written, as ISO 8601 in UTC; by default now.
    type: str
  fail_on_drift:
    description: Recorded in the report - whether the run fails on drift.
    type: bool
    default: false
author:
  - tencentos.fleet contributors (@tencentos-fleet)
'''

EXAMPLES = r'''
- name: Write the audit as JSON on the controller
  ansible.builtin.copy:
    content: "{{ ansible_play_hosts_all | sort | tencentos.fleet.audit_report(hostvars) | to_nice_json }}\n"
    dest: /srv/audit/audit.json
    mode: "0644"
  delegate_to: localhost
  run_once: true
  check_mode: false
'''

RETURN = r'''
_value:
  description:
    - The report - C(schema) (V(tencentos.fleet.audit)), C(schema_version), C(generated), C(collection_version),
      C(fail_on_drift), C(concerns) (their order), C(summary) (hosts; hosts per status; per concern, hosts per
      status; hosts per kernel line and per release) and C(hosts), one per host of the input with C(host),
      C(status), C(release), C(kernel), C(kernel_line) and C(concerns).
  type: dict
  sample:
    schema: tencentos.fleet.audit
    schema_version: '1.0'
    generated: '2026-12-08T04:00:00Z'
    collection_version: 1.0.0
    fail_on_drift: false
    concerns: [repos, kernel, sysctl, hotpatch, stats_isolation]
    summary:
      hosts: 1
      by_status: {ok: 0, drift: 1, error: 0, unreachable: 0}
      by_concern:
        sysctl: {ok: 0, drift: 1, error: 0, not_applicable: 0, not_checked: 0}
      by_kernel_line: {tk4: 1}
      by_release: {TencentOS 3.1: 1}
    hosts:
      - host: tos31
        status: drift
        release: TencentOS 3.1
        kernel: 5.4.119-19-0009.1
        kernel_line: tk4
        concerns:
          sysctl:
            status: drift
            summary: 24 keys
            findings:
              - {check: live_value, item: net.core.somaxconn, expected: '8192', actual: '4096',
                 message: net.core.somaxconn is 4096 live, desired 8192}
'''

import datetime
import os
from collections.abc import Mapping

import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.tencentos.fleet.plugins.plugin_utils import audit_findings
from ansible_collections.tencentos.fleet.plugins.plugin_utils.audit_schema import SCHEMA, SCHEMA_VERSION

CONCERN_STATUSES = ('ok', 'drift', 'error', 'not_applicable', 'not_checked')
HOST_STATUSES = ('ok', 'drift', 'error', 'unreachable')
# What each host registered in playbooks/audit.yml: the facts task, and each concern's one module run.
FACTS_RESULT = '__tencentos_fleet_audit_facts'
RESULTS = {
    'repos': '__tencentos_repos_written',
    'kernel': '__tencentos_kernel_plan',
    'sysctl': '__tencentos_sysctl_written',
    'hotpatch': '__tencentos_hotpatch_applied',
    'stats_isolation': '__tencentos_fleet_audit_stats_isolation',
}
COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def collection_version(root=COLLECTION_ROOT):
    """The version of this collection: MANIFEST.json of an installed one, else galaxy.yml of a checkout."""
    for name in ('MANIFEST.json', 'galaxy.yml'):
        path = os.path.join(root, name)
        if os.path.isfile(path):
            with open(path) as handle:
                data = yaml.safe_load(handle)  # JSON is YAML
            version = (data.get('collection_info') or data).get('version')
            if version:
                return str(version)
    return 'unknown'


def host_entry(host, variables):
    """One host of the report."""
    facts_result = variables.get(FACTS_RESULT)
    facts = (variables.get('ansible_facts') or {}).get('tencentos')
    answered = isinstance(facts_result, Mapping) and not (facts_result.get('failed') or facts_result.get('unreachable'))
    reached = answered and isinstance(facts, Mapping)
    entry = {'host': host, 'status': 'unreachable', 'release': None, 'kernel': None, 'kernel_line': None,
             'concerns': {}}
    if not reached:
        entry['concerns'] = dict(
            (name, audit_findings.concern('not_checked', 'not checked: the host did not answer, or failed before '
                                                         'its facts were gathered'))
            for name in audit_findings.CONCERNS)
        return entry
    release = facts.get('release') or {}
    kernel = facts.get('kernel') or {}
    entry.update(release=('%s %s' % (release.get('distribution') or '', release.get('version') or '')).strip() or None,
                 kernel=kernel.get('release'), kernel_line=kernel.get('line'))
    results = dict((name, variables.get(var)) for name, var in RESULTS.items())
    entry['concerns'] = {
        'repos': audit_findings.repos_concern(results['repos'], facts.get('repos')),
        'kernel': audit_findings.kernel_concern(results['kernel']),
        'sysctl': audit_findings.sysctl_concern(results['sysctl']),
        'hotpatch': audit_findings.hotpatch_concern(results['hotpatch']),
        'stats_isolation': audit_findings.stats_isolation_concern(
            results['stats_isolation'], results['sysctl'], (facts.get('features') or {}).get('stats_isolation')),
    }
    statuses = [item['status'] for item in entry['concerns'].values()]
    entry['status'] = 'drift' if 'drift' in statuses else ('error' if 'error' in statuses else 'ok')
    return entry


def summary(hosts):
    by_concern = dict((name, dict((status, 0) for status in CONCERN_STATUSES)) for name in audit_findings.CONCERNS)
    by_status = dict((status, 0) for status in HOST_STATUSES)
    by_line, by_release = {}, {}
    for host in hosts:
        by_status[host['status']] += 1
        for name, item in host['concerns'].items():
            by_concern[name][item['status']] += 1
        if host['kernel_line']:
            by_line[host['kernel_line']] = by_line.get(host['kernel_line'], 0) + 1
        if host['release']:
            by_release[host['release']] = by_release.get(host['release'], 0) + 1
    return {'hosts': len(hosts), 'by_status': by_status, 'by_concern': by_concern,
            'by_kernel_line': by_line, 'by_release': by_release}


def audit_report(hosts, hostvars, generated=None, fail_on_drift=False):
    if not isinstance(hosts, list) or not all(isinstance(host, str) for host in hosts):
        raise AnsibleFilterError('audit_report: the input must be a list of host names, got %r' % (hosts,))
    if not isinstance(hostvars, Mapping):
        raise AnsibleFilterError('audit_report: hostvars must be a mapping (hostvars), got %s' % type(hostvars).__name__)
    if generated is None:
        generated = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
    entries = []
    for host in hosts:
        variables = hostvars[host] if host in hostvars else {}
        entries.append(host_entry(host, variables))
    return {
        'schema': SCHEMA,
        'schema_version': SCHEMA_VERSION,
        'generated': generated,
        'collection_version': collection_version(),
        'fail_on_drift': bool(fail_on_drift),
        'concerns': list(audit_findings.CONCERNS),
        'summary': summary(entries),
        'hosts': entries,
    }


class FilterModule(object):
    def filters(self):
        return {'audit_report': audit_report}
