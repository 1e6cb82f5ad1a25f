# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kernel_boot module on /boot trees of an EL8+ host (BLS entries) and an EL7 host (grub.cfg)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re

import pytest

from ansible_collections.tencentos.fleet.plugins.modules import kernel_boot

KERNELOPTS = 'root=/dev/mapper/tl-root ro crashkernel=auto rd.lvm.lv=tl/root rhgb quiet'
OLD = {'bls': '5.4.119-19-0009.1', 'legacy': '4.14.105-19-0013'}
NEW = {'bls': '5.4.119-19-0010.1', 'legacy': '4.14.105-19-0020.1'}


class Host:
    """A /boot tree with the running (old) and the new kernel; saved_entry on the old one."""

    def __init__(self, boot_tree, style):
        self.tree = boot_tree
        self.style = style
        self.old, self.new = OLD[style], NEW[style]
        lines = ['saved_entry=' + self.name(self.old), 'kernelopts=' + KERNELOPTS, 'boot_success=0']
        if style == 'bls':
            boot_tree.bls([self.old, self.new], grubenv=lines)
        else:
            boot_tree.legacy([self.new, self.old], grubenv=lines)
        self.root = boot_tree.root
        self.grubenv = str(boot_tree.path('/boot/grub2/grubenv'))

    def name(self, kernel):
        """What grubenv stores for a kernel's entry: the BLS id, the legacy menu title."""
        return self.tree.bls_id(kernel) if self.style == 'bls' else self.tree.legacy_title(kernel)

    def content(self):
        with open(self.grubenv, 'rb') as handle:
            return handle.read()

    def variables(self):
        text = self.content().decode('utf-8').rstrip('#')
        return [line for line in text.split('\n')[1:] if line]


@pytest.fixture(params=['bls', 'legacy'])
def host(request, boot_tree, monkeypatch):
    made = Host(boot_tree, request.param)
    monkeypatch.setattr(kernel_boot, 'ROOT', made.root)
    return made


def test_query_reports_the_state_and_changes_nothing(host, run_module, snapshot):
    before = snapshot(host.root)
    failed, result = run_module(kernel_boot, {})
    assert not failed and result['changed'] is False and result['changes'] == {}
    boot = result['boot']
    assert boot['style'] == host.style
    assert boot['default_kernel'] == host.old and boot['next_kernel'] is None
    assert boot['saved_entry'] == host.name(host.old) and boot['next_entry'] == ''
    assert sorted(entry['kernel'] for entry in boot['entries']) == sorted([host.old, host.new])
    assert boot['grubenv'] == '/boot/grub2/grubenv'
    assert not [key for key in boot if key.startswith('_') or key == 'grubenv_pairs']
    assert snapshot(host.root) == before


def test_next_and_default_kernel_are_written_in_grubs_format(host, run_module):
    failed, result = run_module(kernel_boot, {'next_kernel': host.new, 'default_kernel': host.old})
    assert not failed and result['changed'] is True
    assert result['changes'] == {'next_entry': host.name(host.new)}
    assert len(host.content()) == 1024
    assert host.content().startswith(b'# GRUB Environment Block\n')
    assert host.variables() == ['saved_entry=' + host.name(host.old), 'kernelopts=' + KERNELOPTS, 'boot_success=0',
                                'next_entry=' + host.name(host.new)]
    assert (result['boot']['next_kernel'], result['boot']['default_kernel']) == (host.new, host.old)


def test_default_kernel_replaces_saved_entry_in_place(host, run_module):
    failed, result = run_module(kernel_boot, {'default_kernel': host.new})
    assert not failed and result['changed'] is True
    assert result['changes'] == {'saved_entry': host.name(host.new)}
    assert host.variables() == ['saved_entry=' + host.name(host.new), 'kernelopts=' + KERNELOPTS, 'boot_success=0']
    assert result['boot']['default_kernel'] == host.new


def test_second_run_changes_nothing(host, run_module, snapshot):
    args = {'next_kernel': host.new, 'default_kernel': host.old}
    assert run_module(kernel_boot, args)[1]['changed'] is True
    before = snapshot(host.root)
    failed, result = run_module(kernel_boot, args)
    assert not failed and result['changed'] is False and result['changes'] == {}
    assert snapshot(host.root) == before


def test_clear_next_removes_the_pending_entry(host, run_module):
    run_module(kernel_boot, {'next_kernel': host.new})
    failed, result = run_module(kernel_boot, {'clear_next': True})
    assert not failed and result['changed'] is True and result['changes'] == {'next_entry': None}
    assert host.variables() == ['saved_entry=' + host.name(host.old), 'kernelopts=' + KERNELOPTS, 'boot_success=0']
    assert result['boot']['next_kernel'] is None


def test_check_mode_predicts_and_writes_nothing(host, run_module, snapshot):
    before = snapshot(host.root)
    failed, result = run_module(kernel_boot, {'next_kernel': host.new, 'default_kernel': host.new,
                                              '_ansible_check_mode': True})
    assert not failed and result['changed'] is True
    assert result['changes'] == {'next_entry': host.name(host.new), 'saved_entry': host.name(host.new)}
    assert 'diff' not in result
    # The state before the change, as the module cannot have read one after it.
    assert result['boot']['default_kernel'] == host.old
    assert snapshot(host.root) == before


def test_diff_shows_the_block_before_and_after_without_padding(host, run_module):
    failed, result = run_module(kernel_boot, {'next_kernel': host.new, '_ansible_diff': True})
    assert not failed
    head = '# GRUB Environment Block\nsaved_entry=%s\nkernelopts=%s\nboot_success=0\n' % (
        host.name(host.old), KERNELOPTS)
    assert result['diff'] == {'before_header': '/boot/grub2/grubenv', 'after_header': '/boot/grub2/grubenv',
                              'before': head, 'after': head + 'next_entry=%s\n' % host.name(host.new)}


def test_diff_in_check_mode_writes_nothing(host, run_module, snapshot):
    before = snapshot(host.root)
    failed, result = run_module(kernel_boot, {'default_kernel': host.new, '_ansible_check_mode': True,
                                              '_ansible_diff': True})
    assert not failed and result['changed'] is True
    assert 'saved_entry=%s\n' % host.name(host.new) in result['diff']['after']
    assert 'saved_entry=%s\n' % host.name(host.old) in result['diff']['before']
    assert snapshot(host.root) == before


def test_kernel_without_boot_entry_fails_naming_it_and_changes_nothing(host, run_module, snapshot):
    before = snapshot(host.root)
    failed, result = run_module(kernel_boot, {'next_kernel': '5.4.119-19-0099', 'default_kernel': host.new})
    assert failed
    assert result['msg'].startswith('no boot entry for kernel 5.4.119-19-0099 (entries for: ')
    assert host.old in result['msg'] and host.new in result['msg']
    assert result['msg'].endswith('; nothing was changed')
    assert snapshot(host.root) == before


def test_kernel_without_boot_entry_in_check_mode_is_a_predicted_change(host, run_module, snapshot):
    before = snapshot(host.root)
    failed, result = run_module(kernel_boot, {'next_kernel': '5.4.119-19-0099', '_ansible_check_mode': True})
    assert not failed and result['changed'] is True and result['changes'] == {}
    assert result['msg'] == 'no boot entry for kernel 5.4.119-19-0099 yet: installing its package would create it'
    assert snapshot(host.root) == before


def test_host_without_boot_entries_fails_before_anything(boot_tree, monkeypatch, run_module, snapshot):
    boot_tree.grubenv(['saved_entry=x'])
    monkeypatch.setattr(kernel_boot, 'ROOT', boot_tree.root)
    before = snapshot(boot_tree.root)
    failed, result = run_module(kernel_boot, {'next_kernel': OLD['bls'], '_ansible_check_mode': True})
    assert failed and result['msg'] == ('no boot entries found: neither /boot/loader/entries/*.conf nor a '
                                        'grub.cfg with menu entries; nothing was changed')
    assert result['boot']['style'] == 'none'
    assert snapshot(boot_tree.root) == before


def test_missing_grubenv_is_created(boot_tree, monkeypatch, run_module):
    boot_tree.bls([OLD['bls'], NEW['bls']])
    boot_tree.path('/boot/grub2').ensure(dir=True)
    monkeypatch.setattr(kernel_boot, 'ROOT', boot_tree.root)
    failed, result = run_module(kernel_boot, {'default_kernel': OLD['bls']})
    assert not failed and result['changed'] is True
    assert boot_tree.read_grubenv() == boot_tree.grubenv_block(['saved_entry=' + boot_tree.bls_id(OLD['bls'])])


def test_block_that_would_overflow_fails_and_changes_nothing(boot_tree, monkeypatch, run_module, snapshot):
    boot_tree.bls([OLD['bls'], NEW['bls']], grubenv=['kernelopts=' + 'x' * 950])
    monkeypatch.setattr(kernel_boot, 'ROOT', boot_tree.root)
    before = snapshot(boot_tree.root)
    failed, result = run_module(kernel_boot, {'next_kernel': NEW['bls']})
    assert failed and 'more than 1024' in result['msg'] and result['msg'].endswith('nothing was changed')
    assert snapshot(boot_tree.root) == before


def test_grubenv_symlink_is_followed_and_stays_a_link(boot_tree, monkeypatch, run_module):
    # EL7 UEFI: /boot/grub2/grubenv -> ../efi/EFI/tencentos/grubenv
    boot_tree.bls([OLD['bls'], NEW['bls']])
    target = boot_tree.path('/boot/efi/EFI/tencentos/grubenv')
    target.write(boot_tree.grubenv_block(['saved_entry=' + boot_tree.bls_id(OLD['bls'])]), ensure=True)
    link = boot_tree.path('/boot/grub2/grubenv')
    link.dirpath().ensure(dir=True)
    os.symlink('../efi/EFI/tencentos/grubenv', str(link))
    monkeypatch.setattr(kernel_boot, 'ROOT', boot_tree.root)
    failed, result = run_module(kernel_boot, {'next_kernel': NEW['bls']})
    assert not failed and result['changed'] is True
    assert os.path.islink(str(link)) and os.readlink(str(link)) == '../efi/EFI/tencentos/grubenv'
    assert target.read() == boot_tree.grubenv_block(['saved_entry=' + boot_tree.bls_id(OLD['bls']),
                                                     'next_entry=' + boot_tree.bls_id(NEW['bls'])])
    assert result['boot']['next_kernel'] == NEW['bls']
    # No staging file is left next to the target.
    assert sorted(os.listdir(str(target.dirpath()))) == ['grubenv']


@pytest.mark.parametrize('missing', ['vmlinuz-%s', 'initramfs-%s.img'])
def test_kernel_whose_image_or_initramfs_is_missing_is_not_booted_once(host, run_module, snapshot, missing):
    # GRUB stops at its prompt, and does not reset, when the files of the entry are missing.
    os.remove(os.path.join(host.root, 'boot', missing % host.new))
    before = snapshot(host.root)
    failed, result = run_module(kernel_boot, {'next_kernel': host.new, 'default_kernel': host.old})
    assert failed and result['msg'].startswith('kernel %s cannot boot: /boot/%s missing or empty'
                                               % (host.new, missing % host.new))
    assert snapshot(host.root) == before


class Packages:
    """The host's rpm database and package manager, as kernel_boot calls them: installing the new kernel's
    package runs its scriptlet, which creates the kernel's boot entry and makes it the saved default (the
    TK3/TK4 and EL8 kernel packages do; molecule/resources/rpm/kernel.spec's stand-in does the same)."""

    PACKAGE = {'bls': 'kernel-5.4.119-19.0010.1.tl3.x86_64', 'legacy': 'kernel-4.14.105-19.0020.1.tl2.x86_64'}

    def __init__(self, boot_tree, style, monkeypatch, rc=0, installed=False):
        self.tree, self.style, self.rc = boot_tree, style, rc
        self.old, self.new = OLD[style], NEW[style]
        self.package = self.PACKAGE[style]
        self.installed = [self.package] if installed else []
        self.calls = []
        self.grubenv_lines = ['saved_entry=' + self.name(self.old), 'kernelopts=' + KERNELOPTS]
        self.entries([self.old] + ([self.new] if installed else []))
        boot_tree.grubenv(self.grubenv_lines)
        monkeypatch.setattr(kernel_boot, 'ROOT', boot_tree.root)
        monkeypatch.setattr(kernel_boot, 'not_installed', lambda module, packages: [
            package for package in packages if package not in self.installed])
        monkeypatch.setattr(kernel_boot, 'install_packages', self.install)

    def name(self, kernel):
        return self.tree.bls_id(kernel) if self.style == 'bls' else self.tree.legacy_title(kernel)

    def entries(self, kernels):
        if self.style == 'bls':
            self.tree.bls(kernels)
        else:
            self.tree.legacy(sorted(kernels, reverse=True))

    def install(self, module, manager, packages):
        self.calls.append((manager, list(packages)))
        # The scriptlet runs whether the transaction as a whole then succeeds or not (a later package fails).
        self.entries([self.old, self.new])
        self.tree.grubenv(['saved_entry=' + self.name(self.new), 'kernelopts=' + KERNELOPTS])
        if self.rc == 0:
            self.installed.extend(packages)
        return self.rc, '' if self.rc == 0 else 'Error: Transaction test error: disk full'

    def saved_and_next(self):
        variables = dict(line.split('=', 1) for line in self.tree.read_grubenv().rstrip('#').split('\n')[1:] if line)
        return variables.get('saved_entry'), variables.get('next_entry')


@pytest.fixture(params=['bls', 'legacy'])
def style(request):
    return request.param


def test_install_and_boot_once_leave_the_working_kernel_the_default(boot_tree, style, monkeypatch, run_module):
    """The scriptlet's default never survives the module run that installed the package."""
    packages = Packages(boot_tree, style, monkeypatch)
    failed, result = run_module(kernel_boot, {'install': [packages.package], 'package_manager': 'dnf',
                                              'next_kernel': packages.new, 'default_kernel': packages.old})
    assert not failed and result['changed'] is True
    assert packages.calls == [('dnf', [packages.package])]
    assert result['installed'] == [packages.package]
    assert packages.saved_and_next() == (packages.name(packages.old), packages.name(packages.new))
    assert (result['boot']['default_kernel'], result['boot']['next_kernel']) == (packages.old, packages.new)


def test_an_installed_package_is_not_installed_again(boot_tree, style, monkeypatch, run_module):
    packages = Packages(boot_tree, style, monkeypatch, installed=True)
    args = {'install': [packages.package], 'next_kernel': packages.new, 'default_kernel': packages.old}
    failed, result = run_module(kernel_boot, args)
    assert not failed and result['changed'] is True and result['installed'] == []
    failed, result = run_module(kernel_boot, args)
    assert not failed and result['changed'] is False
    assert packages.calls == []


def test_a_failed_install_puts_the_environment_block_back(boot_tree, style, monkeypatch, run_module):
    packages = Packages(boot_tree, style, monkeypatch, rc=1)
    before = boot_tree.read_grubenv()
    failed, result = run_module(kernel_boot, {'install': [packages.package], 'next_kernel': packages.new,
                                              'default_kernel': packages.old})
    assert failed
    assert result['msg'] == ('installing %s failed: Error: Transaction test error: disk full; the GRUB environment '
                             'block was put back as it was before the install' % packages.package)
    assert boot_tree.read_grubenv() == before
    assert result['boot']['default_kernel'] == packages.old and result['installed'] == []


def test_a_failure_after_the_install_puts_the_environment_block_back(boot_tree, style, monkeypatch, run_module):
    """The new kernel's image is missing once installed: no one-time boot, and not its scriptlet's default."""
    packages = Packages(boot_tree, style, monkeypatch)
    before = boot_tree.read_grubenv()
    real_install = packages.install

    def install_without_image(module, manager, names):
        answer = real_install(module, manager, names)
        os.remove(os.path.join(boot_tree.root, 'boot', 'vmlinuz-%s' % packages.new))
        return answer

    monkeypatch.setattr(kernel_boot, 'install_packages', install_without_image)
    failed, result = run_module(kernel_boot, {'install': [packages.package], 'next_kernel': packages.new,
                                              'default_kernel': packages.old})
    assert failed and result['msg'].startswith('kernel %s cannot boot: /boot/vmlinuz-%s missing' % (packages.new, packages.new))
    assert result['msg'].endswith('; the GRUB environment block was put back as it was before the install')
    assert boot_tree.read_grubenv() == before


def test_check_mode_predicts_the_install_and_installs_nothing(boot_tree, style, monkeypatch, run_module, snapshot):
    packages = Packages(boot_tree, style, monkeypatch)
    before = snapshot(boot_tree.root)
    failed, result = run_module(kernel_boot, {'install': [packages.package], 'next_kernel': packages.new,
                                              'default_kernel': packages.old, '_ansible_check_mode': True})
    assert not failed and result['changed'] is True and result['installed'] == [packages.package]
    assert packages.calls == []
    assert snapshot(boot_tree.root) == before


# ---------------------------------------------------------------------------
# The record of kernels that did not come up
# ---------------------------------------------------------------------------

RECORD = '/var/lib/tencentos-fleet/kernel-boot-failures'


def record_text(host):
    path = host.tree.path(RECORD)
    return path.read() if path.check() else None


def test_a_kernel_that_did_not_come_up_is_recorded_with_the_boot_entries_in_one_run(host, run_module):
    run_module(kernel_boot, {'next_kernel': host.new})
    failed, result = run_module(kernel_boot, {'default_kernel': host.old, 'clear_next': True, 'failed_boot': host.new})
    assert not failed and result['changed'] is True
    assert result['boot']['next_kernel'] is None and result['boot']['default_kernel'] == host.old
    lines = record_text(host).splitlines()
    assert len(lines) == 1 and lines[0].split()[0] == host.new
    assert re.match(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$', lines[0].split()[1])
    assert result['failed_boots'] == {host.new: lines[0].split()[1]}


def test_a_kernel_that_came_up_leaves_the_record_and_the_others_stay(host, run_module, snapshot):
    host.tree.path(RECORD).write('# kept\n%s 2026-12-01T10:00:00Z\n9.9.9-1-0001 2026-12-02T10:00:00Z\n' % host.new,
                                 ensure=True)
    failed, result = run_module(kernel_boot, {'default_kernel': host.new, 'came_up': host.new})
    assert not failed and result['changed'] is True
    assert record_text(host) == '# kept\n9.9.9-1-0001 2026-12-02T10:00:00Z\n'
    assert result['failed_boots'] == {'9.9.9-1-0001': '2026-12-02T10:00:00Z'}
    before = snapshot(host.root)
    failed, again = run_module(kernel_boot, {'default_kernel': host.new, 'came_up': host.new})
    assert not failed and again['changed'] is False and snapshot(host.root) == before


def test_no_record_and_a_kernel_that_came_up_changes_nothing(host, run_module):
    failed, result = run_module(kernel_boot, {'default_kernel': host.old, 'came_up': host.old})
    assert not failed and result['changed'] is False and result['failed_boots'] == {}
    assert record_text(host) is None


def test_check_mode_predicts_the_record_and_writes_nothing(host, run_module, snapshot):
    before = snapshot(host.root)
    failed, result = run_module(kernel_boot, {'failed_boot': host.new, '_ansible_check_mode': True})
    assert not failed and result['changed'] is True and list(result['failed_boots']) == [host.new]
    assert snapshot(host.root) == before
