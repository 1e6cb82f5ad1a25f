# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kernel lines from `uname -r` alone, and the package <-> `uname -r` mapping (facts sheet, "Kernel lines")."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.tencentos.fleet.plugins.module_utils import kernel_release as kr

# Every shape of the facts sheet's table of kernel lines seen on real hosts (section 8), with the
# examples it gives, plus the older section 1/2 examples that the table keeps.
# (uname -r, line, flavour, tree, version key)
REAL_KERNELS = [
    ('3.10.107-1-tlinux2_kvm_guest-0055', 'tkernel2', 'tk2', 'tk2', [3, 10, 107, 1, 55]),
    ('3.10.106-1-tlinux2_kvm_guest-0052.tl2', 'tkernel2', 'tk2', 'tk2', [3, 10, 106, 1, 52]),
    ('4.14.105-1-tlinux3-0013', 'tkernel3', 'tk3', 'tk3', [4, 14, 105, 1, 13]),
    ('4.14.105-1-tlinux3-0020.1', 'tkernel3', 'tk3', 'tk3', [4, 14, 105, 1, 20, 1]),
    ('4.14.105-19-0013', 'tk3', 'tk3', 'tk3', [4, 14, 105, 19, 13]),
    ('4.14.105-19-0020.1', 'tk3', 'tk3', 'tk3', [4, 14, 105, 19, 20, 1]),
    ('5.4.119-19-0009.1', 'tk4', 'tk4', 'tk4', [5, 4, 119, 19, 9, 1]),
    ('5.4.32-19-0001', 'tk4', 'tk4', 'tk4', [5, 4, 32, 19, 1]),
    ('5.4.241-19-0017.1_plus', 'tk4', 'tk4', 'tk4', [5, 4, 241, 19, 17, 1]),
    ('5.4.119-1-tlinux4-0006', 'tlinux4', 'tk4', 'tk4', [5, 4, 119, 1, 6]),
    ('5.4.203-1-tlinux4-0011.1', 'tlinux4', 'tk4', 'tk4', [5, 4, 203, 1, 11, 1]),
    ('5.4.119-19.0010.ocrelease.6', 'oc8', 'opencloudos', 'tk4', [5, 4, 119, 19, 10, 6]),
    ('5.4.241-30.0017.19', 'oc8', 'opencloudos', 'tk4', [5, 4, 241, 30, 17, 19]),
    ('6.6.98-40.2.tl4.x86_64', 'tl4', 'tl4', None, [6, 6, 98, 40, 2]),
    ('6.6.47-12.1.3.tl4.aarch64', 'tl4', 'tl4', None, [6, 6, 47, 12, 1, 3]),
    ('6.6.114-43.oc9.x86_64', 'oc9', 'opencloudos', None, [6, 6, 114, 43]),
    ('6.6.117-45.1.oc9.x86_64', 'oc9', 'opencloudos', None, [6, 6, 117, 45, 1]),
]

# Kernels of the same upstream versions with no Tencent or OpenCloudOS marker: stock, every one.
NEAR_MISSES = [
    '3.10.0-1160.el7.x86_64',          # CentOS 7
    '3.10.0-1160.119.1.el7.x86_64',
    '4.14.0-115.el7a.aarch64',         # CentOS AltArch
    '4.14.355-275.570.amzn2.x86_64',   # Amazon Linux 2, 4.14 like TK3
    '4.19.91-27.an8.x86_64',           # Alibaba Cloud Linux 3
    '5.4.0-42-generic',                # Ubuntu 20.04, 5.4 like TK4
    '5.4.0-1103-aws',
    '5.4.17-2136.307.3.1.el8uek.x86_64',  # Oracle UEK6, 5.4
    '5.4.274-189.375.amzn2.x86_64',    # Amazon Linux 2, 5.4
    '5.4.119-1.el8.x86_64',
    '6.1.0-27-amd64',                  # Debian 12
    '6.6.0-28.0.0.34.oe2403.x86_64',   # openEuler, 6.6 like tl4/oc9
    '4.18.0-348.el8.x86_64',
    'not-a-kernel',
    '',
]


@pytest.mark.parametrize('release, line, flavour, tree, key', REAL_KERNELS)
def test_every_real_line_is_recognised_from_uname_alone(release, line, flavour, tree, key):
    parsed = kr.parse_kernel_release(release)
    assert parsed['line'] == line
    assert parsed['flavour'] == flavour
    assert parsed['tree'] == tree
    assert parsed['version_key'] == key
    assert kr.kernel_line(release) == line
    assert kr.kernel_flavour(release) == flavour


@pytest.mark.parametrize('release', NEAR_MISSES)
def test_kernels_without_a_tencent_or_opencloudos_marker_stay_stock(release):
    assert kr.kernel_line(release) == 'stock'
    assert kr.parse_kernel_release(release)['line_features'] == {
        'stats_isolation': False, 'max_map_count_gate': False, 'kpatch_core': False}


def test_features_follow_the_line_not_the_release():
    # TK3 4.14 (tkernel3 and git-tag builds alike) has stats isolation, the gate and the kpatch core
    # module; TK4-based lines (TencentOS 2.4's TK4, kernel-tlinux4, TKE native, OpenCloudOS 8) have the
    # gate only; tkernel2 (3.10) and the 6.6 lines have none of them (facts sheet sections 5, 6 and 8).
    def features(release):
        return kr.parse_kernel_release(release)['line_features']
    for release in ('4.14.105-1-tlinux3-0013', '4.14.105-19-0020.1'):
        assert features(release) == {'stats_isolation': True, 'max_map_count_gate': True, 'kpatch_core': True}
    for release in ('5.4.119-19-0009.1', '5.4.119-1-tlinux4-0006', '5.4.241-19-0017.1_plus',
                    '5.4.241-30.0017.19', '5.4.119-19.0010.ocrelease.6'):
        assert features(release) == {'stats_isolation': False, 'max_map_count_gate': True, 'kpatch_core': False}
    for release in ('3.10.107-1-tlinux2_kvm_guest-0055', '6.6.98-40.2.tl4.x86_64', '6.6.114-43.oc9.x86_64'):
        assert features(release) == {'stats_isolation': False, 'max_map_count_gate': False, 'kpatch_core': False}


def test_architecture_is_read_only_where_uname_carries_it():
    assert kr.parse_kernel_release('6.6.98-40.2.tl4.x86_64')['arch'] == 'x86_64'
    assert kr.parse_kernel_release('4.14.105-19-0020.1')['arch'] is None
    assert kr.parse_kernel_release('5.4.241-30.0017.19')['arch'] is None


def test_builds_of_one_line_compare_in_build_order():
    def key(release):
        return kr.parse_kernel_release(release)['version_key']
    assert key('4.14.105-19-0013') < key('4.14.105-19-0020.1') < key('4.14.105-20-0001')
    assert key('5.4.119-1-tlinux4-0006') < key('5.4.119-1-tlinux4-0011') < key('5.4.203-1-tlinux4-0001')


def test_unparseable_release_has_no_version():
    parsed = kr.parse_kernel_release('not-a-kernel')
    assert parsed['line'] == 'stock'
    assert parsed['version_key'] == []
    assert parsed['upstream'] is None


def test_older_lines_have_an_older_series():
    assert kr.series_of('tk3') < kr.series_of('tk4') == kr.series_of('tlinux4') < kr.series_of('tl4')
    assert kr.series_of('tkernel2') < kr.series_of('tkernel3') == kr.series_of('tk3')


# The package -> uname -r name rules (the fallback), one row per shape of the table:
# (name, version, release, arch, uname -r).
NAME_RULES = [
    ('kernel-tlinux2_kvm_guest', '3.10.107', '1.0055.tl2', 'x86_64', '3.10.107-1-tlinux2_kvm_guest-0055'),
    ('kernel-tlinux3', '4.14.105', '1.0013.tl2', 'x86_64', '4.14.105-1-tlinux3-0013'),
    ('kernel-tlinux3', '4.14.105', '1.0020.1.tl2', 'x86_64', '4.14.105-1-tlinux3-0020.1'),
    ('kernel', '4.14.105', '19.0013.tl2', 'x86_64', '4.14.105-19-0013'),
    ('kernel', '4.14.105', '19.0020.1.tl2', 'x86_64', '4.14.105-19-0020.1'),
    ('kernel', '5.4.119', '19.0009.1.tl3', 'x86_64', '5.4.119-19-0009.1'),
    ('kernel', '5.4.119', '19.0011.tl2', 'x86_64', '5.4.119-19-0011'),   # TK4 on TencentOS 2.4
    ('kernel', '5.4.241', '19.0017.1_plus.tl3', 'x86_64', '5.4.241-19-0017.1_plus'),
    # the facts sheet's confirmed example: this package owns /lib/modules/5.4.119-1-tlinux4-0006
    ('kernel-tlinux4', '5.4.119', '1.0006.tl2', 'x86_64', '5.4.119-1-tlinux4-0006'),
    ('kernel-tlinux4', '5.4.119', '1.0006.tl3', 'x86_64', '5.4.119-1-tlinux4-0006'),
    ('kernel-tlinux4-core', '5.4.203', '1.0011.1.tl3', 'x86_64', '5.4.203-1-tlinux4-0011.1'),
    ('kernel', '5.4.119', '19.0010.ocrelease.6.oc8', 'x86_64', '5.4.119-19.0010.ocrelease.6'),
    ('kernel-core', '5.4.241', '30.0017.19.oc8', 'x86_64', '5.4.241-30.0017.19'),
    ('kernel', '6.6.98', '40.2.tl4', 'x86_64', '6.6.98-40.2.tl4.x86_64'),
    ('kernel-core', '6.6.114', '43.oc9', 'x86_64', '6.6.114-43.oc9.x86_64'),
    ('kernel', '3.10.0', '1160.el7', 'x86_64', '3.10.0-1160.el7.x86_64'),
]


@pytest.mark.parametrize('name, version, release, arch, uname', NAME_RULES)
def test_name_rules_give_the_uname_r_of_every_shape(name, version, release, arch, uname):
    assert kr.uname_by_name_rule(name, version, release, arch) == uname
    assert kr.package_uname(name, version, release, arch) == (uname, 'name_rule')


@pytest.mark.parametrize('name, version, release, arch, uname', NAME_RULES)
def test_uname_r_leads_back_to_its_package(name, version, release, arch, uname):
    wanted = kr.package_for_uname(uname)
    base_name = name[:-len('-core')] if name.endswith('-core') else name
    assert base_name in wanted['packages'] or name in wanted['packages']
    assert wanted['version'] == version
    assert release.startswith(wanted['release_prefix'])
    assert wanted['line'] == kr.kernel_line(uname)


def test_the_old_tlinux4_shape_of_section_2_is_not_what_a_package_builds():
    # Section 8: "5.4.119-1.0007.tlinux4" was never seen on a host.
    assert kr.uname_by_name_rule('kernel-tlinux4', '5.4.119', '1.0007.tl3', 'x86_64') != '5.4.119-1.0007.tlinux4'


def test_package_metadata_wins_over_the_name_rules():
    # A split build declares its uname -r; an installed package owns /lib/modules/<uname -r>.
    provides = [('kernel-tlinux4', '5.4.119-1.0007.tl3'), ('kernel-uname-r', '5.4.119-1-tlinux4-0007')]
    assert kr.package_uname('kernel-tlinux4', '5.4.119', '1.0007.tl3', 'x86_64', provides) == \
        ('5.4.119-1-tlinux4-0007', 'provides')
    # a build whose uname -r no rule could guess: the owned directory decides
    owned = ['/lib/modules/3.10.106-1-tlinux2_kvm_guest-0052.tl2']
    assert kr.package_uname('kernel-tlinux2_kvm_guest', '3.10.106', '1.0052.tl2', 'x86_64', (), owned) == \
        ('3.10.106-1-tlinux2_kvm_guest-0052.tl2', 'owned_path')
    assert kr.package_uname('kernel', '6.6.98', '40.2.tl4', 'x86_64', (), ['/boot/vmlinuz-6.6.98-40.2.tl4.x86_64']) == \
        ('6.6.98-40.2.tl4.x86_64', 'owned_path')


def test_owned_paths_that_are_not_a_kernel_directory_say_nothing():
    assert kr.uname_from_owned_path('/lib/modules/') is None
    assert kr.uname_from_owned_path('/boot/grub2/grub.cfg') is None
    assert kr.uname_from_owned_path('/lib/modules/5.4.119-1-tlinux4-0006/kernel/fs') == '5.4.119-1-tlinux4-0006'


def test_split_nvra_rejects_what_is_not_an_rpm_name():
    with pytest.raises(ValueError):
        kr.split_nvra('kernel')


def test_package_for_uname_needs_a_local_version():
    with pytest.raises(ValueError):
        kr.package_for_uname('4.14.105')


def test_every_line_names_its_packages_and_every_package_is_a_kernel_package():
    for line in kr.LINES:
        assert line['packages']
        assert set(line['packages']) <= set(kr.KERNEL_PACKAGES)
    assert 'kernel-tlinux3' in kr.KERNEL_PACKAGES and 'kernel-tlinux2_kvm_guest' in kr.KERNEL_PACKAGES


def test_boot_file_names_round_trip():
    for _name, _version, _release, _arch, uname in NAME_RULES:
        files = kr.boot_files(uname)
        assert files['vmlinuz'] == '/boot/vmlinuz-' + uname
        for key in ('vmlinuz', 'initramfs', 'system_map', 'config'):
            assert kr.uname_from_boot_file(files[key]) == uname
    assert kr.uname_from_boot_file('/boot/grub2/grub.cfg') is None
