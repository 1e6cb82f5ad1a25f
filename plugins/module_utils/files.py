# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading and writing a host's files: paths below a root, tolerant reads, one way to replace a file.

Plain functions over paths below a ``root`` directory that stands for ``/``, so that unit tests
run them against fixture trees without Ansible.  Importable by target Pythons 2.7 and 3.6 to
3.13: standard library only.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import stat
import tempfile


def host_path(root, path):
    """Return ``path`` (absolute, as on the host) below ``root``."""
    return os.path.join(root, path.lstrip('/'))


def read_text(root, path):
    """Return the text of a file below ``root``, or None when it cannot be read.

    Kernel interface files can be absent, write-only or vanish while read: all of these
    mean "no value" here, and callers decide what that means.
    """
    try:
        with open(host_path(root, path), 'rb') as handle:
            data = handle.read()
    except (IOError, OSError):
        return None
    return data.decode('utf-8', 'replace')


def list_dir(path):
    """Return the names in a directory, or [] when it cannot be listed (absent, vanished, not a directory)."""
    try:
        return os.listdir(path)
    except (IOError, OSError):
        return []


def read_link(root, path):
    """Return the target of a symbolic link below ``root``, or None."""
    try:
        return os.readlink(host_path(root, path))
    except (IOError, OSError):
        return None


def write_atomically(path, content, mode=None, module=None):
    """Replace the file ``path`` with ``content`` (bytes or text) so that a crash leaves the old or the new file.

    The new content goes to a temporary file in the same directory (a rename is atomic only within
    one file system), gets its mode and owner before anyone can see it under ``path``, is flushed
    to disk, and is renamed over ``path``; then the directory is flushed, so that the rename
    itself survives a power loss (a kernel switch or a hot patch is written on the way to a reboot).

    ``mode`` None keeps the mode of the file replaced (0644 for a new one). The owner and group of a
    replaced file are kept. With ``module``, the SELinux context of the replaced file (or the policy's
    default for a new one) is set on the new file before the rename, as AnsibleModule.atomic_move does.
    A symbolic link at ``path`` is followed: the file it points to is replaced, the link stays.
    """
    path = os.path.realpath(path)
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    try:
        old = os.stat(path)
    except OSError:
        old = None
    if mode is None:
        mode = stat.S_IMODE(old.st_mode) if old is not None else 0o644
    if not isinstance(content, bytes):
        content = content.encode('utf-8')
    handle, staged = tempfile.mkstemp(dir=directory, prefix='.%s.' % os.path.basename(path))
    try:
        with os.fdopen(handle, 'wb') as staged_file:
            staged_file.write(content)
            staged_file.flush()
            os.fchmod(staged_file.fileno(), mode)
            if old is not None and (old.st_uid, old.st_gid) != (os.geteuid(), os.getegid()):
                os.fchown(staged_file.fileno(), old.st_uid, old.st_gid)
            os.fsync(staged_file.fileno())
        if module is not None and module.selinux_enabled():
            context = module.selinux_context(path) if old is not None else module.selinux_default_context(path)
            module.set_context_if_different(staged, context, False)
        os.rename(staged, path)
    except BaseException:
        if os.path.lexists(staged):
            os.unlink(staged)
        raise
    fsync_directory(directory)


def fsync_directory(directory):
    """Flush a directory's entries (a rename or an unlink in it) to disk."""
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
