# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kernel_target module on a host tree, with dnf/yum and rpm played by canned output."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.tencentos.fleet.plugins.module_utils import kernel_plan
from ansible_collections.tencentos.fleet.plugins.module_utils.installed_kernels import (
    OWNER_QUERY_FORMAT, RPM_QUERY_FORMAT)
from ansible_collections.tencentos.fleet.plugins.modules import kernel_target

# `dnf -q --showduplicates list ...` on a TencentOS 3.1 host (names and versions: facts sheet section 2).
DNF_LIST = '''Installed Packages
kernel.x86_64                      5.4.119-19.0007.tl3                    @anaconda
kernel.x86_64                      5.4.119-19.0008.tl3                    @tencentos-updates
kernel.x86_64                      5.4.119-19.0009.1.tl3                  @tencentos-updates
Available Packages
kernel.x86_64                      5.4.119-19.0008.tl3                    tencentos-updates
kernel.x86_64                      5.4.119-19.0009.1.tl3                  tencentos-updates
kernel.x86_64                      5.4.119-19.0010.1.tl3                  tencentos-updates
kernel-devel.x86_64                5.4.119-19.0010.1.tl3                  tencentos-updates
kernel-headers.x86_64              5.4.119-19.0010.1.tl3                  tencentos-updates
kernel-tlinux4.x86_64              5.4.241-1.0017.tl3                     tencentos-updates
kernel-tlinux4-devel.x86_64        5.4.241-1.0017.tl3                     tencentos-updates
'''

TLINUX4 = '5.4.241-1-tlinux4-0017'


def as_repoquery(listing):
    """The same builds as `dnf -q repoquery --qf REPOQUERY_FORMAT` prints them (installed ones from @System)."""
    blocks = []
    for build in kernel_plan.parse_package_list(listing):
        repo = '@System' if build['installed'] else build['repo']
        blocks.append('@@%s\t%s\t%s\t%s\t%s\t%s\n%s = %s-%s\n' % (
            build['name'], build['epoch'], build['version'], build['release'], build['arch'], repo,
            build['name'], build['version'], build['release']))
    return ''.join(blocks)


# `rpm -qa --qf RPM_QUERY_FORMAT kernel kernel-core ...` on the same host, Provides left out: TK4 tag builds
# declare no kernel-uname-r, and no /lib/modules directory is in the tree, so the name rule gives uname -r.
RPM_QA = ('kernel\t5.4.119\t19.0007.tl3\tx86_64\n'
          'kernel\t5.4.119\t19.0008.tl3\tx86_64\n'
          'kernel\t5.4.119\t19.0009.1.tl3\tx86_64\n')
INSTALLED = ['5.4.119-19-0007', '5.4.119-19-0008', '5.4.119-19-0009.1']
RUNNING = '5.4.119-19-0009.1'
NEWEST = '5.4.119-19-0010.1'

# `yum -q --showduplicates list kernel` on CentOS 7 with the TencentOS 2.4 kernel tree added.
YUM_LIST = '''Installed Packages
kernel.x86_64                     3.10.0-1160.el7                      @anaconda
Available Packages
kernel.x86_64                     3.10.0-1160.el7                      base
kernel.x86_64                     3.10.0-1160.119.1.el7                updates
kernel.x86_64                     4.14.105-19.0013.tl2                 tencentos-kernel
kernel.x86_64                     4.14.105-19.0020.1.tl2               tencentos-kernel
'''


class Host:
    """The module's view of the host: a tree for files, canned output for the commands it runs."""

    def __init__(self, boot_tree, monkeypatch):
        self.tree = boot_tree
        self.binaries = ['dnf', 'yum', 'rpm']
        self.listing = (0, DNF_LIST, '')
        self.rpm = (0, RPM_QA, '')
        self.calls = []
        self.setup(RUNNING, INSTALLED, DNF_LIST, RPM_QA)
        monkeypatch.setattr(kernel_target, 'ROOT', boot_tree.root)
        # Plain functions on the class: the module instance comes first.
        monkeypatch.setattr(kernel_target.AnsibleModule, 'run_command',
                            lambda module, argv, **kwargs: self.run_command(argv, **kwargs))
        monkeypatch.setattr(kernel_target.AnsibleModule, 'get_bin_path',
                            lambda module, name, required=False, opt_dirs=None: self.get_bin_path(name, required))

    def setup(self, running, installed, listing, rpm, saved=None, style='bls'):
        """(Re)build the host: running kernel, boot entries of the installed ones, saved default."""
        for top in ('boot', 'proc'):
            if self.tree.tmpdir.join(top).check():
                self.tree.tmpdir.join(top).remove()
        self.tree.running(running)
        saved = saved or running
        if style == 'bls':
            self.tree.bls(installed, grubenv=['saved_entry=' + self.tree.bls_id(saved)])
        else:
            self.tree.legacy(list(reversed(installed)), grubenv=['saved_entry=' + self.tree.legacy_title(saved)])
        self.listing = (0, listing, '')
        self.rpm = (0, rpm, '')

    def run_command(self, argv, **kwargs):
        self.calls.append((list(argv), kwargs))
        if argv[:4] == ['rpm', '-qa', '--qf', RPM_QUERY_FORMAT]:
            return self.rpm
        if argv[:4] == ['rpm', '-qf', '--qf', OWNER_QUERY_FORMAT]:
            return 1, 'file %s is not owned by any package\n' % argv[4], ''
        if argv[:4] == ['/usr/bin/dnf', '-q', 'repoquery', '--qf']:
            rc, out, err = self.listing
            return rc, as_repoquery(out), err
        if argv[0] == '/usr/bin/yum':
            return self.listing
        raise AssertionError('unexpected command %r' % (argv,))

    def get_bin_path(self, name, required=False):
        if name in self.binaries:
            return '/usr/bin/' + name
        if required:
            raise AssertionError('required binary %s looked up but absent' % name)
        return None

    def listing_calls(self):
        return [argv for argv, _kwargs in self.calls if argv[0] != 'rpm']


@pytest.fixture
def host(boot_tree, monkeypatch):
    return Host(boot_tree, monkeypatch)


def args(**extra):
    values = {'version': 'latest', 'lines': ['tk4', 'tlinux4'], 'min_free_mb': {'/boot': 1, '/': 1}}
    values.update(extra)
    return values


def test_latest_resolves_to_the_newest_build_of_the_running_line(host, run_module):
    failed, result = run_module(kernel_target, args())
    assert not failed and result['changed'] is False
    assert result['target'] == {
        'uname_r': NEWEST, 'uname_source': 'name_rule', 'line': 'tk4',
        'nvra': 'kernel-5.4.119-19.0010.1.tl3.x86_64', 'name': 'kernel', 'version': '5.4.119',
        'release': '19.0010.1.tl3', 'repos': ['tencentos-updates'],
        'packages': ['kernel-5.4.119-19.0010.1.tl3.x86_64'], 'installed': False, 'running': False,
        'all_installed': False}
    assert result['running'] == RUNNING and result['package_manager'] == 'dnf'
    assert result['running_line'] == 'tk4'
    assert result['available'] == ['5.4.119-19-0008', RUNNING, NEWEST, TLINUX4]
    assert result['boot']['style'] == 'bls' and result['boot']['default_kernel'] == RUNNING
    assert '_entries' not in result['boot'] and 'grubenv_pairs' not in result['boot']
    assert sorted(result['free_mb']) == ['/', '/boot'] and result['free_mb']['/boot'] > 0


def test_listing_runs_the_package_manager_in_the_c_locale(host, run_module):
    run_module(kernel_target, args(extras=['devel']))
    assert host.listing_calls() == [['/usr/bin/dnf', '-q', 'repoquery', '--qf', kernel_plan.REPOQUERY_FORMAT,
                                     'kernel', 'kernel-tlinux4', 'kernel-tlinux4-core', 'kernel-devel',
                                     'kernel-tlinux4-devel', 'kernel-tlinux4-core-devel']]
    listing_kwargs = [kwargs for argv, kwargs in host.calls if argv[0] != 'rpm'][0]
    assert listing_kwargs['environ_update'] == {'LC_ALL': 'C'}


def test_yum_is_used_when_the_host_has_no_dnf(host, run_module):
    host.binaries = ['yum', 'rpm']
    failed, result = run_module(kernel_target, args())
    assert not failed and result['package_manager'] == 'yum'
    assert host.listing_calls()[0][:4] == ['/usr/bin/yum', '-q', '--showduplicates', 'list']
    assert result['target']['uname_r'] == NEWEST


def test_package_manager_given_is_used(host, run_module):
    failed, result = run_module(kernel_target, args(package_manager='yum'))
    assert not failed and result['package_manager'] == 'yum'
    assert host.listing_calls()[0][0] == '/usr/bin/yum'


def test_extras_are_added_to_the_packages(host, run_module):
    failed, result = run_module(kernel_target, args(extras=['devel', 'headers']))
    assert not failed
    assert result['target']['packages'] == ['kernel-5.4.119-19.0010.1.tl3.x86_64',
                                            'kernel-devel-5.4.119-19.0010.1.tl3.x86_64',
                                            'kernel-headers-5.4.119-19.0010.1.tl3.x86_64']


def test_missing_extras_fail_naming_them(host, run_module):
    failed, result = run_module(kernel_target, args(version=TLINUX4, extras=['devel', 'headers']))
    assert failed
    assert result['msg'] == 'not in the enabled repositories: kernel-tlinux4-headers-5.4.241-1.0017.tl3'
    assert 'target' not in result


def test_explicit_version_is_resolved(host, run_module):
    failed, result = run_module(kernel_target, args(version=TLINUX4))
    assert not failed
    assert result['target']['nvra'] == 'kernel-tlinux4-5.4.241-1.0017.tl3.x86_64'
    assert result['target']['line'] == 'tlinux4'


def test_explicit_installed_version_is_marked_installed(host, run_module):
    failed, result = run_module(kernel_target, args(version='5.4.119-19-0008'))
    assert not failed
    assert (result['target']['installed'], result['target']['running']) == (True, False)
    assert result['target']['all_installed'] is True


def test_all_installed_needs_the_extras_installed_too(host, run_module):
    """A kernel staged before, with its devel package: the role installs nothing again."""
    listing = DNF_LIST.replace('Available Packages\n', 'kernel.x86_64  5.4.119-19.0010.1.tl3  @tencentos-updates\n'
                               'kernel-devel.x86_64  5.4.119-19.0010.1.tl3  @tencentos-updates\nAvailable Packages\n')
    rpm = RPM_QA + 'kernel\t5.4.119\t19.0010.1.tl3\tx86_64\n'
    host.setup(RUNNING, INSTALLED + [NEWEST], listing, rpm)
    failed, result = run_module(kernel_target, args(extras=['devel']))
    assert not failed and result['target']['uname_r'] == NEWEST
    assert (result['target']['installed'], result['target']['all_installed']) == (True, True)
    failed, result = run_module(kernel_target, args(extras=['devel', 'headers']))
    assert not failed
    assert (result['target']['installed'], result['target']['all_installed']) == (True, False)
    failed, result = run_module(kernel_target, args())
    assert not failed and result['target']['all_installed'] is True


def test_a_kernel_to_install_is_not_all_installed(host, run_module):
    failed, result = run_module(kernel_target, args())
    assert not failed and result['target']['uname_r'] == NEWEST
    assert (result['target']['installed'], result['target']['all_installed']) == (False, False)


def test_running_version_needs_no_room(host, run_module):
    failed, result = run_module(kernel_target, args(version=RUNNING, min_free_mb={'/boot': 10 ** 9}))
    assert not failed
    assert (result['target']['installed'], result['target']['running']) == (True, True)


def test_version_not_in_the_repositories_lists_the_available_ones(host, run_module):
    failed, result = run_module(kernel_target, args(version='5.4.119-19-0099'))
    assert failed
    assert result['msg'] == ('kernel 5.4.119-19-0099 is not in the enabled repositories (line tk4, packages '
                             'kernel); available: 5.4.119-19-0008, 5.4.119-19-0009.1, 5.4.119-19-0010.1, '
                             '5.4.241-1-tlinux4-0017')
    assert result['running'] == RUNNING and 'target' not in result


@pytest.mark.parametrize('version, message', [
    ('5.4.119-19.0010.1.tl3', "version: '5.4.119-19.0010.1.tl3' is an RPM version-release; "
                              "the same kernel as uname -r prints it is '5.4.119-19-0010.1'"),
    ('kernel-5.4.119-19.0010.1.tl3.x86_64', "version: 'kernel-5.4.119-19.0010.1.tl3.x86_64' is a package name; "
                                            "give the kernel release as uname -r prints it"),
    ('newest', "version: 'newest' is neither 'latest' nor a kernel release as uname -r prints it "
               "(e.g. 4.14.105-19-0013)"),
])
def test_malformed_version_fails_before_running_anything(host, run_module, version, message):
    failed, result = run_module(kernel_target, args(version=version))
    assert failed and result['msg'] == message
    assert host.calls == []


def test_keep_below_two_is_refused(host, run_module):
    failed, result = run_module(kernel_target, args(keep=1))
    assert failed
    assert result['msg'] == 'keep: 1 is too few; at least 2 (the working kernel and the new one)'
    assert host.calls == []


def test_no_kernel_lines_is_refused(host, run_module):
    failed, result = run_module(kernel_target, args(lines=[]))
    assert failed and result['msg'] == 'lines: give at least one kernel line of the release'
    assert host.calls == []


def test_unknown_kernel_lines_are_refused_before_running_anything(host, run_module):
    failed, result = run_module(kernel_target, args(lines=['tk4', 'kernel-tlinux4']))
    assert failed and result['msg'].startswith("lines/line: 'kernel-tlinux4' is not a kernel line; the lines are: ")
    assert host.calls == []


def test_too_little_room_fails_naming_the_path(host, run_module):
    failed, result = run_module(kernel_target, args(min_free_mb={'/boot': 10 ** 9, '/': 1}))
    assert failed
    assert result['msg'] == ('not enough room for kernel %s: /boot has %d MiB free, the kernel role needs at '
                             'least 1000000000 MiB' % (NEWEST, result['free_mb']['/boot']))


def test_package_manager_failure_is_reported(host, run_module):
    host.listing = (1, '', 'Error: Failed to download metadata for repo \'tencentos-updates\'\n')
    failed, result = run_module(kernel_target, args())
    assert failed
    assert result['msg'] == ("dnf could not list the kernel packages (rc 1): Error: Failed to download metadata "
                             "for repo 'tencentos-updates'")


def test_no_matching_packages_means_no_build(host, run_module):
    host.listing = (1, '', 'Error: No matching Packages to list\n')
    failed, result = run_module(kernel_target, args())
    assert failed and result['msg'] == 'no build of line tk4 (packages kernel) in the enabled repositories'
    assert result['available'] == []


def test_centos_7_moves_to_tk3_only_when_asked_and_its_own_kernels_are_never_a_target(host, run_module):
    host.setup('3.10.0-1160.el7.x86_64', ['3.10.0-1160.el7.x86_64'], YUM_LIST,
               'kernel\t3.10.0\t1160.el7\tx86_64\n', style='legacy')
    failed, result = run_module(kernel_target, args(lines=['tk3']))
    assert failed and 'set the line (role variable tencentos_kernel_line) to one of: tk3' in result['msg']
    assert result['running_line'] == 'stock'
    failed, result = run_module(kernel_target, args(lines=['tk3'], line='tk3'))
    assert not failed
    assert result['available'] == ['4.14.105-19-0013', '4.14.105-19-0020.1']
    assert result['target']['nvra'] == 'kernel-4.14.105-19.0020.1.tl2.x86_64'
    assert result['boot']['style'] == 'legacy' and result['boot']['default_kernel'] == '3.10.0-1160.el7.x86_64'


def test_nothing_to_prune_while_keep_leaves_room(host, run_module):
    failed, result = run_module(kernel_target, args(keep=4))
    assert not failed and result['prune'] == []


def test_the_target_still_to_install_takes_one_of_the_kept_places(host, run_module):
    # Installed 0007, 0008 and the running 0009.1; 0010.1 comes in: with three kept, 0007 goes.
    failed, result = run_module(kernel_target, args(keep=3))
    assert not failed
    assert result['prune'] == [{'uname_r': '5.4.119-19-0007', 'packages': ['kernel-5.4.119-19.0007.tl3.x86_64']}]


def test_prune_removes_the_oldest_unprotected_kernels(host, run_module):
    failed, result = run_module(kernel_target, args(keep=2))
    assert not failed
    assert [entry['uname_r'] for entry in result['prune']] == ['5.4.119-19-0007', '5.4.119-19-0008']


def test_prune_after_the_switch_keeps_the_new_and_the_previous_kernel(host, run_module):
    installed = INSTALLED + [NEWEST]
    host.setup(NEWEST, installed, DNF_LIST, RPM_QA + 'kernel\t5.4.119\t19.0010.1.tl3\tx86_64\n')
    failed, result = run_module(kernel_target, args(keep=2))
    assert not failed and result['target']['running'] is True
    assert [entry['uname_r'] for entry in result['prune']] == ['5.4.119-19-0007', '5.4.119-19-0008']


def test_prune_keeps_the_saved_default_and_protected_kernels(host, run_module):
    host.setup(NEWEST, INSTALLED + [NEWEST], DNF_LIST, RPM_QA + 'kernel\t5.4.119\t19.0010.1.tl3\tx86_64\n',
               saved='5.4.119-19-0008')
    failed, result = run_module(kernel_target, args(keep=2, protect=['5.4.119-19-0007']))
    assert not failed
    # Running 0010.1, default 0008 and protected 0007 are three already: 0009.1 goes.
    assert [entry['uname_r'] for entry in result['prune']] == [RUNNING]


def test_check_mode_gives_the_same_plan(host, run_module):
    failed, result = run_module(kernel_target, args(_ansible_check_mode=True))
    assert not failed and result['changed'] is False and result['target']['uname_r'] == NEWEST


@pytest.mark.parametrize('check_mode', [True, False])
def test_the_plan_tells_whether_it_ran_in_check_mode(host, run_module, check_mode):
    # The role reads this instead of ansible_check_mode, which follows only the command line.
    failed, result = run_module(kernel_target, args(_ansible_check_mode=check_mode))
    assert not failed and result['check_mode'] is check_mode


def test_latest_never_goes_back_to_an_older_build(host, run_module):
    newer = '5.4.119-19-0011.1'
    host.setup(newer, INSTALLED + [newer], DNF_LIST, RPM_QA + 'kernel\t5.4.119\t19.0011.1.tl3\tx86_64\n')
    failed, result = run_module(kernel_target, args())
    assert not failed
    assert result['target']['uname_r'] == newer and result['target']['running'] is True


def test_a_kernel_that_did_not_come_up_before_is_refused(host, run_module):
    host.tree.path('/var/lib/tencentos-fleet/kernel-boot-failures').write(
        '%s 2026-11-27T22:10:03Z\n' % NEWEST, ensure=True)
    failed, result = run_module(kernel_target, args())
    assert failed and 'kernel %s did not come up on this host before (2026-11-27T22:10:03Z' % NEWEST in result['msg']
    assert 'tencentos_kernel_retry_failed' in result['msg']
    failed, result = run_module(kernel_target, args(retry_failed=True))
    assert not failed and result['target']['uname_r'] == NEWEST


def test_an_installed_target_needs_no_room(host, run_module):
    host.setup(RUNNING, INSTALLED + [NEWEST], DNF_LIST, RPM_QA + 'kernel\t5.4.119\t19.0010.1.tl3\tx86_64\n')
    failed, result = run_module(kernel_target, args(min_free_mb={'/boot': 100000000}))
    assert not failed and result['target']['installed'] is True
