# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a hot patch run is about to change on disk, saved first so that its undo can put it back.

The livepatch_set module persists a list of patches (copies in kpatch's layout, the boot unit) only
after all of them loaded and verified; if persisting fails half-way, the copies and unit files it
replaced or removed are put back byte for byte, and the ones it created are removed. A saved file is
kept in a directory of this run's own below BACKUP_DIR, never below /var/lib/kpatch, whose
subdirectories are read as kernels (livepatch.installed_files) and loaded at boot.

Target Pythons 2.7 and 3.6 to 3.13, standard library only.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import shutil
import stat
import tempfile
import time

from ansible_collections.tencentos.fleet.plugins.module_utils.files import host_path, write_atomically

BACKUP_DIR = '/var/lib/tencentos-fleet/livepatch-backup'
# In each run's directory: one line per saved file, "<original path> <mode> <file in this directory>", for
# whoever has to put things back by hand after an undo that did not complete.
MANIFEST = 'MANIFEST'


def missing_directories(root, path):
    """The directories above ``path`` that do not exist, nearest first (what a write there would create)."""
    missing = []
    directory = os.path.dirname(path.rstrip('/'))
    while directory not in ('', '/') and not os.path.isdir(host_path(root, directory)):
        missing.append(directory)
        directory = os.path.dirname(directory)
    return missing


def backup_dir_problem(root):
    """Why no backup directory can be made below BACKUP_DIR (something that is not a directory is in the way), or None."""
    path = BACKUP_DIR
    while path not in ('', '/'):
        full = host_path(root, path)
        if os.path.lexists(full) and not os.path.isdir(full):
            return '%s is in the way of the backup directory %s: it is not a directory' % (path, BACKUP_DIR)
        path = os.path.dirname(path)
    return None


class Backups:
    """The state of host paths before this run changed them: a file (its bytes and mode), a link, or nothing.

    ``save`` before a change; ``restore`` puts every saved path back, newest first; ``discard`` deletes
    this run's backup directory once nothing needs it.
    """

    def __init__(self, root, module=None):
        self.root = root
        self.module = module
        # Host path -> (kind, detail): ('file', (backup path, mode)), ('link', target), ('absent', [directories
        # a write would create]). In the order saved; a path is saved once, as it was before the first change.
        self.saved = []
        self.known = set()
        # This run's directory below BACKUP_DIR (host path), made with the first file saved, and the
        # directories above it that this run made.
        self.directory = None
        self.made_dirs = []

    def save(self, path):
        if path in self.known:
            return
        full = host_path(self.root, path)
        if os.path.islink(full):
            entry = ('link', os.readlink(full))
        elif os.path.isfile(full):
            entry = ('file', (self.keep(path, full), stat.S_IMODE(os.stat(full).st_mode)))
        elif not os.path.lexists(full):
            entry = ('absent', missing_directories(self.root, path))
        else:
            raise OSError('%s is not a file: not saved, so not changed' % path)
        self.saved.append((path, entry))
        self.known.add(path)
        if entry[0] == 'file':
            self.write_manifest()

    def keep(self, path, full):
        """Copy the file ``full`` into this run's directory; return the copy's host path."""
        if self.directory is None:
            self.make_directory()
        copy = '%s/%d-%s' % (self.directory, len(self.saved) + 1, os.path.basename(path))
        with open(full, 'rb') as handle:
            write_atomically(host_path(self.root, copy), handle.read(), 0o600, self.module)
        return copy

    def write_manifest(self):
        lines = ['%s %04o %s\n' % (path, detail[1], os.path.basename(detail[0]))
                 for path, (kind, detail) in self.saved if kind == 'file']
        write_atomically(host_path(self.root, self.directory + '/' + MANIFEST), ''.join(lines), 0o600, self.module)

    def make_directory(self):
        # Nearest first, the order in which discard removes them.
        self.made_dirs = missing_directories(self.root, BACKUP_DIR + '/run')
        base = host_path(self.root, BACKUP_DIR)
        if not os.path.isdir(base):
            os.makedirs(base, 0o700)
        # Its own directory per run: a run never mixes its files with another's left after a failed undo.
        made = tempfile.mkdtemp(prefix=time.strftime('%Y%m%dT%H%M%S-'), dir=base)
        self.directory = BACKUP_DIR + '/' + os.path.basename(made)

    def restore(self, paths=None):
        """Put ``paths`` (all saved ones by default) back as they were, newest first.

        Returns what could not be put back, one sentence each, saying where its backup is.
        """
        left = []
        for path, (kind, detail) in reversed(self.saved):
            if paths is not None and path not in paths:
                continue
            try:
                self.restore_one(path, kind, detail)
            except (IOError, OSError) as error:
                left.append(self.describe(path, kind, detail) + ' (putting it back failed: %s)' % error)
        return left

    def restore_one(self, path, kind, detail):
        full = host_path(self.root, path)
        if kind == 'file':
            copy, mode = detail
            with open(host_path(self.root, copy), 'rb') as handle:
                content = handle.read()
            if os.path.islink(full):
                os.remove(full)
            if not self.holds(full, content, mode):
                write_atomically(full, content, mode, self.module)
        elif kind == 'link':
            if os.path.islink(full) and os.readlink(full) == detail:
                return
            if os.path.lexists(full):
                os.remove(full)
            os.symlink(detail, full)
        else:
            if os.path.islink(full) or os.path.isfile(full):
                os.remove(full)
            # The directories the change made for it (/var/lib/kpatch/<kernel>), if nothing else is in them.
            for directory in detail:
                try:
                    os.rmdir(host_path(self.root, directory))
                except OSError:
                    break

    @staticmethod
    def holds(full, content, mode):
        """Whether the file ``full`` has ``content`` and ``mode`` already: then it is left untouched."""
        if not os.path.isfile(full) or stat.S_IMODE(os.stat(full).st_mode) != mode:
            return False
        with open(full, 'rb') as handle:
            return handle.read() == content

    def describe(self, path, kind, detail):
        if kind == 'file':
            return '%s: its earlier content is in %s (mode %04o)' % (path, detail[0], detail[1])
        if kind == 'link':
            return '%s: it was a link to %s' % (path, detail)
        return '%s: it did not exist before this run' % path

    def discard(self):
        """Delete this run's backup directory, and the directories above it that this run made."""
        if self.directory is None:
            return
        shutil.rmtree(host_path(self.root, self.directory))
        for directory in self.made_dirs:
            try:
                os.rmdir(host_path(self.root, directory))
            except OSError:
                break  # another run's backups are still there
        self.directory = None
