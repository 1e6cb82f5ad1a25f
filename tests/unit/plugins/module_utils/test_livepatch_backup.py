# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Saving what a hot patch run is about to change on disk, and putting it back, on fixture trees."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import stat

import pytest

from ansible_collections.tencentos.fleet.plugins.module_utils import livepatch
from ansible_collections.tencentos.fleet.plugins.module_utils.livepatch_backup import (
    BACKUP_DIR, MANIFEST, Backups, backup_dir_problem, missing_directories)

KERNEL = '5.4.119-19-0009.1'
COPY = '/var/lib/kpatch/%s/livepatch_cve_2026_1234.ko' % KERNEL
LINK = '/etc/systemd/system/multi-user.target.wants/tencentos-fleet-livepatch.service'


def path(tmpdir, host_path):
    return tmpdir.join(*host_path.strip('/').split('/'))


def mode(tmpdir, host_path):
    return stat.S_IMODE(os.stat(str(path(tmpdir, host_path))).st_mode)


def run_dirs(tmpdir):
    base = path(tmpdir, BACKUP_DIR)
    return sorted(entry.basename for entry in base.listdir()) if base.check(dir=True) else []


def test_a_replaced_file_is_put_back_byte_for_byte_with_its_mode(tmpdir):
    path(tmpdir, COPY).write_binary(b'\x7fELF first build\x00\xff', ensure=True)
    path(tmpdir, COPY).chmod(0o640)
    backups = Backups(str(tmpdir))
    backups.save(COPY)
    path(tmpdir, COPY).write_binary(b'\x7fELF second build')
    path(tmpdir, COPY).chmod(0o644)
    assert backups.restore() == []
    assert path(tmpdir, COPY).read_binary() == b'\x7fELF first build\x00\xff' and mode(tmpdir, COPY) == 0o640


def test_a_removed_file_is_put_back(tmpdir):
    path(tmpdir, COPY).write_binary(b'first build', ensure=True)
    backups = Backups(str(tmpdir))
    backups.save(COPY)
    path(tmpdir, COPY).remove()
    assert backups.restore() == [] and path(tmpdir, COPY).read_binary() == b'first build'


def test_backups_are_kept_in_a_directory_of_the_runs_own_outside_kpatchs_layout(tmpdir):
    path(tmpdir, COPY).write_binary(b'first build', ensure=True)
    path(tmpdir, COPY).chmod(0o644)
    backups = Backups(str(tmpdir))
    backups.save(COPY)
    assert backups.directory.startswith(BACKUP_DIR + '/') and not backups.directory.startswith(livepatch.INSTALL_DIR)
    assert run_dirs(tmpdir) == [os.path.basename(backups.directory)]
    saved = path(tmpdir, backups.directory + '/1-livepatch_cve_2026_1234.ko')
    assert saved.read_binary() == b'first build' and mode(tmpdir, backups.directory + '/1-livepatch_cve_2026_1234.ko') \
        == 0o600
    assert path(tmpdir, backups.directory + '/' + MANIFEST).read() == '%s 0644 1-livepatch_cve_2026_1234.ko\n' % COPY
    # kpatch's boot service and livepatch.installed_files see only the copy, not its backup.
    assert livepatch.installed_files(str(tmpdir)) == [(KERNEL, 'livepatch_cve_2026_1234')]


def test_a_file_the_run_created_is_removed_with_the_directories_made_for_it(tmpdir):
    path(tmpdir, '/var/lib').ensure(dir=True)
    backups = Backups(str(tmpdir))
    backups.save(COPY)
    path(tmpdir, COPY).write('new', ensure=True)
    assert backups.restore() == []
    assert not path(tmpdir, '/var/lib/kpatch').check() and path(tmpdir, '/var/lib').check(dir=True)
    # Nothing needed a backup file: no backup directory was made.
    assert backups.directory is None and not path(tmpdir, '/var/lib/tencentos-fleet').check()


def test_a_directory_made_for_a_file_is_kept_when_something_else_is_in_it(tmpdir):
    backups = Backups(str(tmpdir))
    backups.save(COPY)
    path(tmpdir, COPY).write('new', ensure=True)
    path(tmpdir, COPY).dirpath().join('other.ko').write('put there meanwhile')
    assert backups.restore() == []
    assert not path(tmpdir, COPY).check() and path(tmpdir, COPY).dirpath().join('other.ko').check(file=True)


def test_a_link_is_put_back_as_it_pointed(tmpdir):
    path(tmpdir, LINK).dirpath().ensure(dir=True)
    os.symlink(livepatch.OWN_UNIT_PATH, str(path(tmpdir, LINK)))
    backups = Backups(str(tmpdir))
    backups.save(LINK)
    os.remove(str(path(tmpdir, LINK)))
    os.symlink('/usr/lib/systemd/system/kpatch.service', str(path(tmpdir, LINK)))
    assert backups.restore() == []
    assert os.readlink(str(path(tmpdir, LINK))) == livepatch.OWN_UNIT_PATH


def test_a_path_saved_twice_keeps_its_state_before_the_first_change(tmpdir):
    path(tmpdir, COPY).write('first', ensure=True)
    backups = Backups(str(tmpdir))
    backups.save(COPY)
    path(tmpdir, COPY).write('second')
    backups.save(COPY)
    path(tmpdir, COPY).write('third')
    assert backups.restore() == [] and path(tmpdir, COPY).read() == 'first'


def test_a_file_already_as_it_was_is_not_written_again(tmpdir):
    path(tmpdir, COPY).write('first', ensure=True)
    os.utime(str(path(tmpdir, COPY)), (1000000000, 1000000000))
    backups = Backups(str(tmpdir))
    backups.save(COPY)
    assert backups.restore() == []
    assert os.stat(str(path(tmpdir, COPY))).st_mtime == 1000000000


def test_restore_of_some_paths_leaves_the_others(tmpdir):
    path(tmpdir, COPY).write('first', ensure=True)
    other = COPY.replace('1234', '5678')
    path(tmpdir, other).write('other first')
    backups = Backups(str(tmpdir))
    backups.save(COPY)
    backups.save(other)
    path(tmpdir, COPY).write('changed')
    path(tmpdir, other).write('other changed')
    assert backups.restore([other]) == []
    assert path(tmpdir, other).read() == 'other first' and path(tmpdir, COPY).read() == 'changed'


def test_what_cannot_be_put_back_is_said_with_where_its_backup_is(tmpdir):
    path(tmpdir, COPY).write('first', ensure=True)
    path(tmpdir, COPY).chmod(0o644)
    backups = Backups(str(tmpdir))
    backups.save(COPY)
    path(tmpdir, COPY).remove()
    path(tmpdir, COPY).ensure(dir=True)  # a directory now stands where the file was
    left = backups.restore()
    saved = backups.directory + '/1-livepatch_cve_2026_1234.ko'
    assert len(left) == 1
    assert left[0].startswith('%s: its earlier content is in %s (mode 0644) (putting it back failed: ' % (COPY, saved))
    assert path(tmpdir, saved).read() == 'first'


def test_a_directory_in_the_place_of_a_file_is_not_saved(tmpdir):
    path(tmpdir, COPY).ensure(dir=True)
    with pytest.raises(OSError):
        Backups(str(tmpdir)).save(COPY)


def test_discard_deletes_the_runs_directory_and_the_directories_it_made(tmpdir):
    path(tmpdir, COPY).write('first', ensure=True)
    backups = Backups(str(tmpdir))
    backups.save(COPY)
    backups.discard()
    assert not path(tmpdir, '/var/lib/tencentos-fleet').check() and path(tmpdir, COPY).read() == 'first'


def test_discard_keeps_what_was_there_before(tmpdir):
    # kernel_target keeps its boot failures in /var/lib/tencentos-fleet; an earlier run's undo left backups.
    path(tmpdir, '/var/lib/tencentos-fleet/kernel-boot-failures').write('', ensure=True)
    path(tmpdir, BACKUP_DIR + '/20261201T000000-abc/1-x.ko').write('kept', ensure=True)
    path(tmpdir, COPY).write('first', ensure=True)
    backups = Backups(str(tmpdir))
    backups.save(COPY)
    backups.discard()
    assert run_dirs(tmpdir) == ['20261201T000000-abc']
    assert path(tmpdir, '/var/lib/tencentos-fleet/kernel-boot-failures').check(file=True)


def test_missing_directories_are_listed_nearest_first(tmpdir):
    path(tmpdir, '/var').ensure(dir=True)
    assert missing_directories(str(tmpdir), COPY) == ['/var/lib/kpatch/' + KERNEL, '/var/lib/kpatch', '/var/lib']
    assert missing_directories(str(tmpdir), '/var/x') == []


def test_something_in_the_way_of_the_backup_directory_is_a_problem(tmpdir):
    assert backup_dir_problem(str(tmpdir)) is None
    path(tmpdir, '/var/lib/tencentos-fleet').write('a file', ensure=True)
    assert backup_dir_problem(str(tmpdir)) == ('/var/lib/tencentos-fleet is in the way of the backup directory %s: it '
                                               'is not a directory' % BACKUP_DIR)
