# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Release detection (facts sheet section 1) on real release files.

Each folder of fixtures/releases is the /etc (and /usr/lib) of one real image; its
SOURCE.md names where the files come from.  expected.json holds what must be detected.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

import pytest

from ansible_collections.tencentos.fleet.plugins.module_utils import host_facts
from ansible_collections.tencentos.fleet.plugins.module_utils import releases

RELEASES = os.path.join(os.path.dirname(__file__), 'fixtures', 'releases')

with open(os.path.join(RELEASES, 'expected.json')) as handle:
    EXPECTED = json.load(handle)

# The package manager and RHEL generation each release line must get (section 1, "Pkg mgr").
EL_LINE = {
    ('tlinux', 2): (7, 'yum'),
    ('tencentos', 2): (7, 'yum'),
    ('tencentos', 3): (8, 'dnf'),
    ('tencentos', 4): (9, 'dnf'),
    ('opencloudos', 8): (8, 'dnf'),
    ('opencloudos', 9): (9, 'dnf'),
    ('centos', 7): (7, 'yum'),
    ('centos', 8): (8, 'dnf'),
}


def test_every_sample_of_the_facts_sheet_is_present():
    families = set((item['family'], item['major']) for item in EXPECTED.values())
    for family_major in [('tlinux', 2), ('tencentos', 2), ('tencentos', 3), ('tencentos', 4),
                         ('opencloudos', 8), ('opencloudos', 9), ('centos', 7)]:
        assert family_major in families
    assert any(item['family'] == 'other' for item in EXPECTED.values())
    for name in EXPECTED:
        assert os.path.isfile(os.path.join(RELEASES, name, 'SOURCE.md')), name


@pytest.mark.parametrize('sample', sorted(EXPECTED))
def test_release_is_recognised(sample):
    expected = EXPECTED[sample]
    release = releases.gather_release(os.path.join(RELEASES, sample))
    assert release['family'] == expected['family']
    assert release['id'] == expected['os_release_id'].lower()
    assert release['version'] == expected['version']
    assert release['major'] == expected['major']
    assert release['platform_id'] == expected['platform_id']
    assert release['pretty_name'] == expected['pretty_name']


@pytest.mark.parametrize('sample', sorted(EXPECTED))
def test_release_line_gets_its_package_manager(sample):
    release = releases.gather_release(os.path.join(RELEASES, sample))
    el_major, pkg_mgr = EL_LINE.get((release['family'], release['major']), (None, None))
    assert release['el_major'] == el_major
    assert release['pkg_mgr'] == pkg_mgr


@pytest.mark.parametrize('commands, expected', [
    (['dnf', 'yum'], ['dnf', 'yum']),   # EL8 and later: yum is a link to dnf
    (['yum'], ['yum']),                 # EL7
    (['dnf', 'yum', 'apt-get'], ['dnf', 'yum']),
    ([], []),
])
def test_release_lists_the_package_manager_commands_the_host_has(commands, expected):
    sample = os.path.join(RELEASES, sorted(EXPECTED)[0])
    facts = host_facts.gather_facts(subsets=('release',), root=sample, which=lambda name: name in commands)
    assert facts['release']['package_managers'] == expected


def test_os_release_ids_compare_case_insensitively():
    release = releases.classify_release({'ID': 'OpenCloudOS', 'VERSION_ID': '8.6'}, {})
    assert release['family'] == 'opencloudos'
    assert release['vars_files'] == ['OpenCloudOS_8.6.yml', 'OpenCloudOS_8.yml', 'default.yml']


def test_release_file_naming_tencentos_wins_over_a_centos_os_release():
    release = releases.classify_release(
        {'ID': 'centos', 'VERSION_ID': '8', 'NAME': 'CentOS Linux'},
        {'/etc/centos-release': 'TencentOS Server release 3.1 (Final)\n',
         '/etc/redhat-release': 'CentOS Linux release 8.4.2105 (Core)\n'})
    assert (release['family'], release['version'], release['source']) == ('tencentos', '3.1', '/etc/centos-release')
    assert release['pkg_mgr'] == 'dnf'


def test_release_files_alone_are_enough():
    release = releases.classify_release({}, {'/etc/tlinux-release': 'Tencent tlinux release 2.2 (Final)\n'})
    assert (release['family'], release['version'], release['pkg_mgr']) == ('tlinux', '2.2', 'yum')
    assert release['vars_files'] == ['Tlinux_2.2.yml', 'Tlinux_2.yml', 'TencentOS_2.2.yml', 'TencentOS_2.yml', 'default.yml']


def test_nothing_to_read_is_other_without_package_manager():
    release = releases.classify_release({}, {})
    assert (release['family'], release['pkg_mgr'], release['source']) == ('other', None, None)


def test_rhel_like_other_distribution_gets_its_el_generation():
    release = releases.classify_release(
        {'ID': 'rocky', 'ID_LIKE': 'rhel centos fedora', 'VERSION_ID': '9.4', 'PLATFORM_ID': 'platform:el9'}, {})
    assert (release['family'], release['el_major'], release['pkg_mgr']) == ('other', 9, 'dnf')


def test_os_release_parser_handles_quotes_comments_and_blank_lines():
    parsed = releases.parse_os_release('# comment\nNAME="TencentOS Server"\n\nID=tencentos\nVERSION_ID=\'3.1\'\n')
    assert parsed == {'NAME': 'TencentOS Server', 'ID': 'tencentos', 'VERSION_ID': '3.1'}


def test_a_centos_version_is_as_precise_as_its_release_file_states_it():
    # CentOS 8.1's os-release says VERSION_ID="8"; /etc/centos-release says which minor release it is.
    os_release = {'ID': 'centos', 'NAME': 'CentOS Linux', 'VERSION_ID': '8', 'ID_LIKE': 'rhel fedora',
                  'PLATFORM_ID': 'platform:el8'}
    release = releases.classify_release(os_release, {'/etc/centos-release': 'CentOS Linux release 8.1.1911 (Core)\n'})
    assert (release['family'], release['version'], release['major'], release['minor']) == ('centos', '8.1', 8, 1)
    assert release['vars_files'] == ['CentOS_8.1.yml', 'CentOS_8.yml', 'default.yml']


def test_a_release_file_of_another_major_does_not_change_the_version():
    os_release = {'ID': 'centos', 'NAME': 'CentOS Linux', 'VERSION_ID': '7'}
    release = releases.classify_release(os_release, {'/etc/centos-release': 'CentOS Linux release 8.1.1911 (Core)'})
    assert release['version'] == '7'


def test_centos_6_without_os_release_is_still_centos():
    release = releases.classify_release({}, {'/etc/centos-release': 'CentOS release 6.10 (Final)\n',
                                             '/etc/redhat-release': 'CentOS release 6.10 (Final)\n'})
    assert (release['family'], release['distribution'], release['name']) == ('centos', 'CentOS', 'CentOS')
    assert (release['version'], release['major'], release['pkg_mgr']) == ('6.10', 6, 'yum')
    assert release['source'] == '/etc/centos-release'


def test_an_unsupported_release_keeps_its_name_and_version():
    release = releases.classify_release({}, {'/etc/redhat-release': 'Red Hat Enterprise Linux Server release 6.9 (Santiago)'})
    assert (release['family'], release['name'], release['version']) == (
        'other', 'Red Hat Enterprise Linux Server', '6.9')
