# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Choosing the kernel build to install and the old kernels to remove (facts sheet section 2, "Kernel lines")."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.tencentos.fleet.plugins.module_utils import kernel_plan
from ansible_collections.tencentos.fleet.plugins.module_utils.installed_kernels import (
    installed_kernels, parse_rpm_packages)

# `dnf -q --showduplicates list kernel kernel-tlinux4 kernel-devel kernel-headers` on a TencentOS 3.1
# host running the TK4 tag build 5.4.119-19-0009.1 (columns as dnf prints them when not on a
# terminal; versions and package names from facts sheet section 2).
DNF_TK4 = '''Installed Packages
kernel.x86_64                      5.4.119-19.0009.1.tl3                  @anaconda
kernel-devel.x86_64                5.4.119-19.0009.1.tl3                  @tencentos-updates
Available Packages
kernel.x86_64                      5.4.119-19.0009.1.tl3                  tencentos-updates
kernel.x86_64                      5.4.119-19.0010.1.tl3                  tencentos-updates
kernel-devel.x86_64                5.4.119-19.0009.1.tl3                  tencentos-updates
kernel-devel.x86_64                5.4.119-19.0010.1.tl3                  tencentos-updates
kernel-headers.x86_64              5.4.119-19.0010.1.tl3                  tencentos-updates
kernel-tlinux4.x86_64              5.4.119-1.0006.tl3                     tencentos-updates
kernel-tlinux4.x86_64              5.4.241-1.0017.tl3                     tencentos-updates
kernel-tlinux4-devel.x86_64        5.4.241-1.0017.tl3                     tencentos-updates
'''

# `dnf -q repoquery --qf REPOQUERY_FORMAT kernel kernel-tlinux4` on a TencentOS 3.1 host running
# kernel-tlinux4 5.4.119-1-tlinux4-0006 (installed packages come from @System). Only the split -core
# build declares kernel-uname-r (facts sheet section 2); the others' uname -r comes from the name rule.
REPOQUERY_TLINUX4 = '''@@kernel\t0\t5.4.119\t19.0010.1.tl3\tx86_64\ttencentos-updates
kernel = 5.4.119-19.0010.1.tl3
kernel(x86-64) = 5.4.119-19.0010.1.tl3
@@kernel-tlinux4\t0\t5.4.119\t1.0006.tl3\tx86_64\t@System
kernel-tlinux4 = 5.4.119-1.0006.tl3
@@kernel-tlinux4\t0\t5.4.119\t1.0006.tl3\tx86_64\ttencentos-updates
kernel-tlinux4 = 5.4.119-1.0006.tl3
@@kernel-tlinux4\t0\t5.4.203\t1.0011.tl3\tx86_64\ttencentos-updates
installonlypkg(kernel)
kernel-tlinux4 = 5.4.203-1.0011.tl3
@@kernel-tlinux4-core\t0\t5.4.241\t1.0017.tl3\tx86_64\ttencentos-updates
kernel-uname-r = 5.4.241-1-tlinux4-0017
'''

# `yum -q --showduplicates list kernel` on TencentOS 2.4 with its TK3 and tkernel4 repositories
# (facts sheet section 8: a 2.4 host may run either line).
YUM_TOS24 = '''Installed Packages
kernel.x86_64                     4.14.105-19.0013.tl2                 @tlinux
Available Packages
kernel.x86_64                     4.14.105-19.0013.tl2                 tlinux
kernel.x86_64                     4.14.105-19.0020.1.tl2               tlinux-updates
kernel.x86_64                     5.4.119-19.0009.1.tl2                tlinux-tkernel4
kernel.x86_64                     5.4.119-19.0011.tl2                  tlinux-tkernel4
'''
TOS24_LINES = ['tkernel3', 'tk3', 'tk4']

# `yum -q --showduplicates list kernel kernel-devel kernel-headers` on CentOS 7 with the TencentOS 2.4
# kernel tree added (facts sheet section 2). yum wraps a column that does not fit: a long name.arch
# goes alone on its line, a long version pushes the repository onto the next one. The CentOS
# kernel was installed from the DVD ("installed"); the TK3 kernel from the tlinux repository.
YUM_CENTOS7 = '''Installed Packages
kernel.x86_64                     3.10.0-1160.el7                      installed
kernel.x86_64                     4.14.105-19.0013.tl2                 @tlinux
Available Packages
kernel.x86_64                     3.10.0-1160.el7                      base
kernel.x86_64                     3.10.0-1160.119.1.el7                updates
kernel.x86_64                     4.14.105-19.0013.tl2                 tlinux
kernel.x86_64                     4.14.105-19.0020.1.tl2               tlinux
kernel-devel.x86_64               4.14.105-19.0020.1.tl2
                                                                       tlinux
kernel-headers.x86_64             4.14.105-19.0020.1.tl2               tlinux
kernel-tlinux4-devel-debuginfo-common.x86_64
                                  5.4.119-1.0007.tl2                   tlinux
'''

TK4_RUNNING = '5.4.119-19-0009.1'


def rpm_lines(*nvras):
    """`rpm -qa --qf RPM_QUERY_FORMAT` output for name-version-release.arch with no kernel-uname-r Provides."""
    lines = []
    for name, version, release, arch in nvras:
        lines.append('\t'.join((name, version, release, arch, '%s=%s-%s;' % (name, version, release))))
    return '\n'.join(lines) + '\n'


def builds_of(text, lines, installed=()):
    return kernel_plan.kernel_builds(kernel_plan.parse_package_list(text), lines, installed)


def repoquery_builds(text=REPOQUERY_TLINUX4, lines=('tk4', 'tlinux4'), installed=()):
    return kernel_plan.kernel_builds(kernel_plan.parse_repoquery(text), list(lines), installed)


# --- version_problem ----------------------------------------------------------------------------

@pytest.mark.parametrize('version', [
    'latest', '4.14.105-19-0013', '4.14.105-19-0020.1', '5.4.119-19-0009.1', '5.4.119-1-tlinux4-0006',
    '4.14.105-1-tlinux3-0013', '5.4.241-30.0017.19', '5.4.119-19.0010.ocrelease.6', '5.4.241-19-0017.1_plus',
    '6.6.98-40.2.tl4.x86_64', '6.6.114-43.oc9.x86_64', '3.10.0-1160.el7.x86_64',
])
def test_latest_and_uname_r_forms_are_accepted(version):
    assert kernel_plan.version_problem(version) is None


@pytest.mark.parametrize('version, uname', [
    ('4.14.105-19.0013.tl2', '4.14.105-19-0013'),
    ('4.14.105-19.0013.tl2.x86_64', '4.14.105-19-0013'),
    ('5.4.119-19.0009.1.tl3', '5.4.119-19-0009.1'),
    ('5.4.241-30.0017.19.oc8.x86_64', '5.4.241-30.0017.19'),
])
def test_rpm_version_release_is_refused_with_the_uname_r_to_give(version, uname):
    problem = kernel_plan.version_problem(version)
    assert problem == ("'%s' is an RPM version-release; the same kernel as uname -r prints it is '%s'"
                       % (version, uname))


def test_rpm_version_release_message_quotes_plainly_on_python_2():
    problem = kernel_plan.version_problem(u'4.14.105-19.0013.tl2')
    assert "u'" not in problem and "'4.14.105-19-0013'" in problem


@pytest.mark.parametrize('version', ['kernel-4.14.105-19.0013.tl2', 'kernel-tlinux4-5.4.119-1.0007.tl3.x86_64'])
def test_package_names_are_refused_as_package_names(version):
    assert kernel_plan.version_problem(version) == (
        "'%s' is a package name; give the kernel release as uname -r prints it" % version)


@pytest.mark.parametrize('version', ['', None, 'newest', '4.14', '4.14.105', '5.4.119 -19', 'v5.4.119-19-0009.1',
                                     '4.14.105-19-0013\n', ' 4.14.105-19-0013'])
def test_garbage_is_refused_with_an_example(version):
    problem = kernel_plan.version_problem(version)
    assert "is neither 'latest' nor a kernel release as uname -r prints it (e.g. 4.14.105-19-0013)" in problem


# --- parse_package_list -------------------------------------------------------------------------

def test_dnf_listing_gives_every_build_with_its_repository():
    builds = kernel_plan.parse_package_list(DNF_TK4)
    assert len(builds) == 10
    assert builds[0] == {'name': 'kernel', 'epoch': '0', 'version': '5.4.119', 'release': '19.0009.1.tl3',
                         'arch': 'x86_64', 'repo': 'anaconda', 'installed': True, 'provides': []}
    assert builds[3] == {'name': 'kernel', 'epoch': '0', 'version': '5.4.119', 'release': '19.0010.1.tl3',
                         'arch': 'x86_64', 'repo': 'tencentos-updates', 'installed': False, 'provides': []}
    assert builds[1]['installed'] and builds[1]['repo'] == 'tencentos-updates'
    assert [build['name'] for build in builds[-3:]] == ['kernel-tlinux4', 'kernel-tlinux4', 'kernel-tlinux4-devel']


def test_yum_listing_with_wrapped_lines_stays_aligned():
    builds = kernel_plan.parse_package_list(YUM_CENTOS7)
    assert [(build['name'], build['version'], build['release'], build['repo'], build['installed'])
            for build in builds] == [
        ('kernel', '3.10.0', '1160.el7', 'installed', True),
        ('kernel', '4.14.105', '19.0013.tl2', 'tlinux', True),
        ('kernel', '3.10.0', '1160.el7', 'base', False),
        ('kernel', '3.10.0', '1160.119.1.el7', 'updates', False),
        ('kernel', '4.14.105', '19.0013.tl2', 'tlinux', False),
        ('kernel', '4.14.105', '19.0020.1.tl2', 'tlinux', False),
        ('kernel-devel', '4.14.105', '19.0020.1.tl2', 'tlinux', False),
        ('kernel-headers', '4.14.105', '19.0020.1.tl2', 'tlinux', False),
        ('kernel-tlinux4-devel-debuginfo-common', '5.4.119', '1.0007.tl2', 'tlinux', False),
    ]


def test_epoch_is_split_from_the_version():
    text = 'Available Packages\nkernel-stream.x86_64    2:5.4.241-1.0017.tl3    tencentos-updates\n'
    assert kernel_plan.parse_package_list(text) == [
        {'name': 'kernel-stream', 'epoch': '2', 'version': '5.4.241', 'release': '1.0017.tl3', 'arch': 'x86_64',
         'repo': 'tencentos-updates', 'installed': False, 'provides': []}]


def test_lines_before_the_first_section_are_skipped():
    text = ('Last metadata expiration check: 0:12:01 ago on Tue 02 Jan 2024 10:00:00 AM CST.\n'
            'Available Packages\nkernel.x86_64    5.4.119-19.0010.1.tl3    tencentos-updates\n')
    assert [build['release'] for build in kernel_plan.parse_package_list(text)] == ['19.0010.1.tl3']


def test_no_listing_is_no_builds():
    assert kernel_plan.parse_package_list('') == []
    assert kernel_plan.parse_package_list(None) == []
    assert kernel_plan.parse_package_list('Error: No matching Packages to list\n') == []


# --- parse_repoquery ----------------------------------------------------------------------------

def test_repoquery_gives_every_build_with_its_provides():
    builds = kernel_plan.parse_repoquery(REPOQUERY_TLINUX4)
    assert [(build['name'], build['release'], build['repo'], build['installed']) for build in builds] == [
        ('kernel', '19.0010.1.tl3', 'tencentos-updates', False),
        ('kernel-tlinux4', '1.0006.tl3', 'System', True),
        ('kernel-tlinux4', '1.0006.tl3', 'tencentos-updates', False),
        ('kernel-tlinux4', '1.0011.tl3', 'tencentos-updates', False),
        ('kernel-tlinux4-core', '1.0017.tl3', 'tencentos-updates', False),
    ]
    assert builds[3]['provides'] == [('installonlypkg(kernel)', ''), ('kernel-tlinux4', '5.4.203-1.0011.tl3')]
    assert builds[4]['provides'] == [('kernel-uname-r', '5.4.241-1-tlinux4-0017')]


def test_repoquery_skips_what_is_not_a_package_block():
    assert kernel_plan.parse_repoquery('') == []
    assert kernel_plan.parse_repoquery('stray line\n@@broken\tline\n') == []


# --- kernel_builds --------------------------------------------------------------------------------

def test_kernel_builds_read_uname_r_from_provides_then_the_installed_kernels_then_name_rules():
    installed = [{'uname_r': '5.4.119-1-tlinux4-0006', 'uname_source': 'owned_path',
                  'packages': ['kernel-tlinux4-5.4.119-1.0006.tl3.x86_64']}]
    by_uname = dict((build['uname_r'], build) for build in repoquery_builds(installed=installed))
    assert sorted(by_uname) == ['5.4.119-1-tlinux4-0006', '5.4.119-19-0010.1', '5.4.203-1-tlinux4-0011',
                                '5.4.241-1-tlinux4-0017']
    assert by_uname['5.4.241-1-tlinux4-0017']['uname_source'] == 'provides'
    assert by_uname['5.4.119-1-tlinux4-0006']['uname_source'] == 'owned_path'
    assert by_uname['5.4.203-1-tlinux4-0011']['uname_source'] == 'name_rule'
    assert by_uname['5.4.119-1-tlinux4-0006']['installed'] is True
    assert by_uname['5.4.119-1-tlinux4-0006']['repos'] == ['tencentos-updates']
    assert [by_uname[uname]['line'] for uname in sorted(by_uname)] == ['tlinux4', 'tk4', 'tlinux4', 'tlinux4']


def test_an_installed_kernels_uname_r_from_rpm_wins_over_the_name_rule():
    # A build no name rule reads right: rpm said which directory the installed package owns.
    text = 'Installed Packages\nkernel-tlinux2_kvm_guest.x86_64    3.10.106-1.0052.tl2    @tlinux\n'
    installed = [{'uname_r': '3.10.106-1-tlinux2_kvm_guest-0052.tl2', 'uname_source': 'owned_path',
                  'packages': ['kernel-tlinux2_kvm_guest-3.10.106-1.0052.tl2.x86_64']}]
    builds = builds_of(text, ['tkernel2'], installed)
    assert [(build['uname_r'], build['uname_source']) for build in builds] == [
        ('3.10.106-1-tlinux2_kvm_guest-0052.tl2', 'owned_path')]


def test_kernel_builds_merge_installed_with_available():
    by_uname = dict((build['uname_r'], build) for build in builds_of(DNF_TK4, ['tk4', 'tlinux4']))
    assert sorted(by_uname) == ['5.4.119-1-tlinux4-0006', '5.4.119-19-0009.1', '5.4.119-19-0010.1',
                                '5.4.241-1-tlinux4-0017']
    running = by_uname['5.4.119-19-0009.1']
    assert running['installed'] is True and running['repos'] == ['tencentos-updates']
    assert running['nvra'] == 'kernel-5.4.119-19.0009.1.tl3.x86_64'
    newer = by_uname['5.4.119-19-0010.1']
    assert newer['installed'] is False and newer['repos'] == ['tencentos-updates']
    assert by_uname['5.4.241-1-tlinux4-0017']['name'] == 'kernel-tlinux4'


def test_kernel_builds_leave_out_other_lines_of_the_same_package_name():
    assert set(build['line'] for build in builds_of(DNF_TK4, ['tk4'])) == set(['tk4'])
    # TencentOS 2.4: "kernel" carries both TK3 and TK4.
    assert sorted(build['uname_r'] for build in builds_of(YUM_TOS24, ['tk4'])) == [
        '5.4.119-19-0009.1', '5.4.119-19-0011']


def test_kernel_builds_keep_only_the_lines_asked_for():
    # CentOS 7 with the TK3 tree: its own 3.10 kernels are never a target.
    builds = builds_of(YUM_CENTOS7, ['tk3'])
    assert sorted(build['uname_r'] for build in builds) == ['4.14.105-19-0013', '4.14.105-19-0020.1']


def test_installed_build_no_longer_in_a_repository_has_no_repos():
    text = 'Installed Packages\nkernel.x86_64    5.4.119-19.0008.tl3    @tencentos-updates\n'
    assert builds_of(text, ['tk4']) == [dict(
        name='kernel', epoch='0', version='5.4.119', release='19.0008.tl3', arch='x86_64', repo='tencentos-updates',
        installed=True, provides=[], uname_r='5.4.119-19-0008', uname_source='name_rule', line='tk4',
        nvra='kernel-5.4.119-19.0008.tl3.x86_64', repos=[])]


# --- choose_target -------------------------------------------------------------------------------

def test_latest_stays_on_the_running_line():
    builds = builds_of(DNF_TK4, ['tk4', 'tlinux4'])
    # kernel-tlinux4 5.4.241 has the highest numbers, but the host runs a TK4 git-tag build.
    target, problem = kernel_plan.choose_target(builds, 'latest', ['tk4', 'tlinux4'], TK4_RUNNING)
    assert problem is None and target['uname_r'] == '5.4.119-19-0010.1'


def test_latest_on_a_kernel_tlinux4_host_stays_on_kernel_tlinux4():
    builds = repoquery_builds()
    target, problem = kernel_plan.choose_target(builds, 'latest', ['tlinux4', 'tk4'], '5.4.119-1-tlinux4-0006')
    assert problem is None and target['nvra'] == 'kernel-tlinux4-core-5.4.241-1.0017.tl3.x86_64'
    assert target['uname_r'] == '5.4.241-1-tlinux4-0017'


def test_latest_on_a_tencentos_2_4_host_running_tk4_stays_on_tk4():
    builds = builds_of(YUM_TOS24, TOS24_LINES)
    target, problem = kernel_plan.choose_target(builds, 'latest', TOS24_LINES, '5.4.119-19-0009.1')
    assert problem is None and target['uname_r'] == '5.4.119-19-0011'
    target, problem = kernel_plan.choose_target(builds, 'latest', TOS24_LINES, '4.14.105-19-0013')
    assert problem is None and target['uname_r'] == '4.14.105-19-0020.1'


def test_another_line_is_an_explicit_choice():
    builds = builds_of(YUM_TOS24, TOS24_LINES)
    target, problem = kernel_plan.choose_target(builds, 'latest', TOS24_LINES, '4.14.105-19-0013', 'tk4')
    assert problem is None and target['uname_r'] == '5.4.119-19-0011'


def test_latest_never_moves_to_an_older_line():
    builds = builds_of(YUM_TOS24, TOS24_LINES)
    target, problem = kernel_plan.choose_target(builds, 'latest', TOS24_LINES, '5.4.119-19-0009.1', 'tk3')
    assert target is None
    assert problem == ('line tk3 is older than the running line tk4 (5.4.119-19-0009.1); latest never moves a host '
                       'back: give the exact version (as uname -r prints it) to move to an older kernel')


def test_an_exact_version_of_an_older_line_is_the_explicit_way_back():
    builds = builds_of(YUM_TOS24, TOS24_LINES)
    target, problem = kernel_plan.choose_target(builds, '4.14.105-19-0020.1', TOS24_LINES, '5.4.119-19-0009.1')
    assert problem is None and target['line'] == 'tk3'


def test_a_stock_kernel_is_moved_to_a_tencent_line_only_when_asked():
    builds = builds_of(YUM_CENTOS7, ['tk3'])
    target, problem = kernel_plan.choose_target(builds, 'latest', ['tk3'], '3.10.0-1160.el7.x86_64')
    assert target is None
    assert problem == ('the host runs 3.10.0-1160.el7.x86_64 (line stock), which is not a kernel line this release '
                       'offers; moving it is an explicit choice: set the line (role variable tencentos_kernel_line) '
                       'to one of: tk3')
    target, problem = kernel_plan.choose_target(builds, 'latest', ['tk3'], '3.10.0-1160.el7.x86_64', 'tk3')
    assert problem is None and target['uname_r'] == '4.14.105-19-0020.1'


def test_a_line_the_release_does_not_offer_is_refused():
    builds = builds_of(YUM_TOS24, TOS24_LINES)
    assert kernel_plan.choose_target(builds, 'latest', TOS24_LINES, '4.14.105-19-0013', 'tl4') == (
        None, 'line tl4 is not a kernel line of this release; its lines: tkernel3, tk3, tk4')


def test_unknown_lines_are_named():
    assert kernel_plan.lines_problem(['tk3', 'tk5'], 'tk9') == (
        "'tk5', 'tk9' is not a kernel line; the lines are: tkernel2, tkernel3, tk3, tk4, tlinux4, oc8, tl4, oc9, stock")
    assert kernel_plan.lines_problem(['tk3', 'tk4'], '') is None


def test_latest_is_the_newest_build_by_version_not_by_listing_order():
    text = ('Available Packages\n'
            'kernel.x86_64    4.14.105-19.0020.1.tl2    tlinux\n'
            'kernel.x86_64    4.14.105-19.0013.tl2      tlinux\n'
            'kernel.x86_64    4.14.105-19.0009.tl2      tlinux\n')
    builds = builds_of(text, ['tk3'])
    assert kernel_plan.choose_target(builds, 'latest', ['tk3'], '4.14.105-19-0009')[0]['uname_r'] == \
        '4.14.105-19-0020.1'
    builds.reverse()
    assert kernel_plan.choose_target(builds, 'latest', ['tk3'], '4.14.105-19-0009')[0]['uname_r'] == \
        '4.14.105-19-0020.1'


def test_latest_ignores_builds_only_installed():
    text = ('Installed Packages\nkernel.x86_64    4.14.105-19.0020.1.tl2    @tlinux\n'
            'Available Packages\nkernel.x86_64    4.14.105-19.0013.tl2    tlinux\n')
    target, problem = kernel_plan.choose_target(builds_of(text, ['tk3']), 'latest', ['tk3'], '4.14.105-19-0009')
    assert problem is None and target['uname_r'] == '4.14.105-19-0013'


def test_latest_without_any_build_of_the_line_is_a_problem():
    assert kernel_plan.choose_target([], 'latest', ['tk4', 'tlinux4'], '5.4.119-1-tlinux4-0006') == (
        None, 'no build of line tlinux4 (packages kernel-tlinux4, kernel-tlinux4-core) in the enabled repositories')
    installed_only = builds_of('Installed Packages\nkernel.x86_64  4.14.105-19.0013.tl2  @tlinux\n', ['tk3'])
    assert kernel_plan.choose_target(installed_only, 'latest', ['tk3'], '4.14.105-19-0013') == (
        None, 'no build of line tk3 (packages kernel) in the enabled repositories')


def test_explicit_version_is_found_by_its_uname_r():
    builds = builds_of(YUM_CENTOS7, ['tk3'])
    target, problem = kernel_plan.choose_target(builds, '4.14.105-19-0020.1', ['tk3'], '3.10.0-1160.el7.x86_64')
    assert problem is None
    assert (target['nvra'], target['repos']) == ('kernel-4.14.105-19.0020.1.tl2.x86_64', ['tlinux'])


def test_explicit_version_in_its_real_uname_r_form_of_kernel_tlinux4():
    builds = builds_of(DNF_TK4, ['tk4', 'tlinux4'])
    target, problem = kernel_plan.choose_target(builds, '5.4.119-1-tlinux4-0006', ['tk4', 'tlinux4'], TK4_RUNNING)
    assert problem is None and target['nvra'] == 'kernel-tlinux4-5.4.119-1.0006.tl3.x86_64'


def test_explicit_version_and_a_different_line_contradict():
    builds = builds_of(YUM_TOS24, TOS24_LINES)
    assert kernel_plan.choose_target(builds, '4.14.105-19-0020.1', TOS24_LINES, '4.14.105-19-0013', 'tk4') == (
        None, 'version 4.14.105-19-0020.1 is a kernel of line tk3, but line tk4 was asked for; give one or make '
              'them agree')


def test_explicit_version_of_a_line_the_release_does_not_offer_is_refused():
    assert kernel_plan.choose_target([], '6.6.98-40.2.tl4.x86_64', TOS24_LINES, '4.14.105-19-0013') == (
        None, 'version 6.6.98-40.2.tl4.x86_64 is a kernel of line tl4, which this release does not offer; its lines: '
              'tkernel3, tk3, tk4')


def test_explicit_version_not_in_the_repositories_lists_what_is_there_oldest_first():
    builds = builds_of(YUM_CENTOS7, ['tk3'])
    target, problem = kernel_plan.choose_target(builds, '4.14.105-19-0099', ['tk3'], '3.10.0-1160.el7.x86_64')
    assert target is None
    assert problem == ('kernel 4.14.105-19-0099 is not in the enabled repositories (line tk3, packages kernel); '
                       'available: 4.14.105-19-0013, 4.14.105-19-0020.1')


def test_explicit_version_installed_but_gone_from_the_repositories_is_acceptable():
    text = ('Installed Packages\nkernel.x86_64    5.4.119-19.0008.tl3    @tencentos-updates\n'
            'Available Packages\nkernel.x86_64    5.4.119-19.0010.1.tl3    tencentos-updates\n')
    builds = builds_of(text, ['tk4'])
    target, problem = kernel_plan.choose_target(builds, '5.4.119-19-0008', ['tk4'], TK4_RUNNING)
    assert problem is None and target['installed'] is True and target['repos'] == []


def test_available_list_leaves_out_builds_only_installed():
    text = ('Installed Packages\nkernel.x86_64    5.4.119-19.0008.tl3    @tencentos-updates\n'
            'Available Packages\nkernel.x86_64    5.4.119-19.0010.1.tl3    tencentos-updates\n')
    problem = kernel_plan.choose_target(builds_of(text, ['tk4']), '5.4.119-19-0099', ['tk4'], TK4_RUNNING)[1]
    assert problem.endswith('available: 5.4.119-19-0010.1')


# --- extra_packages --------------------------------------------------------------------------------

def test_extras_of_the_same_build_are_found():
    listing = kernel_plan.parse_package_list(DNF_TK4)
    builds = kernel_plan.kernel_builds(listing, ['tk4'])
    target = [build for build in builds if build['uname_r'] == '5.4.119-19-0010.1'][0]
    assert kernel_plan.extra_packages(target, ['devel', 'headers'], listing) == (
        ['kernel-devel-5.4.119-19.0010.1.tl3.x86_64', 'kernel-headers-5.4.119-19.0010.1.tl3.x86_64'], [])


def test_extras_are_of_the_targets_own_release_not_another_build_of_the_version():
    listing = kernel_plan.parse_package_list(DNF_TK4)
    target = [build for build in kernel_plan.kernel_builds(listing, ['tk4'])
              if build['uname_r'] == TK4_RUNNING][0]
    assert kernel_plan.extra_packages(target, ['devel', 'headers'], listing) == (
        ['kernel-devel-5.4.119-19.0009.1.tl3.x86_64'], ['kernel-headers-5.4.119-19.0009.1.tl3'])


def test_extras_missing_for_the_build_are_named():
    listing = kernel_plan.parse_package_list(DNF_TK4)
    target = [build for build in kernel_plan.kernel_builds(listing, ['tlinux4'])
              if build['uname_r'] == '5.4.119-1-tlinux4-0006'][0]
    assert kernel_plan.extra_packages(target, ['devel', 'headers'], listing) == (
        [], ['kernel-tlinux4-devel-5.4.119-1.0006.tl3', 'kernel-tlinux4-headers-5.4.119-1.0006.tl3'])


def test_no_extras_asked_is_no_extras():
    listing = kernel_plan.parse_package_list(DNF_TK4)
    target = kernel_plan.kernel_builds(listing, ['tk4'])[0]
    assert kernel_plan.extra_packages(target, [], listing) == ([], [])


# --- prune_plan ----------------------------------------------------------------------------------

TK3_INSTALLED = [
    ('kernel', '4.14.105', '19.0009.tl2', 'x86_64'),
    ('kernel', '4.14.105', '19.0013.tl2', 'x86_64'),
    ('kernel', '4.14.105', '19.0016.tl2', 'x86_64'),
    ('kernel', '4.14.105', '19.0020.1.tl2', 'x86_64'),
    ('kernel', '4.14.105', '19.0021.tl2', 'x86_64'),
]


def installed(running='4.14.105-19-0013', root='/nonexistent'):
    return installed_kernels(parse_rpm_packages(rpm_lines(*TK3_INSTALLED)), {}, running, root)


def unames(entries):
    return [entry['uname_r'] for entry in entries]


def test_prune_removes_oldest_first_and_keeps_the_newest():
    # 0013 runs; keep 3: 0013 plus the two newest others (0020.1, 0021).
    assert unames(kernel_plan.prune_plan(installed(), 3, set(['4.14.105-19-0013']))) == [
        '4.14.105-19-0009', '4.14.105-19-0016']


def test_prune_never_removes_the_running_kernel_even_unprotected():
    assert '4.14.105-19-0009' not in unames(kernel_plan.prune_plan(installed(running='4.14.105-19-0009'), 2, set()))


def test_prune_never_removes_protected_kernels():
    protected = set(['4.14.105-19-0009', '4.14.105-19-0016'])
    plan = unames(kernel_plan.prune_plan(installed(), 2, protected))
    assert not set(plan) & (protected | set(['4.14.105-19-0013']))
    assert plan == ['4.14.105-19-0020.1', '4.14.105-19-0021']


def test_protected_kernels_count_towards_keep():
    protected = set(['4.14.105-19-0013', '4.14.105-19-0021'])
    assert unames(kernel_plan.prune_plan(installed(), 3, protected)) == ['4.14.105-19-0009', '4.14.105-19-0016']


def test_keep_below_the_protected_count_removes_every_unprotected_kernel():
    protected = set(['4.14.105-19-0009', '4.14.105-19-0021'])
    assert unames(kernel_plan.prune_plan(installed(), 2, protected)) == ['4.14.105-19-0016', '4.14.105-19-0020.1']


def test_keep_above_the_installed_count_removes_nothing():
    assert kernel_plan.prune_plan(installed(), 10, set()) == []


def test_prune_entries_carry_their_packages():
    plan = kernel_plan.prune_plan(installed(), 4, set())
    assert plan[0]['packages'] == ['kernel-4.14.105-19.0009.tl2.x86_64']


# --- newer_on_same_line / free_space_problems -----------------------------------------------------

def test_a_newer_running_build_is_newer_only_within_its_line():
    assert kernel_plan.newer_on_same_line('4.14.105-19-0021', '4.14.105-19-0020.1')
    assert not kernel_plan.newer_on_same_line('4.14.105-19-0013', '4.14.105-19-0020.1')
    # 5.4 TK4 has the higher numbers, but it is another line than TK3's 4.14, as kernel-tlinux4 is than TK4's tags
    assert not kernel_plan.newer_on_same_line('5.4.119-19-0009.1', '4.14.105-19-0020.1')
    assert not kernel_plan.newer_on_same_line('5.4.241-19-0017.1_plus', '5.4.119-1-tlinux4-0006')


def test_free_space_below_the_minimum_is_reported_per_path():
    assert kernel_plan.free_space_problems({'/boot': 100, '/': 5000}, {'/boot': 150, '/': 1024}) == [
        '/boot has 100 MiB free, the kernel role needs at least 150 MiB']
    assert kernel_plan.free_space_problems({'/boot': 10, '/': 10}, {'/boot': 150, '/': 1024}) == [
        '/ has 10 MiB free, the kernel role needs at least 1024 MiB',
        '/boot has 10 MiB free, the kernel role needs at least 150 MiB']


def test_free_space_at_the_minimum_or_unknown_is_fine():
    assert kernel_plan.free_space_problems({'/boot': 150, '/': None}, {'/boot': 150, '/': 1024}) == []


def test_a_stray_line_does_not_shift_the_rows_after_it():
    text = ('Available Packages\n'
            'Last metadata expiration check: 0:00:01 ago on Fri Nov 27 2026.\n'
            'kernel.x86_64    4.14.105-19.0013.tl2     tlinux\n'
            'kernel.x86_64    4.14.105-19.0020.1.tl2   tlinux\n')
    builds = kernel_plan.parse_package_list(text)
    assert [build['release'] for build in builds] == ['19.0013.tl2', '19.0020.1.tl2']
