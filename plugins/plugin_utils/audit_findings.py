# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a host differs from its desired state, per concern, from the check-mode results of the audit.

playbooks/audit.yml runs each role's audit entry point (one check-mode module run per concern) and the
stats isolation query; each function here turns one such registered result into the concern of the
report (docs/audit-report.schema.json): a status, a line for a person and the findings. Controller code.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import difflib
from collections.abc import Mapping

from ansible_collections.tencentos.fleet.plugins.module_utils.stats_isolation import compliance_problems

CONCERNS = ('repos', 'kernel', 'sysctl', 'hotpatch', 'stats_isolation')
# What a registered result lacks when its host failed or was unreachable before the concern's task.
NOT_CHECKED = 'not checked: the host failed or was unreachable before this concern'
# The longest diff of the repository file kept in a finding, in lines.
MAX_DIFF_LINES = 60
# What livepatch_set's planned steps say about a patch that is not as its entry asks (livepatch.plan).
STEP_MEANING = {
    'modprobe': 'not loaded (its kpatch core is not loaded either)',
    'insmod': 'not loaded',
    'enable': 'loaded but disabled',
    'disable': 'active',
    'rmmod': 'loaded',
    'copy': 'its installed copy is missing or differs',
    'boot': 'not loaded at boot (the boot unit is not enabled)',
    'remove': 'installed for the next boots',
    'unboot': 'the boot unit is still enabled',
}


def text(value):
    """A finding's value as text; None stays None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return str(value)


def finding(check, item, expected, actual, message):
    return {'check': check, 'item': text(item), 'expected': text(expected), 'actual': text(actual),
            'message': message}


def concern(status, summary, findings=None):
    findings = findings or []
    if status == 'ok' and findings:
        status = 'drift'
    return {'status': status, 'summary': summary, 'findings': findings}


def registered(result):
    """Whether a host registered this result at all (a dict with more than Ansible's bookkeeping)."""
    return isinstance(result, Mapping) and bool(result)


def unusable(result):
    """The concern of a result that cannot be read for drift (none registered, or the module failed), or None."""
    if not registered(result):
        return concern('not_checked', NOT_CHECKED)
    return failure(result)


def failure(result):
    """The concern of a module run that failed (an error of the check, not drift), or None."""
    if result.get('failed') or result.get('unreachable'):
        return concern('error', 'could not be checked: %s' % (result.get('msg') or 'the module failed'))
    return None


def module_args(result):
    return (result.get('invocation') or {}).get('module_args') or {}


# --- repositories -----------------------------------------------------------------------------------------

def repos_concern(result, facts_repos):
    """The repos role's file against what it would write; the release's repositories; GPG anywhere."""
    problem = unusable(result)
    if problem:
        return problem
    if result.get('skipped'):
        return concern('not_applicable', 'not compared: tencentos_repos_restore_backup asks the role to restore files')
    path = result.get('path')
    args = module_args(result)
    findings = file_findings(result, path) + [
        finding('foreign_repo_file', name, 'moved aside (tencentos_repos_exclusive)', 'present',
                '%s defines repositories besides the role\'s file, which exclusive mode moves aside' % name)
        for name in result.get('moved') or []]
    findings += [
        finding('gpg_key', key.get('rpm_name'), 'in the RPM database', 'missing',
                'the GPG key %s (%s) is not imported' % (key.get('rpm_name'), key.get('source')))
        for key in result.get('gpg_keys') or [] if key.get('imported')]
    findings += [
        finding('defined_elsewhere', repo_id, path, ', '.join(files),
                'repository %s is also defined in %s: yum and dnf use only one of the definitions'
                % (repo_id, ', '.join(files)))
        for repo_id, files in sorted((result.get('defined_elsewhere') or {}).items())]
    enabled = [repo for repo in (facts_repos or {}).get('enabled') or [] if isinstance(repo, Mapping)]
    enabled_ids = set(repo.get('id') for repo in enabled)
    for repo in args.get('repos') or []:
        if str(repo.get('enabled', True)).lower() not in ('false', '0', 'no') and repo.get('id') not in enabled_ids:
            findings.append(finding('repo_not_enabled', repo.get('id'), 'enabled', 'missing or disabled',
                                    'repository %s of the release is missing or disabled' % repo.get('id')))
    unsigned_ok = bool(args.get('allow_unsigned'))
    for repo in enabled:
        if not repo.get('gpgcheck') and not (unsigned_ok and repo.get('file') == path):
            findings.append(finding('gpg_off', repo.get('id'), 'gpgcheck=1', 'gpgcheck=0',
                                    'GPG does not check the packages of repository %s (%s)'
                                    % (repo.get('id'), repo.get('file'))))
    summary = '%d repositories enabled, %s' % (
        len(enabled), 'GPG checks every one' if all(repo.get('gpgcheck') for repo in enabled) else 'GPG OFF for some')
    if findings:
        summary = '%d differences; %s' % (len(findings), summary)
    return concern('ok', summary, findings)


def file_findings(result, path):
    """The repos role's file: missing, or the lines that differ from what the role would write."""
    for entry in result.get('diff') or []:
        if entry.get('before_header') != path:
            continue
        before, after = entry.get('before') or '', entry.get('after') or ''
        if before == after:
            return []
        if not before:
            return [finding('repo_file', path, 'written by the repos role', 'missing',
                            'the repos role\'s file %s is missing' % path)]
        lines = list(difflib.unified_diff(before.splitlines(), after.splitlines(), 'on the host', 'desired',
                                          lineterm='', n=1))
        added = len([line for line in lines[2:] if line.startswith('+')])
        removed = len([line for line in lines[2:] if line.startswith('-')])
        shown = lines[:MAX_DIFF_LINES] + (['... %d more lines' % (len(lines) - MAX_DIFF_LINES)]
                                          if len(lines) > MAX_DIFF_LINES else [])
        return [finding('repo_file', path, None, '\n'.join(shown),
                        '%s differs from what the repos role would write (%d lines to add, %d to remove)'
                        % (path, added, removed))]
    if result.get('changed') and not result.get('gpg_keys') and not result.get('moved'):
        # Without diff mode the result says only that the file would change.
        return [finding('repo_file', path, None, None, '%s differs from what the repos role would write' % path)]
    return []


# --- kernel -----------------------------------------------------------------------------------------------

def kernel_concern(result):
    """The running kernel against the target; the boot entries, failed boots and free space."""
    if not registered(result):
        return concern('not_checked', NOT_CHECKED)
    if result.get('skipped'):
        return concern('not_applicable', 'the kernel role has no kernel line for this release')
    if 'running' not in result:
        return failure(result) or concern('error', 'could not be checked: no result')
    findings = []
    message = result.get('msg') or ''
    if result.get('failed'):
        # kernel_target refuses a target that did not boot before or that /boot has no room for: findings.
        if 'did not come up' in message:
            findings.append(finding('failed_boot_target', None, 'a kernel that boots', None, message))
        elif 'not enough room' in message:
            findings.append(finding('free_space', None, None, None, message))
        else:
            return failure(result)
    running, target, boot = result.get('running'), result.get('target') or {}, result.get('boot') or {}
    if target and not target.get('running'):
        line_note = '' if target.get('line') == result.get('running_line') else ' (line %s, runs line %s)' % (
            target.get('line'), result.get('running_line'))
        findings.append(finding('running_kernel', None, target.get('uname_r'), running,
                                'runs %s, the target is %s%s' % (running, target.get('uname_r'), line_note)))
    if boot.get('next_kernel'):
        findings.append(finding('one_time_boot', None, None, boot['next_kernel'],
                                'the next boot starts %s once' % boot['next_kernel']))
    default = boot.get('default_kernel')
    if default and default != running:
        findings.append(finding('default_entry', None, running, default,
                                'the default boot entry starts %s, not the running kernel %s' % (default, running)))
    for kernel, when in sorted((result.get('failed_boots') or {}).items()):
        findings.append(finding('failed_boot', kernel, None, when, 'kernel %s did not come up (%s)' % (kernel, when)))
    needed = module_args(result).get('min_free_mb') or {}
    for path, free in sorted((result.get('free_mb') or {}).items()):
        if path in needed and free is not None and int(free) < int(needed[path]):
            findings.append(finding('free_space', path, '%s MiB' % needed[path], '%s MiB' % free,
                                    '%s has %s MiB free, %s needed for a kernel' % (path, free, needed[path])))
    summary = 'runs %s (%s)' % (running, result.get('running_line'))
    if target.get('uname_r') and not target.get('running'):
        summary += ', target %s' % target['uname_r']
    elif target:
        summary += ', the target'
    return concern('ok', summary, findings)


# --- sysctl -----------------------------------------------------------------------------------------------

def same_value(first, second):
    return ' '.join(str(first).split()) == ' '.join(str(second).split())


def not_held_live(state):
    """A key whose live value differs from the desired one and that the namespace cannot hold."""
    if state.get('live') != 'not_applied' or state.get('before') is None:
        return False
    return not same_value(state.get('before'), state.get('file'))


def sysctl_concern(result):
    """Per key: desired, persisted and live; keys another file overrides at boot; keys a namespace cannot hold."""
    problem = unusable(result)
    if problem:
        return problem
    findings = []
    per_key = result.get('per_key') or {}
    for key in sorted(per_key):
        state = per_key[key] or {}
        desired, live = state.get('file'), state.get('before')
        if state.get('live') == 'applied':
            findings.append(finding('live_value', key, desired, live, '%s is %s live, desired %s' % (key, live, desired)))
        if state.get('live') != 'missing' and not same_value(state.get('file_before'), desired):
            persisted = state.get('file_before') or 'not set'
            findings.append(finding('persisted_value', key, desired, state.get('file_before'),
                                    '%s is %s in %s, desired %s' % (key, persisted, result.get('file'), desired)))
    for key, where in sorted((result.get('overridden_at_boot') or {}).items()):
        findings.append(finding('overridden_at_boot', key, (per_key.get(key) or {}).get('file'), '; '.join(where),
                                '%s is set again at boot by %s' % (key, '; '.join(where))))
    bridge = result.get('bridge_netfilter') or {}
    if bridge.get('loaded'):
        findings.append(finding('br_netfilter', 'br_netfilter', 'loaded', 'not loaded',
                                'br_netfilter is not loaded: the bridge keys of a TKE node are missing'))
    if bridge.get('file_changed'):
        findings.append(finding('modules_load_file', bridge.get('file'), 'lists br_netfilter', 'differs',
                                '%s does not load br_netfilter at boot' % bridge.get('file')))
    if result.get('file_changed') and not [item for item in findings if item['check'] == 'persisted_value']:
        findings.append(finding('sysctl_file', result.get('file'), None, None,
                                '%s differs from what the sysctl role would write' % result.get('file')))
    # Keys whose live value differs but that this namespace cannot hold (a container's global keys): the role
    # writes them for the next boot and cannot do more, so they are said, not counted as drift.
    not_held = sorted(key for key, state in per_key.items() if not_held_live(state or {}))
    missing = result.get('missing') or []
    summary = '%d keys' % len(per_key)
    if not_held:
        summary += '; %d differ live that this namespace cannot hold: %s' % (len(not_held), ', '.join(not_held))
    if missing:
        summary += '; %d the kernel does not have: %s' % (len(missing), ', '.join(missing))
    if result.get('confinement'):
        summary += '; in %s' % result['confinement']
    return concern('ok', summary, findings)


# --- hot patches ------------------------------------------------------------------------------------------

def hotpatch_concern(result):
    """Desired against loaded and persisted; a transition in progress; entries for another kernel."""
    problem = unusable(result)
    if problem:
        return problem
    findings = []
    entries = result.get('results') or []
    for entry in entries:
        if entry.get('outcome') != 'patched':
            continue
        meanings = [STEP_MEANING.get(step, step) for step in entry.get('steps') or []]
        findings.append(finding('patch_state', entry.get('name'), entry.get('state'), '; '.join(meanings),
                                'hot patch %s should be %s: %s' % (entry.get('name'), entry.get('state'),
                                                                   '; '.join(meanings))))
    loaded = [patch for patch in result.get('patches') or [] if isinstance(patch, Mapping)]
    for patch in loaded:
        if patch.get('transition'):
            findings.append(finding('transition', patch.get('name'), 'complete', 'in progress',
                                    'hot patch %s is in transition' % patch.get('name')))
    other_kernel = [entry.get('name') for entry in entries if entry.get('outcome') == 'skipped']
    listed = set(entry.get('name') for entry in entries)
    unlisted = sorted(patch.get('name') for patch in loaded if patch.get('name') not in listed)
    if not entries and not loaded:
        return concern('not_applicable', 'no hot patch listed, none loaded')
    loaded_names = ', '.join(patch.get('name') for patch in loaded) or 'none'
    summary = '%d listed for %s, loaded: %s' % (len(entries) - len(other_kernel), result.get('kernel'), loaded_names)
    if other_kernel:
        summary += '; for another kernel: %s' % ', '.join(other_kernel)
    if unlisted:
        summary += '; loaded but not listed: %s' % ', '.join(unlisted)
    return concern('ok', summary, findings)


# --- stats isolation --------------------------------------------------------------------------------------

def expected_stats_isolation(sysctl_result):
    """'on' where the sysctl profile sets kernel.stats_isolated to 1, else None (the switch is not managed)."""
    per_key = (sysctl_result or {}).get('per_key') if isinstance(sysctl_result, Mapping) else None
    state = (per_key or {}).get('kernel.stats_isolated') or {}
    return 'on' if same_value(state.get('file'), 1) else None


def stats_isolation_concern(result, sysctl_result, feature):
    """The expected switch against the actual one, and how many containers are isolated."""
    expected = expected_stats_isolation(sysctl_result)
    if not registered(result) or result.get('skipped'):
        if feature == 'absent':
            return concern('not_applicable', 'the running kernel has no container stats isolation')
        return concern('not_checked', NOT_CHECKED)
    failed = failure(result)
    if failed:
        return failed
    containers = [item for item in result.get('containers') or [] if isinstance(item, Mapping)]
    isolated = len([item for item in containers if item.get('effective') == 'on'])
    summary = 'switch %s, %d of %d containers isolated' % (result.get('host_switch'), isolated, len(containers))
    if not expected:
        return concern('ok', summary + ' (not managed: the sysctl profile does not set it)')
    # The switch is what the profile sets; how isolated each container is also depends on its own flags, which
    # the collection does not manage: they are counted, not drift.
    findings = [finding('host_switch', 'kernel.stats_isolated', expected, result.get('host_switch'), problem)
                for problem in compliance_problems(dict(result, containers=[]), expected)]
    return concern('ok', summary, findings)
