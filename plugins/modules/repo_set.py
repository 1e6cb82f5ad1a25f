#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: repo_set
short_description: Write a set of YUM/DNF repositories as one file, only after they answered
version_added: 1.0.0
description:
  - Renders the given repositories into one C(.repo) file that the module owns, in a stable order.
  - Before it changes the file it probes every enabled repository from the host, twice, in a
    staging directory that the host's package manager is pointed at alone - C(repomd.xml) must be
    reachable and the host's own C(dnf) or C(yum) must download the metadata. If one does not
    answer, the module fails with its URL and the error, and C(/etc/yum.repos.d) is left as it was.
    A run that would leave the file as it is probes nothing - there is nothing to switch to.
  - Then it imports the keys of O(gpg_keys) that the RPM database lacks, and only then writes the file - one
    run for the whole switch. A key that cannot be read or parsed fails the run before anything changes.
  - With O(exclusive), other C(.repo) files of the directory are moved into a timestamped backup
    directory (never deleted); O(restore_from) moves them back. An exclusive run never drops a
    repository of the release (O(release_repos)) that O(repos) does not define, unless it is named
    in O(remove); it fails before any change instead.
  - Without O(exclusive), a repository id that another C(.repo) file of the directory defines too
    is reported (RV(defined_elsewhere)) with a warning, as yum and dnf use only one definition of it.
  - Used by the C(tencentos.fleet.repos) role.
author:
  - tencentos.fleet contributors (@tencentos-fleet)
options:
  path:
    description: The repository file the module owns.
    type: path
    default: /etc/yum.repos.d/tencentos-fleet.repo
  repos:
    description:
      - The repositories. Each needs C(id) and C(baseurl) (or C(mirrorlist)); every other key is
        written as given (C(name), C(enabled), C(gpgcheck), C(gpgkey), C(includepkgs), C(exclude),
        C(metadata_expire), C(sslverify), C(proxy), ...). Booleans become C(1)/C(0), lists are joined with spaces.
      - C(gpgcheck=0) is refused unless O(allow_unsigned) is set.
    type: list
    elements: dict
    default: []
  header:
    description: Comment written at the top of the file (the C(ansible_managed) line).
    type: str
    default: Managed by tencentos.fleet
  probe:
    description: Probe the enabled repositories before changing the file.
    type: bool
    default: true
  gpg_keys:
    description:
      - GPG public keys to import into the RPM database before the file is written, each a path on the host, a
        C(file://) URL or an http(s) URL (read from the host). A key whose C(gpg-pubkey-<id>-<created>) is in the
        database already is left alone; a file of several keys is imported when one of them is missing.
      - Only OpenPGP version 4 keys (what C(rpm) itself imports).
    type: list
    elements: str
    default: []
  probe_timeout:
    description: Seconds to wait for each repository's C(repomd.xml).
    type: int
    default: 15
  package_manager:
    description: The package manager to probe with; by default C(dnf) if the host has it, else C(yum).
    type: str
    choices: [dnf, yum]
  variables:
    description:
      - Values for C($basearch), C($releasever) and other variables in base URLs, used for the
        C(repomd.xml) probe (the package manager resolves them itself).
    type: dict
    default: {}
  allow_unsigned:
    description: Accept repositories with C(gpgcheck=0). A warning is printed on every run.
    type: bool
    default: false
  exclusive:
    description:
      - Move every other C(.repo) file of the directory into O(backup_dir).
      - Refused, before anything changes, while an id of O(release_repos) is neither in O(repos) nor in O(remove).
    type: bool
    default: false
  release_repos:
    description:
      - Ids of the repositories the release itself ships (the image's own repository file lists them).
        With O(exclusive), each of them must be defined in O(repos) or named in O(remove), because
        moving the other files aside drops every repository that O(repos) does not define.
    type: list
    elements: str
    default: []
  remove:
    description:
      - Ids of O(release_repos) that the user removes by name, so that O(exclusive) may drop them.
    type: list
    elements: str
    default: []
  backup_dir:
    description:
      - Where O(exclusive) moves foreign files. A new timestamped directory
        C(<dir of path>.tencentos-fleet-backup-YYYYmmddTHHMMSS) by default.
    type: path
  restore_from:
    description:
      - A backup directory made by O(exclusive); its files are moved back (files of the same
        name in the repository directory are not overwritten) and the module's own file is removed.
      - Nothing else is done in that run.
    type: path
attributes:
  check_mode:
    description: Probes (read-only, in a temporary directory), reads the keys and predicts; writes, imports and moves nothing.
    support: full
  diff_mode:
    description: Shows the repository file before and after, and the files that would be moved.
    support: full
notes:
  - Runs on target Python 2.7 and 3.6 to 3.13.
'''

EXAMPLES = r'''
- name: TencentOS 3 repositories from the in-VPC mirror, probed first
  tencentos.fleet.repo_set:
    repos:
      - id: tencentos-baseos
        name: TencentOS Server 3.1 - BaseOS
        baseurl: http://mirrors.tencentyun.com/tlinux/3.1/BaseOS/$basearch/os/
        gpgcheck: true
        gpgkey: file:///etc/pki/rpm-gpg/RPM-GPG-KEY-TencentOS-3
    variables:
      basearch: x86_64

- name: Put back what exclusive mode moved away
  tencentos.fleet.repo_set:
    restore_from: /etc/yum.repos.d.tencentos-fleet-backup-20261127T180000
'''

RETURN = r'''
path:
  description: The repository file.
  returned: always
  type: str
  sample: /etc/yum.repos.d/tencentos-fleet.repo
probes:
  description: What each enabled repository answered.
  returned: when probed
  type: list
  elements: dict
  sample: [{id: tencentos-baseos, url: http://mirrors.tencentyun.com/tlinux/3.1/BaseOS/x86_64/os/repodata/repomd.xml, ok: true}]
moved:
  description: Files moved into the backup directory (or back from it with O(restore_from)).
  returned: always
  type: list
  elements: str
  sample: [/etc/yum.repos.d/CentOS-Base.repo]
backup_dir:
  description: The backup directory used, null when nothing was moved.
  returned: always
  type: str
  sample: /etc/yum.repos.d.tencentos-fleet-backup-20261127T180000
gpg_keys:
  description: Each key of O(gpg_keys) with its C(source), its C(rpm_name), and whether this run C(imported) it
    (would import it, in check mode).
  returned: unless O(restore_from) is given
  type: list
  elements: dict
  sample: [{source: 'file:///etc/pki/rpm-gpg/RPM-GPG-KEY-TencentOS-3', rpm_name: gpg-pubkey-630eb7b1-6b16c9ab,
            imported: false}]
check_mode:
  description:
    - Whether the module ran in check mode (also when the task's or a block's C(check_mode) asked for it, which
      C(ansible_check_mode) does not show). The repos role's handler refreshes no cache after a check.
  returned: always
  type: bool
defined_elsewhere:
  description:
    - Repository ids of O(repos) that other C(.repo) files of the directory define too, with those files.
      Empty with O(exclusive), which moves those files aside.
  returned: unless O(restore_from) is given
  type: dict
  sample: {tlinux: [/etc/yum.repos.d/tlinux.repo]}
'''

import glob
import os
import shutil
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native
from ansible.module_utils.urls import open_url

from ansible_collections.tencentos.fleet.plugins.module_utils import repositories, rpm_keys
from ansible_collections.tencentos.fleet.plugins.module_utils.files import read_text, write_atomically


def probe_repomd(repos, variables, timeout):
    """Fetch every enabled repository's repomd.xml; return [{id, url, ok, error}]."""
    results = []
    for repo in repos:
        if not repositories.enabled(repo) or not repo.get('baseurl'):
            continue
        url = repositories.repomd_url(repo['baseurl'], variables)
        entry = {'id': repo['id'], 'url': url, 'ok': True}
        try:
            open_url(url, timeout=timeout, validate_certs=repo.get('sslverify', True) not in (False, 0, '0'),
                     use_proxy=True).read(64)
        except Exception as error:  # pylint: disable=broad-except  # any failure is a probe result
            entry.update(ok=False, error=to_native(error))
        results.append(entry)
    return results


def probe_metadata(module, manager, content, repo_ids):
    """Have the host's own package manager download the metadata of the staged repositories alone."""
    staging = tempfile.mkdtemp(prefix='tencentos-fleet-repos-')
    try:
        with open(os.path.join(staging, 'staged.repo'), 'w') as handle:
            handle.write(content)
        command = [module.get_bin_path(manager, required=True), '-q', '-y',
                   '--setopt=reposdir=%s' % staging,
                   '--setopt=cachedir=%s' % os.path.join(staging, 'cache'),
                   '--disablerepo=*'] + ['--enablerepo=%s' % repo_id for repo_id in repo_ids] + ['makecache']
        rc, out, err = module.run_command(command)
        return rc, (err or out).strip()
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def read_key_files(module, sources, timeout):
    """A KeyFile of each source, with the keys the RPM database lacks; any problem fails the run, changing nothing."""
    def fetch(url):
        return open_url(url, timeout=timeout, use_proxy=True).read()

    key_files, problems = [], []
    for source in sources:
        problem = rpm_keys.source_problem(source)
        if problem:
            problems.append('gpg_keys: %s' % problem)
            continue
        try:
            key_files.append(rpm_keys.KeyFile(source, rpm_keys.read_key(source, fetch)))
        except Exception as error:  # pylint: disable=broad-except  # unreadable, unreachable or not a key
            problems.append('gpg_keys: %s: %s' % (source, to_native(error)))
    if problems:
        module.fail_json(msg='%s; nothing was changed' % '; '.join(problems))
    if key_files:
        imported = rpm_keys.imported_names(module)
        for key_file in key_files:
            key_file.missing = [name for name in key_file.names if name not in imported]
    return key_files


def import_missing_keys(module, key_files):
    for key_file in key_files:
        if not key_file.missing:
            continue
        rc, message = rpm_keys.import_key_file(module, key_file)
        still = set(key_file.missing) - rpm_keys.imported_names(module)
        if rc != 0 or still:
            module.fail_json(msg='rpm --import of %s failed (rc %d%s): %s; the repository file was not changed' % (
                key_file.source, rc, ', still missing %s' % ', '.join(sorted(still)) if still else '', message))


def foreign_files(directory, own_path):
    return sorted(path for path in glob.glob(os.path.join(directory, '*.repo'))
                  if os.path.abspath(path) != os.path.abspath(own_path))


def restore(module, own_path, backup_dir):
    """Move the files of a backup directory back and remove our own file."""
    if not os.path.isdir(backup_dir):
        module.fail_json(msg='restore_from: %s is not a directory' % backup_dir)
    directory = os.path.dirname(own_path)
    moves = []
    for path in sorted(glob.glob(os.path.join(backup_dir, '*.repo'))):
        target = os.path.join(directory, os.path.basename(path))
        if os.path.exists(target):
            module.fail_json(msg='restore_from: %s exists already; nothing was moved' % target)
        moves.append((path, target))
    changed = bool(moves) or os.path.exists(own_path)
    if not module.check_mode:
        for source, target in moves:
            shutil.move(source, target)
        if os.path.exists(own_path):
            os.remove(own_path)
    module.exit_json(changed=changed, path=own_path, moved=[target for _source, target in moves],
                     backup_dir=backup_dir, check_mode=module.check_mode)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', default='/etc/yum.repos.d/tencentos-fleet.repo'),
            repos=dict(type='list', elements='dict', default=[]),
            header=dict(type='str', default='Managed by tencentos.fleet'),
            probe=dict(type='bool', default=True),
            gpg_keys=dict(type='list', elements='str', default=[], no_log=False),
            probe_timeout=dict(type='int', default=15),
            package_manager=dict(type='str', choices=['dnf', 'yum']),
            variables=dict(type='dict', default={}),
            allow_unsigned=dict(type='bool', default=False),
            exclusive=dict(type='bool', default=False),
            release_repos=dict(type='list', elements='str', default=[]),
            remove=dict(type='list', elements='str', default=[]),
            backup_dir=dict(type='path'),
            restore_from=dict(type='path'),
        ),
        supports_check_mode=True,
    )
    params = module.params
    path = params['path']
    if params['restore_from']:
        restore(module, path, params['restore_from'])

    repos = params['repos']
    wrong = repositories.problems(repos, params['allow_unsigned'])
    if not repos:
        wrong.append('repos is empty: give at least one repository')
    if wrong:
        module.fail_json(msg='repos: %s; nothing was changed' % '; '.join(wrong))
    if params['exclusive']:
        dropped = repositories.dropped_by_exclusive(params['release_repos'], [repo['id'] for repo in repos],
                                                    params['remove'])
        if dropped:
            module.fail_json(msg='exclusive: the release\'s own repositories %s would be dropped, as the other '
                                 'repository files are moved aside and repos does not define them; configure them '
                                 'too, or name them in remove (tencentos_repos_remove in the repos role) to drop '
                                 'them; nothing was changed' % ', '.join(dropped), dropped=dropped)
    if any(repo.get('gpgcheck') in (False, 0, '0') for repo in repos):
        module.warn('GPG checking is OFF for some repositories (allow_unsigned): packages from them are not verified')

    content = repositories.render(repos, params['header'])
    result = dict(changed=False, path=path, moved=[], backup_dir=None, defined_elsewhere={}, gpg_keys=[],
                  check_mode=module.check_mode)
    before = read_text('/', path)
    to_move = foreign_files(os.path.dirname(path), path) if params['exclusive'] else []
    switching = before != content or bool(to_move)

    if params['probe'] and switching:
        result['probes'] = probe_repomd(repos, params['variables'], params['probe_timeout'])
        failed = [entry for entry in result['probes'] if not entry['ok']]
        if failed:
            module.fail_json(msg='repository not reachable, nothing was changed: %s' % '; '.join(
                '%s: %s (%s)' % (entry['id'], entry['url'], entry['error']) for entry in failed), **result)
        manager = params['package_manager'] or ('dnf' if module.get_bin_path('dnf') else 'yum')
        enabled_ids = [repo['id'] for repo in repos if repositories.enabled(repo)]
        if enabled_ids:
            rc, message = probe_metadata(module, manager, content, enabled_ids)
            if rc != 0:
                module.fail_json(msg='%s could not download the metadata of %s, nothing was changed: %s'
                                 % (manager, ', '.join(enabled_ids), message), **result)

    key_files = read_key_files(module, params['gpg_keys'], params['probe_timeout'])
    importing = [name for key_file in key_files for name in key_file.missing]
    result['gpg_keys'] = [entry for key_file in key_files for entry in key_file.report()]

    if not params['exclusive']:
        foreign = dict((name, read_text('/', name)) for name in foreign_files(os.path.dirname(path), path))
        result['defined_elsewhere'] = repositories.defined_elsewhere([repo['id'] for repo in repos], foreign)
        if result['defined_elsewhere']:
            module.warn('repository ids defined in other files too, so yum/dnf use only one definition of each: %s; '
                        'exclusive mode moves those files aside' % '; '.join(
                            '%s (%s)' % (repo_id, ', '.join(files))
                            for repo_id, files in sorted(result['defined_elsewhere'].items())))
    result['changed'] = switching or bool(importing)
    if module._diff:
        result['diff'] = [{'before_header': path, 'after_header': path,
                           'before': before or '', 'after': content}]
        if to_move:
            result['diff'].append({'before': ''.join('%s\n' % name for name in to_move), 'after': '',
                                   'before_header': 'moved to the backup directory', 'after_header': ''})
        if importing:
            result['diff'].append({'before': '', 'after': ''.join('%s\n' % name for name in importing),
                                   'before_header': 'keys in the RPM database', 'after_header': 'keys imported'})
    if not result['changed'] or module.check_mode:
        result['moved'] = to_move
        module.exit_json(**result)

    import_missing_keys(module, key_files)
    if to_move:
        backup_dir = params['backup_dir'] or '%s.tencentos-fleet-backup-%s' % (
            os.path.dirname(path), time.strftime('%Y%m%dT%H%M%S'))
        if not os.path.isdir(backup_dir):
            os.makedirs(backup_dir, 0o700)
        for name in to_move:
            shutil.move(name, os.path.join(backup_dir, os.path.basename(name)))
        result.update(moved=to_move, backup_dir=backup_dir)
    if before != content:
        write_atomically(path, content, 0o644, module)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
