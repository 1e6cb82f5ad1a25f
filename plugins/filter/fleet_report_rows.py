# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: fleet_report_rows
short_description: One row of the fleet report per host, from the hosts' TencentOS facts
version_added: 1.0.0
description:
  - Turns what C(playbooks/site.yml) learnt about each host (the facts of M(tencentos.fleet.tencentos_facts)
    and, where the node has the feature, the result of M(tencentos.fleet.stats_isolation)) into the rows of
    the fleet report, as data. The playbook prints them as a table and writes them as JSON.
  - A host without TencentOS facts (unreachable, failed before its facts were gathered) gets a row that
    says so, with V(-) in every column. So does a host whose facts lack a whole subset the report reads (a host
    that failed in an earlier play of C(playbooks/provision.yml) after a role had gathered only some subsets).
  - After C(playbooks/provision.yml), the rows also say what provisioning did on each host, from the facts and
    the results the roles leave - C(tencentos_kernel_result), C(tencentos_sysctl_result) (with
    C(tencentos_sysctl_profile)) and C(tencentos_hotpatch_result).
positional: _input, hostvars
options:
  _input:
    description: The names of the hosts to report, in the order of the rows.
    type: list
    elements: str
    required: true
  hostvars:
    description: The variables of every host, C(hostvars).
    type: dict
    required: true
  stats_isolation_var:
    description:
      - Name of the variable in which each host registered the result of M(tencentos.fleet.stats_isolation).
      - Its host switch and the number of isolated containers go into the STATS ISOLATION column; without it,
        or for a host that skipped the module, the column has the facts' C(stats_isolation) value.
    type: str
  facts_var:
    description:
      - Name of the variable in which each host registered the result of the report's own
        M(tencentos.fleet.tencentos_facts) task.
      - A host that did not register it, or whose facts task failed or was unreachable, gets the row of a host
        without facts, whatever facts an earlier play left on it (a host that failed while
        C(playbooks/provision.yml) provisioned it keeps the facts gathered before it failed, which no longer
        describe it). Without O(facts_var), every host with the subsets the report reads gets its row.
    type: str
author:
  - tencentos.fleet contributors (@tencentos-fleet)
'''

EXAMPLES = r'''
- name: Print one line per host of the fleet
  ansible.builtin.debug:
    msg: "{{ item.host }}: {{ item.release }}, kernel {{ item.kernel }} ({{ item.flavour }})"
  loop: "{{ groups['all'] | sort | tencentos.fleet.fleet_report_rows(hostvars) }}"

- name: Write the report as JSON, with the stats isolation each node registered in __isolation
  ansible.builtin.copy:
    content: "{{ groups['all'] | tencentos.fleet.fleet_report_rows(hostvars, stats_isolation_var='__isolation') | to_nice_json }}\n"
    dest: /srv/reports/fleet-report.json
    mode: "0644"
  delegate_to: localhost
  run_once: true
'''

RETURN = r'''
_value:
  description:
    - One dict per host, in the order of the input. Keys - C(host); C(release) (distribution and version, or
      C(no facts) followed by C(unreachable or failed) in parentheses), C(family) and C(version) (null without
      facts); C(kernel) (running), C(default_kernel) (or C(-)), C(reboot) (C(no), or C(pending) with the kernel the next boot starts, C(once) for a
      one-time boot); C(flavour) and C(line) (the kernel line, facts C(kernel.line)); C(stats_isolation)
      (C(absent), C(off), C(on)) and C(stats_isolation_summary);
      C(livepatch_abi); C(hot_patches) (names, with C(in transition) or C(disabled) where that applies, or C(none));
      C(repos) (the hosts the enabled repositories come from and whether GPG checks them, or C(none));
      C(repos_managed) (whether the C(tencentos.fleet.repos) role's file is there; null without facts).
    - What provisioning did - C(provisioned) (true when the kernel, sysctl or hotpatch role left its result on the
      host in this run); C(repos_configured) (the ids of the enabled repositories in the C(tencentos.fleet.repos)
      role's file, or C(none)); C(kernel_outcome) (the kernel role's C(outcome), or null) and C(kernel_result)
      (for example C(staged 4.14.105-19-0020.1, runs after a reboot)); C(sysctl_result) (the profile, and how
      many keys were set live and wait for the next boot, or C(in place)); C(hotpatch_result) (the patches
      applied, already in place, and skipped as built for another kernel). V(-) where the role did not run.
  type: list
  elements: dict
  sample:
    - host: tos31
      release: TencentOS 3.1
      family: tencentos
      version: '3.1'
      kernel: 5.4.119-19-0009.1
      default_kernel: 5.4.119-19-0009.1
      reboot: 'no'
      flavour: tk4
      line: tk4
      stats_isolation: absent
      stats_isolation_summary: absent (cgroupfs available)
      livepatch_abi: livepatch
      hot_patches: none
      repos: 10.0.2.2 gpg=on
      repos_managed: true
      provisioned: true
      repos_configured: tencentos-baseos tencentos-tencentos
      kernel_outcome: pending_reboot
      kernel_result: staged 5.4.119-19-0010.1, runs after a reboot
      sysctl_result: 'tke_node: 21 set live, 3 at the next boot'
      hotpatch_result: 'applied livepatch_test_pkg; 1 for another kernel skipped'
'''

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

NO_FACTS = 'no facts (unreachable or failed)'
# The subsets of the facts the report reads.
REPORT_SUBSETS = ('release', 'kernel', 'features', 'repos')
# The results the roles leave on a host for the plays that follow (each role's README).
KERNEL_RESULT = 'tencentos_kernel_result'
SYSCTL_RESULT = 'tencentos_sysctl_result'
SYSCTL_PROFILE = 'tencentos_sysctl_profile'
HOTPATCH_RESULT = 'tencentos_hotpatch_result'


def _lookup(facts, host, path):
    """The value at a dotted path of a host's tencentos facts, or an error that names the host and the path."""
    value = facts
    for key in path.split('.'):
        if not isinstance(value, Mapping) or key not in value:
            raise AnsibleFilterError(
                'fleet_report_rows: the tencentos facts of host %s have no %s; gather every subset of '
                'tencentos.fleet.tencentos_facts before the report' % (host, path))
        value = value[key]
    return value


def stats_isolation_summary(facts, host, isolation):
    """The STATS ISOLATION column: the registered module result where there is one, else the facts' value."""
    if isinstance(isolation, Mapping) and isinstance(isolation.get('containers'), list):
        containers = isolation['containers']
        isolated = len([c for c in containers if isinstance(c, Mapping) and c.get('effective') == 'on'])
        return '%s (%d/%d containers isolated)' % (isolation.get('host_switch'), isolated, len(containers))
    state = _lookup(facts, host, 'features.stats_isolation')
    if _lookup(facts, host, 'features.cgroupfs').get('available'):
        return '%s (cgroupfs available)' % state
    return state


def hot_patches_summary(patches):
    """The HOT PATCHES column: every patch name, marked when it is in transition or disabled."""
    names = []
    for patch in patches or []:
        if patch.get('transition'):
            names.append('%s (in transition)' % patch['name'])
        elif not patch.get('enabled'):
            names.append('%s (disabled)' % patch['name'])
        else:
            names.append(patch['name'])
    return ', '.join(names) or 'none'


def reboot_summary(boot):
    """The REBOOT column: which kernel the next boot starts, and whether only once."""
    if not boot.get('reboot_pending'):
        return 'no'
    if boot.get('next'):
        return 'pending: %s once' % boot['next']
    return 'pending: %s' % boot.get('default')


def repos_summary(repos):
    """The REPOS column: the hosts of the enabled repositories and whether GPG checks them all."""
    if not repos.get('enabled'):
        return 'none'
    return '%s gpg=%s' % (' '.join(repos.get('hosts') or []), 'on' if repos.get('gpgcheck') else 'OFF')


def repos_configured(repos):
    """The REPOSITORIES column of provisioning: the enabled repositories of the repos role's file."""
    managed = repos.get('managed_file')
    if not managed:
        return 'none'
    ids = [repo.get('id') for repo in repos.get('enabled') or [] if isinstance(repo, Mapping) and repo.get('file') == managed]
    return ' '.join(str(repo_id) for repo_id in ids) or 'none enabled'


def kernel_result(result):
    """The KERNEL column of provisioning, from the kernel role's tencentos_kernel_result."""
    if not isinstance(result, Mapping) or not result.get('outcome'):
        return '-'
    outcome, target = result['outcome'], result.get('target')
    if outcome == 'already':
        return 'already on %s' % target
    if outcome == 'pending_reboot':
        return 'staged %s, runs after a reboot' % target
    if outcome == 'moved':
        return 'moved to %s from %s' % (target, result.get('start'))
    if outcome == 'fell_back':
        return 'FELL BACK: %s did not come up, %s runs' % (target, result.get('start'))
    if outcome == 'started':
        # The role records its outcome at its end: a host that failed on the way keeps the first record.
        return 'FAILED before it finished'
    return outcome.upper() if outcome == 'failed' else outcome


def sysctl_result(result, profile):
    """The SYSCTL column of provisioning, from the sysctl role's tencentos_sysctl_result."""
    if not isinstance(result, Mapping):
        return '-'
    counts = [(len(result.get(key) or []), label) for key, label in
              (('applied', 'set live'), ('pending', 'at the next boot'), ('missing', 'missing'))]
    summary = ', '.join('%d %s' % (count, label) for count, label in counts if count) or 'in place'
    return '%s: %s' % (profile, summary) if profile else summary


def hotpatch_result(result):
    """The HOT PATCHES column of provisioning, from the hotpatch role's tencentos_hotpatch_result."""
    if not isinstance(result, Mapping) or not result.get('outcome'):
        return '-'
    if result['outcome'] == 'failed':
        return 'FAILED (%s), rolled back: %s' % (result.get('failed_patch') or '?',
                                                 ', '.join(result.get('rolled_back') or []) or 'nothing')
    parts = []
    if result.get('changed'):
        parts.append('applied %s' % ', '.join(result['changed']))
    if result.get('unchanged'):
        parts.append('in place %s' % ', '.join(result['unchanged']))
    skipped = len(result.get('skipped') or [])
    if skipped:
        parts.append('%d for another kernel skipped' % skipped)
    return '; '.join(parts) or 'none asked for'


def provisioning_columns(variables, repos):
    """What provisioning did on a host: the role results it has in ``variables`` and the repositories in ``repos``."""
    kernel = variables.get(KERNEL_RESULT)
    sysctl = variables.get(SYSCTL_RESULT)
    hotpatch = variables.get(HOTPATCH_RESULT)
    return {
        'provisioned': any(isinstance(result, Mapping) for result in (kernel, sysctl, hotpatch)),
        'repos_configured': repos_configured(repos) if isinstance(repos, Mapping) else '-',
        'kernel_outcome': kernel.get('outcome') if isinstance(kernel, Mapping) else None,
        'kernel_result': kernel_result(kernel),
        'sysctl_result': sysctl_result(sysctl, variables.get(SYSCTL_PROFILE)),
        'hotpatch_result': hotpatch_result(hotpatch),
    }


def facts_gathered(variables, facts_var):
    """Whether the host's facts task (registered in ``facts_var``) gathered its facts; True without ``facts_var``."""
    if not facts_var:
        return True
    registered = variables.get(facts_var)
    if not isinstance(registered, Mapping):
        return False
    return not any(registered.get(outcome) for outcome in ('failed', 'unreachable', 'skipped'))


def host_row(host, variables, stats_isolation_var=None, facts_var=None):
    """The report row of one host from its variables (a hostvars entry)."""
    if not isinstance(variables, Mapping):
        variables = {}
    facts = (variables.get('ansible_facts') or {}).get('tencentos') or {}
    if not facts or any(subset not in facts for subset in REPORT_SUBSETS) or not facts_gathered(variables, facts_var):
        row = {'host': host, 'release': NO_FACTS, 'family': None, 'version': None,
               'kernel': '-', 'default_kernel': '-', 'reboot': '-', 'flavour': '-', 'line': '-', 'stats_isolation': '-',
               'stats_isolation_summary': '-', 'livepatch_abi': '-', 'hot_patches': '-', 'repos': '-',
               'repos_managed': None}
        row.update(provisioning_columns(variables, None))
        return row
    release = _lookup(facts, host, 'release')
    boot = _lookup(facts, host, 'kernel.boot')
    repos = _lookup(facts, host, 'repos')
    isolation = variables.get(stats_isolation_var) if stats_isolation_var else None
    row = {
        'host': host,
        'release': ('%s %s' % (_lookup(facts, host, 'release.distribution'), release.get('version') or '')).strip(),
        'family': _lookup(facts, host, 'release.family'),
        'version': release.get('version'),
        'kernel': _lookup(facts, host, 'kernel.release'),
        'default_kernel': boot.get('default') or '-',
        'reboot': reboot_summary(boot),
        'flavour': _lookup(facts, host, 'kernel.flavour'),
        'line': _lookup(facts, host, 'kernel.line'),
        'stats_isolation': _lookup(facts, host, 'features.stats_isolation'),
        'stats_isolation_summary': stats_isolation_summary(facts, host, isolation),
        'livepatch_abi': _lookup(facts, host, 'features.livepatch_abi'),
        'hot_patches': hot_patches_summary(_lookup(facts, host, 'features').get('hot_patches')),
        'repos': repos_summary(repos),
        'repos_managed': repos.get('managed_file') is not None,
    }
    row.update(provisioning_columns(variables, repos))
    return row


def fleet_report_rows(hosts, hostvars, stats_isolation_var=None, facts_var=None):
    """The rows of the fleet report for ``hosts``, in their order."""
    if isinstance(hosts, (str, bytes)) or not isinstance(hosts, (list, tuple)):
        raise AnsibleFilterError('fleet_report_rows: the input must be a list of host names, got %s'
                                 % type(hosts).__name__)
    if not isinstance(hostvars, Mapping):
        raise AnsibleFilterError('fleet_report_rows: hostvars must be the hostvars mapping, got %s'
                                 % type(hostvars).__name__)
    rows = []
    for host in hosts:
        host = str(host)
        variables = hostvars[host] if host in hostvars else None
        rows.append(host_row(host, variables, stats_isolation_var, facts_var))
    return rows


class FilterModule(object):
    """The fleet report's rows."""

    def filters(self):
        return {'fleet_report_rows': fleet_report_rows}
