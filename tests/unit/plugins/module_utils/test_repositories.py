# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Repository files: rendering and checking the managed file, and the repos facts read from a host."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re

from ansible_collections.tencentos.fleet.plugins.module_utils import repositories

BASEOS = {'id': 'tencentos-baseos', 'name': 'TencentOS Server 3.1 - BaseOS',
          'baseurl': 'http://mirrors.tencentyun.com/tlinux/3.1/BaseOS/$basearch/os/',
          'gpgcheck': True, 'enabled': True, 'gpgkey': 'file:///etc/pki/rpm-gpg/RPM-GPG-KEY-TencentOS-3',
          'metadata_expire': '6h', 'proxy': None}


def test_render_is_stable_and_readable():
    kernel = {'id': 'tencentos-kernel', 'baseurl': 'http://m/tlinux/2.4/tlinux/$basearch/', 'gpgcheck': True,
              'includepkgs': ['kernel', 'kernel-devel'], 'priority': 10, 'exclude': []}
    text = repositories.render([BASEOS, kernel], 'Ansible managed')
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
    assert repositories.render([BASEOS, kernel], 'Ansible managed') == text


def test_gpgcheck_off_is_a_problem_unless_allowed():
    unsigned = dict(BASEOS, gpgcheck=False)
    assert 'gpgcheck=0 is refused' in repositories.problems([unsigned])[0]
    assert repositories.problems([unsigned], allow_unsigned=True) == []


def test_ids_must_be_unique_and_plain_and_repos_need_a_url():
    found = repositories.problems([BASEOS, BASEOS, {'id': 'bad id', 'baseurl': 'http://m/'}, {'id': 'nourl'}])
    assert found == ['repos[1]: id tencentos-baseos appears twice',
                     "repos[2]: id 'bad id' must be letters, digits and _ . : -",
                     'repos[3] (nourl): needs a baseurl or a mirrorlist']


def test_repomd_url_expands_yum_variables():
    assert repositories.repomd_url(BASEOS['baseurl'], {'basearch': 'x86_64'}) == \
        'http://mirrors.tencentyun.com/tlinux/3.1/BaseOS/x86_64/os/repodata/repomd.xml'
    assert repositories.repomd_url('http://m/opencloudos/${releasever}/BaseOS/$basearch/os', {
        'basearch': 'aarch64', 'releasever': 9}) == 'http://m/opencloudos/9/BaseOS/aarch64/os/repodata/repomd.xml'
    assert repositories.expand('http://m/$unknown/', {}) == 'http://m/$unknown/'


def test_enabled_defaults_to_true():
    assert repositories.enabled({'id': 'a'})
    assert not repositories.enabled({'id': 'a', 'enabled': False})
    assert not repositories.enabled({'id': 'a', 'enabled': '0'})


# ---------------------------------------------------------------------------
# Exclusive mode and the release's own repositories (facts sheet section 8)
# ---------------------------------------------------------------------------

ROLE_VARS = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', '..', 'roles', 'repos', 'vars')

# The repositories a TencentOS 2.4 host's yum lists (facts sheet section 8).
TENCENTOS_24_REPOS = ['tlinux', 'tlinux-os', 'tlinux-updates', 'tlinux-extras', 'tlinux-tkernel4']

# /etc/yum.repos.d/tlinux.repo as a 2.4 image could carry it: the five ids of section 8 (the file's
# other keys are not known, and do not matter here).
IMAGE_REPO_FILE = ''.join('[%s]\nname=%s\nbaseurl=http://mirrors.tencentyun.com/tlinux/2.4/%s/$basearch/\n\n'
                          % (repo_id, repo_id, repo_id) for repo_id in TENCENTOS_24_REPOS)


def layout_ids(vars_file):
    """The repository ids of a vars file's layout, in order (read without a YAML library, which the
    target Pythons' test environments do not have)."""
    with open(os.path.join(ROLE_VARS, vars_file)) as handle:
        return re.findall(r'^  - id: (\S+)$', handle.read(), re.MULTILINE)


def layout_paths(vars_file):
    with open(os.path.join(ROLE_VARS, vars_file)) as handle:
        return re.findall(r'^    path: (.+)$', handle.read(), re.MULTILINE)


def test_the_2_4_layout_is_every_repository_a_2_4_host_lists():
    assert layout_ids('TencentOS_2.4.yml') == TENCENTOS_24_REPOS


def test_the_2_4_trees_and_the_aarch64_tree():
    paths = dict(zip(layout_ids('TencentOS_2.4.yml'), layout_paths('TencentOS_2.4.yml')))
    assert paths['tlinux-tkernel4'] == '"{{ __tencentos_repos_tree }}/tlinux-tkernel4/$basearch/"'
    with open(os.path.join(ROLE_VARS, 'TencentOS_2.4.yml')) as handle:
        tree = re.search(r'^__tencentos_repos_tree: (.*)$', handle.read(), re.MULTILINE).group(1)
    # aarch64 lives below tlinux/2.4/arm64/ (…/tlinux/2.4/arm64/tlinux/aarch64/), x86_64 below tlinux/2.4/.
    assert tree == '''"tlinux/2.4{{ '/arm64' if ansible_facts.tencentos.kernel.arch == 'aarch64' else '' }}"'''


def test_the_tlinux_2_2_layout_has_its_tkernel3_tree():
    assert dict(zip(layout_ids('Tlinux_2.2.yml'), layout_paths('Tlinux_2.2.yml'))) == {
        'tlinux': 'tlinux/2.2/tlinux/$basearch/', 'tlinux-tkernel3': 'tlinux/2.2/tlinux-tkernel3/$basearch/'}


def test_section_ids_are_the_headers_of_a_repo_file():
    assert repositories.section_ids(IMAGE_REPO_FILE) == TENCENTOS_24_REPOS
    assert repositories.section_ids('[main]\ngpgcheck=1\n  [ spaced ]  \n# [comment]\nname=[x]\n') == ['spaced']
    assert repositories.section_ids(None) == []


def test_exclusive_with_the_full_2_4_set_drops_nothing():
    assert repositories.dropped_by_exclusive(layout_ids('TencentOS_2.4.yml'), TENCENTOS_24_REPOS, []) == []


def test_exclusive_would_drop_what_the_written_file_leaves_out():
    assert repositories.dropped_by_exclusive(TENCENTOS_24_REPOS, ['tlinux'], []) == [
        'tlinux-os', 'tlinux-updates', 'tlinux-extras', 'tlinux-tkernel4']


def test_exclusive_drops_only_what_is_removed_by_name():
    assert repositories.dropped_by_exclusive(TENCENTOS_24_REPOS, ['tlinux', 'tlinux-os', 'tlinux-updates'],
                                             ['tlinux-extras']) == ['tlinux-tkernel4']
    assert repositories.dropped_by_exclusive(TENCENTOS_24_REPOS, ['tlinux'], TENCENTOS_24_REPOS[1:]) == []


def test_ids_defined_in_other_files_are_named_with_their_files():
    foreign = {'/etc/yum.repos.d/tlinux.repo': IMAGE_REPO_FILE,
               '/etc/yum.repos.d/docker-ce.repo': '[docker-ce-stable]\nbaseurl=https://example/\n'}
    assert repositories.defined_elsewhere(['tlinux', 'tlinux-tkernel4', 'local-extra'], foreign) == {
        'tlinux': ['/etc/yum.repos.d/tlinux.repo'], 'tlinux-tkernel4': ['/etc/yum.repos.d/tlinux.repo']}
    assert repositories.defined_elsewhere(['tencentos-baseos'], foreign) == {}


# The repos facts: where the enabled repositories come from and whether GPG checks them.

MANAGED = (
    '# Ansible managed\n\n[tencentos-baseos]\nname=BaseOS\n'
    'baseurl=http://mirrors.tencentyun.com/tlinux/3.1/BaseOS/$basearch/os/\nenabled=1\ngpgcheck=1\n\n'
    '[tencentos-powertools]\nbaseurl=http://mirrors.tencentyun.com/tlinux/3.1/PowerTools/$basearch/os/\nenabled=0\n')


def test_managed_file_hosts_and_gpg(tmpdir):
    tmpdir.join('etc', 'yum.repos.d', 'tencentos-fleet.repo').write(MANAGED, ensure=True)
    repos = repositories.gather_repos(str(tmpdir))
    assert repos['managed_file'] == '/etc/yum.repos.d/tencentos-fleet.repo'
    assert repos['hosts'] == ['mirrors.tencentyun.com']
    assert [repo['id'] for repo in repos['enabled']] == ['tencentos-baseos']
    assert repos['gpgcheck'] is True


def test_one_unsigned_repository_turns_gpg_off(tmpdir):
    tmpdir.join('etc', 'yum.repos.d', 'tencentos-fleet.repo').write(MANAGED, ensure=True)
    tmpdir.join('etc', 'yum.repos.d', 'third.repo').write(
        '[third]\nmirrorlist=https://third.example/mirrors?arch=$basearch\ngpgcheck=0\n')
    repos = repositories.gather_repos(str(tmpdir))
    assert repos['hosts'] == ['mirrors.tencentyun.com', 'third.example']
    assert repos['gpgcheck'] is False


def test_repository_without_gpgcheck_inherits_the_main_setting(tmpdir):
    tmpdir.join('etc', 'yum.repos.d', 'base.repo').write('[base]\nbaseurl=http://m/\n', ensure=True)
    assert repositories.gather_repos(str(tmpdir))['gpgcheck'] is False
    tmpdir.join('etc', 'dnf', 'dnf.conf').write('[main]\ngpgcheck=1\n', ensure=True)
    repos = repositories.gather_repos(str(tmpdir))
    assert repos['gpgcheck'] is True and repos['managed_file'] is None


def test_no_repositories(tmpdir):
    assert repositories.gather_repos(str(tmpdir)) == {'managed_file': None, 'enabled': [], 'hosts': [], 'gpgcheck': False}


def test_a_repository_id_with_a_final_newline_is_refused():
    # $ would match before the newline; the id would then open a section yum cannot read.
    found = repositories.problems([{'id': 'tencentos-baseos\n', 'baseurl': 'http://m/'}])
    assert found == ["repos[0]: id 'tencentos-baseos\\n' must be letters, digits and _ . : -"]
