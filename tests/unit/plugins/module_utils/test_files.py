# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""write_atomically: the one way every module replaces a file on a host."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import stat

import pytest

from ansible_collections.tencentos.fleet.plugins.module_utils import files


def mode_of(path):
    return stat.S_IMODE(os.stat(str(path)).st_mode)


def test_a_new_file_gets_the_mode_asked_for_and_its_directory_is_made(tmpdir):
    path = tmpdir.join('etc', 'sysctl.d', '99-x.conf')
    files.write_atomically(str(path), u'net.core.somaxconn = 4096\n', 0o640)
    assert path.read() == 'net.core.somaxconn = 4096\n'
    assert mode_of(path) == 0o640


def test_a_new_file_without_a_mode_is_0644(tmpdir):
    path = tmpdir.join('grubenv')
    files.write_atomically(str(path), b'# GRUB Environment Block\n')
    assert mode_of(path) == 0o644


def test_a_replaced_file_keeps_its_mode_unless_told_otherwise(tmpdir):
    path = tmpdir.join('grubenv')
    path.write('old')
    os.chmod(str(path), 0o600)
    files.write_atomically(str(path), 'new')
    assert (path.read(), mode_of(path)) == ('new', 0o600)
    files.write_atomically(str(path), 'newer', 0o644)
    assert (path.read(), mode_of(path)) == ('newer', 0o644)


@pytest.mark.skipif(not hasattr(os, 'geteuid') or os.geteuid() != 0, reason='giving a file away needs root')
def test_a_replaced_file_keeps_its_owner(tmpdir):
    path = tmpdir.join('kept.conf')
    path.write('old')
    os.chown(str(path), 65534, 65534)
    files.write_atomically(str(path), 'new', 0o644)
    assert (os.stat(str(path)).st_uid, os.stat(str(path)).st_gid) == (65534, 65534)


def test_a_symbolic_link_is_followed_and_stays_a_link(tmpdir):
    real = tmpdir.join('boot', 'grub2', 'grubenv')
    real.write('old', ensure=True)
    link = tmpdir.join('etc', 'grubenv')
    link.dirpath().ensure(dir=True)
    os.symlink(str(real), str(link))
    files.write_atomically(str(link), 'new')
    assert os.path.islink(str(link))
    assert real.read() == 'new'


def test_a_failed_rename_leaves_the_old_file_and_no_temporary_file(tmpdir, monkeypatch):
    path = tmpdir.join('tencentos-fleet.repo')
    path.write('old')

    def refuse(source, target):
        raise OSError(30, 'Read-only file system')
    monkeypatch.setattr(files.os, 'rename', refuse)
    with pytest.raises(OSError):
        files.write_atomically(str(path), 'new', 0o644)
    assert path.read() == 'old'
    assert sorted(os.listdir(str(tmpdir))) == ['tencentos-fleet.repo']


class SELinuxModule(object):
    """What write_atomically asks of an AnsibleModule, on a host with SELinux enforcing."""

    def __init__(self):
        self.labelled = []

    def selinux_enabled(self):
        return True

    def selinux_context(self, path):
        return ['system_u', 'object_r', 'boot_t', 's0']

    def selinux_default_context(self, path):
        return ['system_u', 'object_r', 'etc_t', 's0']

    def set_context_if_different(self, path, context, changed):
        # Labelled while still under its temporary name: nobody sees it unlabelled under its own.
        assert os.path.basename(path).startswith('.')
        self.labelled.append((os.path.basename(path).split('.')[1], context[2]))
        return True


def test_the_selinux_label_is_set_before_the_rename(tmpdir):
    module = SELinuxModule()
    path = tmpdir.join('grubenv')
    files.write_atomically(str(path), 'new', module=module)
    path.write('old')
    files.write_atomically(str(path), 'newer', module=module)
    assert module.labelled == [('grubenv', 'etc_t'), ('grubenv', 'boot_t')]
