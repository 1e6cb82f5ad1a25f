# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The repos role's repositories: a release's layout on the chosen mirror, with the role's variables."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.tencentos.fleet.plugins.filter.repos_to_write import FilterModule, repos_to_write

MIRROR = 'http://mirrors.tencentyun.com'
KEY = 'file:///etc/pki/rpm-gpg/RPM-GPG-KEY-TencentOS-3'
LAYOUT = [
    {'id': 'tencentos-baseos', 'name': 'BaseOS', 'path': 'tlinux/3.1/BaseOS/$basearch/os/'},
    {'id': 'tencentos-powertools', 'name': 'PowerTools', 'path': '/tlinux/3.1/PowerTools/$basearch/os/', 'enabled': False},
    {'id': 'tencentos-updates', 'name': 'Updates', 'path': 'tlinux/3.1/Updates/$basearch/'},
]
SHARED = {'gpgcheck': True, 'gpgkey': KEY, 'metadata_expire': '6h', 'sslverify': True, 'proxy': None}


def test_the_layout_on_the_mirror_with_the_shared_settings():
    assert repos_to_write(LAYOUT, MIRROR + '/', gpg_key=KEY) == [
        dict(SHARED, id='tencentos-baseos', name='BaseOS', baseurl=MIRROR + '/tlinux/3.1/BaseOS/$basearch/os/', enabled=True),
        dict(SHARED, id='tencentos-powertools', name='PowerTools', baseurl=MIRROR + '/tlinux/3.1/PowerTools/$basearch/os/',
             enabled=False),
        dict(SHARED, id='tencentos-updates', name='Updates', baseurl=MIRROR + '/tlinux/3.1/Updates/$basearch/', enabled=True),
    ]


def test_sections_remove_paths_enable_and_disable():
    repos = repos_to_write(LAYOUT, MIRROR, gpg_key=KEY, sections=['tencentos-baseos', 'tencentos-powertools'],
                           remove=['tencentos-baseos'], paths={'tencentos-powertools': 'other/PowerTools/'},
                           enable=['tencentos-powertools'])
    assert [(repo['id'], repo['baseurl'], repo['enabled']) for repo in repos] == [
        ('tencentos-powertools', MIRROR + '/other/PowerTools/', True)]
    repos = repos_to_write(LAYOUT, MIRROR, disable=['tencentos-updates'], enable=['tencentos-updates'])
    assert [repo['enabled'] for repo in repos] == [True, False, False]


def test_extra_repositories_come_last_and_their_own_keys_win():
    extra = [{'id': 'epel', 'baseurl': 'https://mirror.example/epel/8/', 'gpgkey': 'https://mirror.example/KEY',
              'enabled': 'no'}]
    repos = repos_to_write(LAYOUT[:1], MIRROR, gpg_key=KEY, extra=extra, metadata_expire='2h', sslverify='false',
                           proxy='http://proxy:3128')
    assert repos[1] == {'id': 'epel', 'baseurl': 'https://mirror.example/epel/8/', 'gpgkey': 'https://mirror.example/KEY',
                        'enabled': False, 'gpgcheck': True, 'metadata_expire': '2h', 'sslverify': False,
                        'proxy': 'http://proxy:3128'}
    assert repos[0]['proxy'] == 'http://proxy:3128' and repos[0]['sslverify'] is False


def test_unsigned_and_no_key():
    repos = repos_to_write(LAYOUT[:1], MIRROR, unsigned=True)
    assert repos[0]['gpgcheck'] is False and repos[0]['gpgkey'] is None


def test_every_layout_of_the_role_renders():
    """Each release's vars file gives a layout the filter takes (its names are templates the role renders)."""
    vars_dir = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'roles', 'repos', 'vars')
    for name in sorted(os.listdir(vars_dir)):
        with open(os.path.join(vars_dir, name)) as handle:
            layout = (yaml.safe_load(handle) or {}).get('__tencentos_repos_layout')
        if layout is None:
            continue
        repos = repos_to_write(layout, MIRROR, gpg_key=KEY)
        assert [repo['id'] for repo in repos] == [item['id'] for item in layout], name
        assert all(repo['baseurl'].startswith(MIRROR + '/') and 'path' not in repo for repo in repos), name


def test_a_layout_that_is_not_a_list_of_repositories_is_an_error():
    with pytest.raises(AnsibleFilterError, match='each with an id'):
        repos_to_write([{'name': 'no id'}], MIRROR)
    assert FilterModule().filters()['repos_to_write'] is repos_to_write
