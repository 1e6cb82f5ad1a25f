# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""GPG keys in the RPM database: which of a key file's keys are imported, and importing the file.

RPM keeps each imported key as a package gpg-pubkey-<version>-<release> (gpg_keys.py computes the name), so
one `rpm -q gpg-pubkey` tells which keys a host has without the gpg binary or a change.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import tempfile

from ansible_collections.tencentos.fleet.plugins.module_utils.gpg_keys import primary_keys

# What a key source may be: a path on the host, a file:// URL, or an http(s) URL the host downloads.
REMOTE_SCHEMES = ('http://', 'https://')
FILE_SCHEME = 'file://'


def local_path(source):
    """The path of a local key source, or None for a remote one."""
    if source.startswith(FILE_SCHEME):
        return source[len(FILE_SCHEME):]
    if source.startswith(REMOTE_SCHEMES):
        return None
    return source


def source_problem(source):
    """Why ``source`` cannot name a key, or None."""
    path = local_path(source)
    if path is not None and not os.path.isabs(path):
        return '%r is neither an absolute path, a file:// URL nor an http(s) URL' % source
    return None


def read_key(source, fetch):
    """The bytes of a key source; ``fetch(url)`` reads a remote one. Raises IOError/OSError or what fetch raises."""
    path = local_path(source)
    if path is None:
        return fetch(source)
    with open(path, 'rb') as handle:
        return handle.read()


def imported_names(module):
    """The gpg-pubkey-<version>-<release> names of the keys the RPM database holds."""
    rpm = module.get_bin_path('rpm', required=True)
    rc, out, err = module.run_command([rpm, '-q', '--qf', '%{NAME}-%{VERSION}-%{RELEASE}\\n', 'gpg-pubkey'])
    # rc 1 with "package gpg-pubkey is not installed": no key yet.
    if rc not in (0, 1):
        module.fail_json(msg='rpm -q gpg-pubkey failed (rc %d): %s; nothing was changed' % (rc, (err or out).strip()))
    return set(line.strip() for line in out.splitlines() if line.startswith('gpg-pubkey-'))


class KeyFile(object):
    """One key source: its bytes, its keys' RPM names, and those the database lacks."""

    def __init__(self, source, data):
        self.source = source
        self.data = data
        self.names = [key['rpm_name'] for key in primary_keys(data)]
        self.missing = []

    def report(self):
        """Each key with whether the run imports it (would, in check mode)."""
        return [{'source': self.source, 'rpm_name': name, 'imported': name in self.missing} for name in self.names]


def import_key_file(module, key_file):
    """`rpm --import` the key file's bytes (from a temporary file: the source may be remote)."""
    rpm = module.get_bin_path('rpm', required=True)
    handle, path = tempfile.mkstemp(prefix='tencentos-fleet-key-')
    try:
        with os.fdopen(handle, 'wb') as stream:
            stream.write(key_file.data)
        rc, out, err = module.run_command([rpm, '--import', path])
    finally:
        os.remove(path)
    return rc, (err or out).strip()
