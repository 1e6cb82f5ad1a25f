# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The repo_set module on a repository directory in a temporary folder (probing off or failing)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest

from ansible_collections.tencentos.fleet.plugins.modules import repo_set

REPO = {'id': 'tencentos-baseos', 'baseurl': 'http://127.0.0.1:1/tlinux/3.1/BaseOS/$basearch/os/', 'gpgcheck': True}


@pytest.fixture
def repo_dir(tmpdir):
    directory = tmpdir.mkdir('yum.repos.d')
    directory.join('CentOS-Base.repo').write('[base]\nbaseurl=http://example/\n')
    return directory


def args(repo_dir, **extra):
    values = {'path': str(repo_dir.join('tencentos-fleet.repo')), 'repos': [REPO], 'probe': False,
              'header': 'managed'}
    values.update(extra)
    return values


def test_writes_the_file_then_changes_nothing(repo_dir, run_module):
    failed, result = run_module(repo_set, args(repo_dir))
    assert not failed and result['changed']
    assert repo_dir.join('tencentos-fleet.repo').read() == (
        '# managed\n\n[tencentos-baseos]\nbaseurl=http://127.0.0.1:1/tlinux/3.1/BaseOS/$basearch/os/\ngpgcheck=1\n')
    failed, result = run_module(repo_set, args(repo_dir))
    assert not failed and not result['changed']


def test_check_mode_with_diff_writes_nothing(repo_dir, run_module):
    failed, result = run_module(repo_set, args(repo_dir, _ansible_check_mode=True, _ansible_diff=True))
    assert not failed and result['changed']
    assert '[tencentos-baseos]' in result['diff'][0]['after']
    assert not repo_dir.join('tencentos-fleet.repo').exists()


def test_unreachable_repository_fails_with_its_url_and_writes_nothing(repo_dir, run_module):
    before = sorted(os.listdir(str(repo_dir)))
    failed, result = run_module(repo_set, args(repo_dir, probe=True, probe_timeout=2,
                                               variables={'basearch': 'x86_64'}))
    assert failed
    assert 'repository not reachable, nothing was changed' in result['msg']
    assert 'http://127.0.0.1:1/tlinux/3.1/BaseOS/x86_64/os/repodata/repomd.xml' in result['msg']
    assert sorted(os.listdir(str(repo_dir))) == before


def test_unsigned_repositories_are_refused_before_anything(repo_dir, run_module):
    failed, result = run_module(repo_set, args(repo_dir, repos=[dict(REPO, gpgcheck=False)]))
    assert failed and 'gpgcheck=0 is refused' in result['msg']
    assert not repo_dir.join('tencentos-fleet.repo').exists()


def test_unsigned_repositories_when_allowed_are_written_with_a_warning(repo_dir, run_module, monkeypatch):
    warnings = []
    monkeypatch.setattr(repo_set.AnsibleModule, 'warn', lambda _module, text: warnings.append(text))
    failed, _result = run_module(repo_set, args(repo_dir, repos=[dict(REPO, gpgcheck=False)], allow_unsigned=True))
    assert not failed and 'gpgcheck=0' in repo_dir.join('tencentos-fleet.repo').read()
    assert any('GPG checking is OFF' in warning for warning in warnings)


def test_exclusive_moves_foreign_files_and_restore_brings_them_back(repo_dir, tmpdir, run_module):
    backup = str(tmpdir.join('backup'))
    failed, result = run_module(repo_set, args(repo_dir, exclusive=True, backup_dir=backup))
    assert not failed and result['moved'] == [str(repo_dir.join('CentOS-Base.repo'))]
    assert sorted(os.listdir(str(repo_dir))) == ['tencentos-fleet.repo']
    assert os.listdir(backup) == ['CentOS-Base.repo']
    failed, result = run_module(repo_set, args(repo_dir, restore_from=backup))
    assert not failed and result['changed']
    assert sorted(os.listdir(str(repo_dir))) == ['CentOS-Base.repo']


def test_restore_never_overwrites(repo_dir, tmpdir, run_module):
    backup = tmpdir.mkdir('backup')
    backup.join('CentOS-Base.repo').write('[other]\n')
    failed, result = run_module(repo_set, args(repo_dir, restore_from=str(backup)))
    assert failed and 'exists already; nothing was moved' in result['msg']
    assert repo_dir.join('CentOS-Base.repo').read() == '[base]\nbaseurl=http://example/\n'


# ---------------------------------------------------------------------------
# Exclusive mode and the release's own repositories (facts sheet section 8)
# ---------------------------------------------------------------------------

# The repositories a TencentOS 2.4 host's yum lists (facts sheet section 8), as the repos role gives them.
TENCENTOS_24 = ['tlinux', 'tlinux-os', 'tlinux-updates', 'tlinux-extras', 'tlinux-tkernel4']


def release_repos(ids):
    return [{'id': repo_id, 'baseurl': 'http://127.0.0.1:1/tlinux/2.4/%s/$basearch/' % repo_id, 'gpgcheck': True}
            for repo_id in ids]


@pytest.fixture
def image_dir(repo_dir):
    """A 2.4 host's repository directory: the image's own file with the five repositories, and a third party's."""
    repo_dir.join('tlinux.repo').write(''.join(
        '[%s]\nbaseurl=http://mirrors.tencentyun.com/tlinux/2.4/%s/$basearch/\n\n' % (repo_id, repo_id)
        for repo_id in TENCENTOS_24))
    return repo_dir


def test_exclusive_keeps_the_full_2_4_set_and_moves_the_image_file(image_dir, tmpdir, run_module):
    backup = str(tmpdir.join('backup'))
    failed, result = run_module(repo_set, args(image_dir, repos=release_repos(TENCENTOS_24), exclusive=True,
                                               release_repos=TENCENTOS_24, backup_dir=backup))
    assert not failed and result['changed']
    assert sorted(os.listdir(backup)) == ['CentOS-Base.repo', 'tlinux.repo']
    assert sorted(os.listdir(str(image_dir))) == ['tencentos-fleet.repo']
    written = image_dir.join('tencentos-fleet.repo').read()
    assert [line for line in written.splitlines() if line.startswith('[')] == ['[%s]' % i for i in TENCENTOS_24]


def test_exclusive_refuses_to_drop_a_release_repository_not_removed_by_name(image_dir, run_module, snapshot):
    before = snapshot(str(image_dir))
    failed, result = run_module(repo_set, args(image_dir, repos=release_repos(['tlinux']), exclusive=True,
                                               release_repos=TENCENTOS_24, remove=['tlinux-extras']))
    assert failed
    assert result['msg'] == (
        "exclusive: the release's own repositories tlinux-os, tlinux-updates, tlinux-tkernel4 would be dropped, "
        'as the other repository files are moved aside and repos does not define them; configure them too, or '
        'name them in remove (tencentos_repos_remove in the repos role) to drop them; nothing was changed')
    assert result['dropped'] == ['tlinux-os', 'tlinux-updates', 'tlinux-tkernel4']
    assert snapshot(str(image_dir)) == before


def test_exclusive_drops_the_release_repositories_removed_by_name(image_dir, tmpdir, run_module):
    kept = ['tlinux', 'tlinux-os', 'tlinux-updates', 'tlinux-tkernel4']
    failed, result = run_module(repo_set, args(image_dir, repos=release_repos(kept), exclusive=True,
                                               release_repos=TENCENTOS_24, remove=['tlinux-extras'],
                                               backup_dir=str(tmpdir.join('backup'))))
    assert not failed and result['changed']
    assert '[tlinux-extras]' not in image_dir.join('tencentos-fleet.repo').read()


def test_without_exclusive_release_repositories_may_be_left_to_the_image_file(image_dir, run_module):
    failed, result = run_module(repo_set, args(image_dir, repos=release_repos(['tlinux']),
                                               release_repos=TENCENTOS_24))
    assert not failed and result['changed'] and result['moved'] == []


def test_ids_the_image_file_defines_too_are_reported_with_a_warning(image_dir, run_module, monkeypatch):
    warnings = []
    monkeypatch.setattr(repo_set.AnsibleModule, 'warn', lambda _module, text: warnings.append(text))
    failed, result = run_module(repo_set, args(image_dir, repos=release_repos(['tlinux', 'tlinux-tkernel4'])))
    image_file = str(image_dir.join('tlinux.repo'))
    assert not failed
    assert result['defined_elsewhere'] == {'tlinux': [image_file], 'tlinux-tkernel4': [image_file]}
    assert warnings == ['repository ids defined in other files too, so yum/dnf use only one definition of each: '
                        'tlinux (%s); tlinux-tkernel4 (%s); exclusive mode moves those files aside'
                        % (image_file, image_file)]


def test_a_run_that_leaves_the_file_as_it_is_probes_nothing(repo_dir, run_module):
    """Nothing to switch to: the unreachable base URL is not probed again once the file is written."""
    failed, result = run_module(repo_set, args(repo_dir))
    assert not failed and result['changed']
    failed, result = run_module(repo_set, args(repo_dir, probe=True, probe_timeout=2))
    assert not failed and not result['changed'] and 'probes' not in result


KEYS = os.path.join(os.path.dirname(__file__), '..', 'module_utils', 'fixtures', 'gpg')
RSA_KEY = 'gpg-pubkey-630eb7b1-6b16c9ab'
ED_KEY = 'gpg-pubkey-fa45eae2-6b16c9ae'


@pytest.fixture
def rpm_db(monkeypatch):
    """The RPM database's imported keys, and the rpm commands run: `rpm -q ... gpg-pubkey` and `rpm --import`."""
    from ansible.module_utils import basic
    from ansible_collections.tencentos.fleet.plugins.module_utils.gpg_keys import primary_keys

    db = {'keys': set(), 'imports': [], 'import_rc': 0}

    def run_command(_module, command, **_kwargs):
        if command[1] == '--import':
            db['imports'].append(command[2])
            if db['import_rc'] == 0:
                with open(command[2], 'rb') as handle:
                    db['keys'].update(key['rpm_name'] for key in primary_keys(handle.read()))
            return db['import_rc'], '', 'error: %s: import read failed(2).' % command[2] if db['import_rc'] else ''
        assert command[1:] == ['-q', '--qf', '%{NAME}-%{VERSION}-%{RELEASE}\\n', 'gpg-pubkey']
        if not db['keys']:
            return 1, 'package gpg-pubkey is not installed\n', ''
        return 0, ''.join('%s\n' % name for name in sorted(db['keys'])), ''

    monkeypatch.setattr(basic.AnsibleModule, 'run_command', run_command)
    monkeypatch.setattr(basic.AnsibleModule, 'get_bin_path', lambda _module, name, **_kwargs: '/usr/bin/' + name)
    return db


def test_a_missing_key_is_imported_before_the_file_is_written_and_then_left_alone(repo_dir, run_module, rpm_db):
    key = os.path.abspath(os.path.join(KEYS, 'two-keys.asc'))
    rpm_db['keys'].add(RSA_KEY)
    failed, result = run_module(repo_set, args(repo_dir, gpg_keys=['file://' + key], _ansible_diff=True))
    assert not failed and result['changed']
    assert result['gpg_keys'] == [{'source': 'file://' + key, 'rpm_name': RSA_KEY, 'imported': False},
                                  {'source': 'file://' + key, 'rpm_name': ED_KEY, 'imported': True}]
    assert len(rpm_db['imports']) == 1 and rpm_db['keys'] == set([RSA_KEY, ED_KEY])
    assert result['diff'][-1]['after'] == ED_KEY + '\n'
    failed, result = run_module(repo_set, args(repo_dir, gpg_keys=[key]))
    assert not failed and not result['changed'] and len(rpm_db['imports']) == 1
    assert [entry['imported'] for entry in result['gpg_keys']] == [False, False]


def test_an_imported_key_alone_is_a_change(repo_dir, run_module, rpm_db):
    failed, _result = run_module(repo_set, args(repo_dir))
    assert not failed
    failed, result = run_module(repo_set, args(repo_dir, gpg_keys=[os.path.abspath(os.path.join(KEYS, 'rsa2048.asc'))]))
    assert not failed and result['changed'] and rpm_db['keys'] == set([RSA_KEY])


def test_check_mode_names_the_key_it_would_import_and_imports_nothing(repo_dir, run_module, rpm_db):
    failed, result = run_module(repo_set, args(repo_dir, gpg_keys=[os.path.abspath(os.path.join(KEYS, 'rsa2048.asc'))],
                                               _ansible_check_mode=True))
    assert not failed and result['changed']
    assert result['gpg_keys'][0]['imported'] is True
    assert rpm_db['imports'] == [] and not repo_dir.join('tencentos-fleet.repo').exists()


@pytest.mark.parametrize('source, message', [
    ('keys/RPM-GPG-KEY', "gpg_keys: 'keys/RPM-GPG-KEY' is neither an absolute path, a file:// URL nor an http(s) URL"),
    ('/nonexistent/RPM-GPG-KEY', 'gpg_keys: /nonexistent/RPM-GPG-KEY: '),
    ('http://127.0.0.1:1/RPM-GPG-KEY', 'gpg_keys: http://127.0.0.1:1/RPM-GPG-KEY: '),
    (os.path.abspath(__file__), 'gpg_keys: %s: ' % os.path.abspath(__file__)),
])
def test_a_key_that_cannot_be_read_fails_the_run_before_anything_changes(repo_dir, run_module, rpm_db, source, message):
    failed, result = run_module(repo_set, args(repo_dir, gpg_keys=[source], probe_timeout=2))
    assert failed and result['msg'].startswith(message) and result['msg'].endswith('; nothing was changed')
    assert rpm_db['imports'] == [] and not repo_dir.join('tencentos-fleet.repo').exists()


def test_a_failed_import_leaves_the_repository_file_unwritten(repo_dir, run_module, rpm_db):
    rpm_db['import_rc'] = 1
    failed, result = run_module(repo_set, args(repo_dir, gpg_keys=[os.path.abspath(os.path.join(KEYS, 'rsa2048.asc'))]))
    assert failed and 'rpm --import of ' in result['msg'] and 'still missing %s' % RSA_KEY in result['msg']
    assert 'the repository file was not changed' in result['msg']
    assert not repo_dir.join('tencentos-fleet.repo').exists()
