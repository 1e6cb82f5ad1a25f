# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rendering and checking repository definitions."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.tencentos.fleet.plugins.module_utils import repo_files

BASEOS = {'id': 'tencentos-baseos', 'name': 'TencentOS Server 3.1 - BaseOS',
          'baseurl': 'http://mirrors.tencentyun.com/tlinux/3.1/BaseOS/$basearch/os/',
          'gpgcheck': True, 'enabled': True, 'gpgkey': 'file:///etc/pki/rpm-gpg/RPM-GPG-KEY-TencentOS-3',
          'metadata_expire': '6h', 'proxy': None}


def test_render_is_stable_and_readable():
    kernel = {'id': 'tencentos-kernel', 'baseurl': 'http://m/tlinux/2.4/tlinux/$basearch/', 'gpgcheck': True,
              'includepkgs': ['kernel', 'kernel-devel'], 'priority': 10, 'exclude': []}
    text = repo_files.render([BASEOS, kernel], 'Ansible managed')
    assert text == (
        '# Ansible managed\n'
        '\n'
        '[tencentos-baseos]\n'
        'name=TencentOS Server 3.1 - BaseOS\n'
        'baseurl=http://mirrors.tencentyun.com/tlinux/3.1/BaseOS/$basearch/os/\n'
        'enabled=1\n'
        'gpgcheck=1\n'
        'gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-TencentOS-3\n'
        'metadata_expire=6h\n'
        '\n'
        '[tencentos-kernel]\n'
        'baseurl=http://m/tlinux/2.4/tlinux/$basearch/\n'
        'gpgcheck=1\n'
        'includepkgs=kernel kernel-devel\n'
        'priority=10\n')
    assert repo_files.render([BASEOS, kernel], 'Ansible managed') == text


def test_gpgcheck_off_is_a_problem_unless_allowed():
    unsigned = dict(BASEOS, gpgcheck=False)
    assert 'gpgcheck=0 is refused' in repo_files.problems([unsigned])[0]
    assert repo_files.problems([unsigned], allow_unsigned=True) == []


def test_ids_must_be_unique_and_plain_and_repos_need_a_url():
    found = repo_files.problems([BASEOS, BASEOS, {'id': 'bad id', 'baseurl': 'http://m/'}, {'id': 'nourl'}])
    assert found == ['repos[1]: id tencentos-baseos appears twice',
                     "repos[2]: id 'bad id' must be letters, digits and _ . : -",
                     'repos[3] (nourl): needs a baseurl or a mirrorlist']


def test_repomd_url_expands_yum_variables():
    assert repo_files.repomd_url(BASEOS['baseurl'], {'basearch': 'x86_64'}) == \
        'http://mirrors.tencentyun.com/tlinux/3.1/BaseOS/x86_64/os/repodata/repomd.xml'
    assert repo_files.repomd_url('http://m/opencloudos/${releasever}/BaseOS/$basearch/os', {
        'basearch': 'aarch64', 'releasever': 9}) == 'http://m/opencloudos/9/BaseOS/aarch64/os/repodata/repomd.xml'
    assert repo_files.expand('http://m/$unknown/', {}) == 'http://m/$unknown/'


def test_enabled_defaults_to_true():
    assert repo_files.enabled({'id': 'a'})
    assert not repo_files.enabled({'id': 'a', 'enabled': False})
    assert not repo_files.enabled({'id': 'a', 'enabled': '0'})
