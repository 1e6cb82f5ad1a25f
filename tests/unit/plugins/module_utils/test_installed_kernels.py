# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The running kernel and the installed kernel packages, their uname -r read from rpm (facts sheet, "Kernel lines")."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.tencentos.fleet.plugins.module_utils import installed_kernels

# `rpm -qa --qf RPM_QUERY_FORMAT` output: name, version, release, arch, Provides as name=version pairs.
RPM_QUERY = (
    'kernel\t4.14.105\t19.0013.tl2\tx86_64\tkernel=4.14.105-19.0013.tl2;kernel(x86-64)=4.14.105-19.0013.tl2;\n'
    'kernel\t4.14.105\t19.0020.1.tl2\tx86_64\tkernel=4.14.105-19.0020.1.tl2;\n'
    'kernel-devel\t4.14.105\t19.0020.1.tl2\tx86_64\t\n'
    'kernel-core\t6.6.98\t40.2.tl4\tx86_64\tkernel-uname-r=6.6.98-40.2.tl4.x86_64;\n'
    'kernel\t6.6.98\t40.2.tl4\tx86_64\tkernel=6.6.98-40.2.tl4;\n'
)


def test_rpm_query_lists_bootable_kernels_once_each_oldest_first(tmpdir):
    tmpdir.join('boot', 'vmlinuz-4.14.105-19-0020.1').write('stand-in', ensure=True)
    packages = installed_kernels.parse_rpm_packages(RPM_QUERY)
    kernels = installed_kernels.installed_kernels(packages, {}, '4.14.105-19-0020.1', str(tmpdir))
    assert [k['uname_r'] for k in kernels] == ['4.14.105-19-0013', '4.14.105-19-0020.1', '6.6.98-40.2.tl4.x86_64']
    assert [k['running'] for k in kernels] == [False, True, False]
    assert [k['boot_image'] for k in kernels] == [False, True, False]
    assert [k['line'] for k in kernels] == ['tk3', 'tk3', 'tl4']
    assert kernels[2]['packages'] == ['kernel-6.6.98-40.2.tl4.x86_64', 'kernel-core-6.6.98-40.2.tl4.x86_64']
    assert kernels[2]['uname_source'] == 'provides'
    assert kernels[0]['uname_source'] == 'name_rule'


def test_installed_kernel_uname_r_comes_from_the_directory_the_package_owns(tmpdir):
    # kernel-tlinux4 declares no kernel-uname-r; it owns /lib/modules/5.4.119-1-tlinux4-0006 (facts sheet).
    # The owned directory is taken even where the name rule would compute something else.
    tmpdir.join('lib', 'modules', '5.4.119-1-tlinux4-0006', 'modules.dep').write('', ensure=True)
    tmpdir.join('lib', 'modules', '3.10.106-1-tlinux2_kvm_guest-0052.tl2', 'modules.dep').write('', ensure=True)
    tmpdir.join('lib', 'modules', 'extra-not-owned', 'x').write('', ensure=True)
    tmpdir.join('proc', 'sys', 'kernel', 'osrelease').write('5.4.119-1-tlinux4-0006\n', ensure=True)
    owners = {
        '/lib/modules/5.4.119-1-tlinux4-0006': 'kernel-tlinux4\t5.4.119\t1.0006.tl2\tx86_64\n',
        '/lib/modules/3.10.106-1-tlinux2_kvm_guest-0052.tl2':
            'kernel-tlinux2_kvm_guest\t3.10.106\t1.0052.tl2\tx86_64\n',
    }
    calls = []

    def run(argv):
        calls.append(argv)
        if argv[:2] == ['rpm', '-qa']:
            return 0, ('kernel-tlinux4\t5.4.119\t1.0006.tl2\tx86_64\tkernel-tlinux4=5.4.119-1.0006.tl2;\n'
                       'kernel-tlinux2_kvm_guest\t3.10.106\t1.0052.tl2\tx86_64\t\n'), ''
        if argv[:2] == ['rpm', '-qf']:
            path = argv[-1]
            if path in owners:
                return 0, owners[path], ''
            return 1, 'file %s is not owned by any package\n' % path, ''
        raise AssertionError(argv)

    facts = installed_kernels.gather_kernel(str(tmpdir), run)
    assert facts['line'] == 'tlinux4'
    assert [(k['uname_r'], k['uname_source'], k['running']) for k in facts['installed']] == [
        ('3.10.106-1-tlinux2_kvm_guest-0052.tl2', 'owned_path', False),
        ('5.4.119-1-tlinux4-0006', 'owned_path', True),
    ]
    assert sorted(argv[-1] for argv in calls if argv[1] == '-qf') == sorted(
        ['/lib/modules/' + name for name in ('5.4.119-1-tlinux4-0006', '3.10.106-1-tlinux2_kvm_guest-0052.tl2',
                                             'extra-not-owned')])


def test_no_owner_lookup_when_every_package_declares_its_uname_r(tmpdir):
    tmpdir.join('lib', 'modules', '6.6.98-40.2.tl4.x86_64', 'modules.dep').write('', ensure=True)
    calls = []

    def run(argv):
        calls.append(argv)
        return 0, 'kernel-core\t6.6.98\t40.2.tl4\tx86_64\tkernel-uname-r=6.6.98-40.2.tl4.x86_64;\n', ''

    facts = installed_kernels.gather_kernel(str(tmpdir), run)
    assert [k['uname_r'] for k in facts['installed']] == ['6.6.98-40.2.tl4.x86_64']
    assert [argv[1] for argv in calls] == ['-qa']


def test_gather_kernel_reads_osrelease_not_uname(tmpdir):
    tmpdir.join('proc', 'sys', 'kernel', 'osrelease').write('5.4.119-19-0009.1\n', ensure=True)
    calls = []

    def run(argv):
        calls.append(argv)
        return 0, 'kernel\t5.4.119\t19.0009.1.tl3\tx86_64\tkernel=5.4.119-19.0009.1.tl3;\n', ''

    facts = installed_kernels.gather_kernel(str(tmpdir), run)
    assert facts['release'] == '5.4.119-19-0009.1'
    assert facts['flavour'] == 'tk4'
    assert facts['installed'][0]['running'] is True
    assert calls[0][:2] == ['rpm', '-qa']


def test_gather_kernel_without_rpm_lists_nothing(tmpdir):
    tmpdir.join('proc', 'sys', 'kernel', 'osrelease').write('6.6.98-40.2.tl4.x86_64\n', ensure=True)
    facts = installed_kernels.gather_kernel(str(tmpdir), lambda argv: (127, '', 'rpm not found'))
    assert facts['installed'] == []
    assert facts['arch'] == 'x86_64'
