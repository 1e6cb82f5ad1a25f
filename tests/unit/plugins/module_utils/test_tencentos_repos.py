# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The repos facts: where the enabled repositories come from and whether GPG checks them."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.tencentos.fleet.plugins.module_utils import tencentos

MANAGED = (
    '# Ansible managed\n\n[tencentos-baseos]\nname=BaseOS\n'
    'baseurl=http://mirrors.tencentyun.com/tlinux/3.1/BaseOS/$basearch/os/\nenabled=1\ngpgcheck=1\n\n'
    '[tencentos-powertools]\nbaseurl=http://mirrors.tencentyun.com/tlinux/3.1/PowerTools/$basearch/os/\nenabled=0\n')


def test_managed_file_hosts_and_gpg(tmpdir):
    tmpdir.join('etc', 'yum.repos.d', 'tencentos-fleet.repo').write(MANAGED, ensure=True)
    repos = tencentos.gather_repos(str(tmpdir))
    assert repos['managed_file'] == '/etc/yum.repos.d/tencentos-fleet.repo'
    assert repos['hosts'] == ['mirrors.tencentyun.com']
    assert [repo['id'] for repo in repos['enabled']] == ['tencentos-baseos']
    assert repos['gpgcheck'] is True


def test_one_unsigned_repository_turns_gpg_off(tmpdir):
    tmpdir.join('etc', 'yum.repos.d', 'tencentos-fleet.repo').write(MANAGED, ensure=True)
    tmpdir.join('etc', 'yum.repos.d', 'third.repo').write(
        '[third]\nmirrorlist=https://third.example/mirrors?arch=$basearch\ngpgcheck=0\n')
    repos = tencentos.gather_repos(str(tmpdir))
    assert repos['hosts'] == ['mirrors.tencentyun.com', 'third.example']
    assert repos['gpgcheck'] is False


def test_repository_without_gpgcheck_inherits_the_main_setting(tmpdir):
    tmpdir.join('etc', 'yum.repos.d', 'base.repo').write('[base]\nbaseurl=http://m/\n', ensure=True)
    assert tencentos.gather_repos(str(tmpdir))['gpgcheck'] is False
    tmpdir.join('etc', 'dnf', 'dnf.conf').write('[main]\ngpgcheck=1\n', ensure=True)
    repos = tencentos.gather_repos(str(tmpdir))
    assert repos['gpgcheck'] is True and repos['managed_file'] is None


def test_no_repositories(tmpdir):
    assert tencentos.gather_repos(str(tmpdir)) == {'managed_file': None, 'enabled': [], 'hosts': [], 'gpgcheck': False}
