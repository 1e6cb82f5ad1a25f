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
