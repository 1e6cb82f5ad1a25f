# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kernel release strings, flavours and the uname -r / RPM / /boot mapping (facts sheet section 2)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.tencentos.fleet.plugins.module_utils import tencentos

# Real `uname -r` strings, from the facts sheet (section 1 and 2) and ansible-core's
# tencentos_3_1.json fixture ("platform.release").
REAL_KERNELS = [
    ('4.14.105-19-0020.1', 'tk3', '4.14.105', [4, 14, 105, 19, 20, 1]),
    ('4.14.105-19-0013', 'tk3', '4.14.105', [4, 14, 105, 19, 13]),
    ('5.4.119-19-0009.1', 'tk4', '5.4.119', [5, 4, 119, 19, 9, 1]),
    ('5.4.32-19-0001', 'tk4', '5.4.32', [5, 4, 32, 19, 1]),
    ('5.4.119-1.0007.tlinux4', 'tk4', '5.4.119', [5, 4, 119, 1, 7]),
    ('6.6.98-40.2.tl4.x86_64', 'tl4', '6.6.98', [6, 6, 98, 40, 2]),
    ('5.4.119-19.0010.ocrelease.6', 'opencloudos', '5.4.119', [5, 4, 119, 19, 10, 6]),
    ('6.6.114-43.oc9.x86_64', 'opencloudos', '6.6.114', [6, 6, 114, 43]),
    ('3.10.0-1160.el7.x86_64', 'stock', '3.10.0', [3, 10, 0, 1160]),
    ('4.18.0-348.el8.x86_64', 'stock', '4.18.0', [4, 18, 0, 348]),
    ('6.1.0-27-amd64', 'stock', '6.1.0', [6, 1, 0, 27]),
]


@pytest.mark.parametrize('release, flavour, upstream, key', REAL_KERNELS)
def test_real_kernel_strings_are_classified_and_parsed(release, flavour, upstream, key):
    parsed = tencentos.parse_kernel_release(release)
    assert parsed['flavour'] == flavour
    assert parsed['flavour_name'] == tencentos.FLAVOUR_NAMES[flavour]
    assert parsed['upstream'] == upstream
    assert parsed['version_key'] == key
    assert parsed['version'] == '.'.join(str(part) for part in key)


def test_stock_4_14_and_5_4_kernels_are_not_taken_for_tencentos_ones():
    assert tencentos.kernel_flavour('4.14.0-115.el7a.aarch64') == 'stock'
    assert tencentos.kernel_flavour('5.4.0-42-generic') == 'stock'


def test_architecture_is_split_off():
    assert tencentos.parse_kernel_release('6.6.98-40.2.tl4.x86_64')['arch'] == 'x86_64'
    assert tencentos.parse_kernel_release('4.14.105-19-0020.1')['arch'] is None


def test_versions_of_one_flavour_compare_in_build_order():
    older = tencentos.parse_kernel_release('4.14.105-19-0013')['version_key']
    newer = tencentos.parse_kernel_release('4.14.105-19-0020.1')['version_key']
    newest_upstream = tencentos.parse_kernel_release('4.14.105-20-0001')['version_key']
    assert older < newer < newest_upstream


def test_garbage_is_a_stock_kernel_without_version():
    parsed = tencentos.parse_kernel_release('not-a-kernel')
    assert parsed['flavour'] == 'stock'
    assert parsed['version_key'] == []


# RPM NVRA -> uname -r, facts sheet section 2.
RPM_TO_UNAME = [
    ('kernel-4.14.105-19.0013.tl2.x86_64', '4.14.105-19-0013'),
    ('kernel-4.14.105-19.0020.1.tl2.x86_64', '4.14.105-19-0020.1'),
    ('kernel-5.4.119-19.0009.1.tl3.x86_64', '5.4.119-19-0009.1'),
    ('kernel-5.4.119-19.0009.1.tl2.x86_64', '5.4.119-19-0009.1'),
    ('kernel-tlinux4-5.4.119-1.0007.tl3.x86_64', '5.4.119-1.0007.tlinux4'),
    ('kernel-tlinux4-5.4.119-1.0007', '5.4.119-1.0007.tlinux4'),
    ('kernel-6.6.98-40.2.tl4.x86_64', '6.6.98-40.2.tl4.x86_64'),
    ('kernel-core-6.6.114-43.oc9.x86_64', '6.6.114-43.oc9.x86_64'),
    ('kernel-5.4.119-19.0010.ocrelease.6.x86_64', '5.4.119-19.0010.ocrelease.6'),
    ('kernel-3.10.0-1160.el7.x86_64', '3.10.0-1160.el7.x86_64'),
]


@pytest.mark.parametrize('nvra, uname', RPM_TO_UNAME)
def test_rpm_names_map_to_uname_r(nvra, uname):
    assert tencentos.nvra_to_uname(nvra) == uname


@pytest.mark.parametrize('nvra, uname', RPM_TO_UNAME)
def test_uname_r_finds_the_rpm_it_came_from(nvra, uname):
    wanted = tencentos.uname_to_rpm(uname)
    name, version, release, arch = tencentos.split_nvra(nvra)
    assert version == wanted['version']
    assert release.startswith(wanted['release_prefix'])
    assert tencentos.rpm_matches_uname(name, version, release, arch, uname)


def test_uname_r_does_not_match_a_neighbouring_build():
    assert not tencentos.rpm_matches_uname('kernel', '4.14.105', '19.0013.tl2', 'x86_64', '4.14.105-19-0013.1')
    assert not tencentos.rpm_matches_uname('kernel', '4.14.105', '19.0013.1.tl2', 'x86_64', '4.14.105-19-0013')
    assert not tencentos.rpm_matches_uname('kernel', '4.14.105', '19.0013.tl2', 'x86_64', '4.14.105-19-0014')
    assert not tencentos.rpm_matches_uname('kernel', '6.6.98', '40.2.tl4', 'x86_64', '6.6.98-40.2.tl4.aarch64')


def test_split_nvra_rejects_what_is_not_an_rpm_name():
    with pytest.raises(ValueError):
        tencentos.split_nvra('kernel')


def test_uname_to_rpm_needs_a_local_version():
    with pytest.raises(ValueError):
        tencentos.uname_to_rpm('4.14.105')


def test_boot_file_names_round_trip():
    for _nvra, uname in RPM_TO_UNAME:
        files = tencentos.boot_files(uname)
        assert files['vmlinuz'] == '/boot/vmlinuz-' + uname
        for key in ('vmlinuz', 'initramfs', 'system_map', 'config'):
            assert tencentos.uname_from_boot_file(files[key]) == uname
    assert tencentos.uname_from_boot_file('/boot/grub2/grub.cfg') is None


RPM_QUERY = (
    'kernel\t4.14.105\t19.0013.tl2\tx86_64\n'
    'kernel\t4.14.105\t19.0020.1.tl2\tx86_64\n'
    'kernel-devel\t4.14.105\t19.0020.1.tl2\tx86_64\n'
    'kernel-core\t6.6.98\t40.2.tl4\tx86_64\n'
    'kernel\t6.6.98\t40.2.tl4\tx86_64\n'
)


def test_rpm_query_lists_bootable_kernels_once_each_oldest_first(tmpdir):
    tmpdir.join('boot', 'vmlinuz-4.14.105-19-0020.1').write('stand-in', ensure=True)
    kernels = tencentos.parse_rpm_query(RPM_QUERY, '4.14.105-19-0020.1', str(tmpdir))
    assert [k['uname_r'] for k in kernels] == ['4.14.105-19-0013', '4.14.105-19-0020.1', '6.6.98-40.2.tl4.x86_64']
    assert [k['running'] for k in kernels] == [False, True, False]
    assert [k['boot_image'] for k in kernels] == [False, True, False]
    assert kernels[2]['packages'] == ['kernel-6.6.98-40.2.tl4.x86_64', 'kernel-core-6.6.98-40.2.tl4.x86_64']


def test_gather_kernel_reads_osrelease_not_uname(tmpdir):
    tmpdir.join('proc', 'sys', 'kernel', 'osrelease').write('5.4.119-19-0009.1\n', ensure=True)
    calls = []

    def run(argv):
        calls.append(argv)
        return 0, 'kernel\t5.4.119\t19.0009.1.tl3\tx86_64\n', ''

    facts = tencentos.gather_kernel(str(tmpdir), run)
    assert facts['release'] == '5.4.119-19-0009.1'
    assert facts['flavour'] == 'tk4'
    assert facts['installed'][0]['running'] is True
    assert calls[0][:2] == ['rpm', '-qa']


def test_gather_kernel_without_rpm_lists_nothing(tmpdir):
    tmpdir.join('proc', 'sys', 'kernel', 'osrelease').write('6.6.98-40.2.tl4.x86_64\n', ensure=True)
    facts = tencentos.gather_kernel(str(tmpdir), lambda argv: (127, '', 'rpm not found'))
    assert facts['installed'] == []
    assert facts['arch'] == 'x86_64'
