# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""YUM/DNF repository files as plain values: render, compare, resolve URLs.

Pure functions, so that the repo_set module's rendering and probing decisions can be unit
tested without a host.  Python 2.7 and 3.6+ compatible.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

# Keys written first, in this order; any other key of a repository follows, sorted.
KEY_ORDER = ('name', 'baseurl', 'mirrorlist', 'enabled', 'gpgcheck', 'repo_gpgcheck', 'gpgkey',
             'includepkgs', 'exclude', 'metadata_expire', 'sslverify', 'proxy',
             'proxy_username', 'proxy_password', 'skip_if_unavailable')

_REPO_ID = re.compile(r'^[A-Za-z0-9_.:-]+$')
# A section header of a .repo file: "[id]" alone on its line (yum and dnf read the file as INI).
_SECTION = re.compile(r'^\s*\[([^\]]+)\]\s*$')


def ini_value(value):
    """Render one value the way yum and dnf read it."""
    if isinstance(value, bool):
        return '1' if value else '0'
    if isinstance(value, (list, tuple)):
        return ' '.join(str(item) for item in value)
    return str(value)


def render(repos, header):
    """Render repositories (dicts with an ``id``) as one .repo file, in a stable order.

    ``header`` is written as comment lines at the top (the ansible_managed line).
    None values and empty lists are left out.
    """
    lines = ['# %s' % line for line in header.splitlines()] if header else []
    for repo in repos:
        if lines:
            lines.append('')
        lines.append('[%s]' % repo['id'])
        keys = [key for key in KEY_ORDER if key in repo]
        keys += sorted(key for key in repo if key not in KEY_ORDER and key != 'id')
        for key in keys:
            value = repo[key]
            if value is None or value == [] or value == '':
                continue
            lines.append('%s=%s' % (key, ini_value(value)))
    return '\n'.join(lines) + '\n'


def problems(repos, allow_unsigned=False):
    """List what is wrong with a set of repository definitions (empty when all is well).

    gpgcheck=0 is a problem unless ``allow_unsigned`` says the user accepts unsigned packages.
    """
    found = []
    seen = set()
    for index, repo in enumerate(repos):
        repo_id = repo.get('id')
        where = 'repos[%d]' % index
        if not repo_id or not _REPO_ID.match(str(repo_id)):
            found.append('%s: id %r must be letters, digits and _ . : -' % (where, repo_id))
        elif repo_id in seen:
            found.append('%s: id %s appears twice' % (where, repo_id))
        seen.add(repo_id)
        if not repo.get('baseurl') and not repo.get('mirrorlist'):
            found.append('%s (%s): needs a baseurl or a mirrorlist' % (where, repo_id))
        if repo.get('gpgcheck') in (False, 0, '0') and not allow_unsigned:
            found.append('%s (%s): gpgcheck=0 is refused unless unsigned packages are explicitly allowed'
                         % (where, repo_id))
    return found


def expand(url, variables):
    """Replace $basearch, $releasever, ... (and ${name}) in ``url`` from ``variables``."""
    def replace(match):
        name = match.group(1) or match.group(2)
        return str(variables.get(name, match.group(0)))
    return re.sub(r'\$\{(\w+)\}|\$(\w+)', replace, url)


def repomd_url(baseurl, variables):
    """The repomd.xml URL of the first base URL of a repository."""
    first = ini_value(baseurl).split()[0]
    return expand(first, variables).rstrip('/') + '/repodata/repomd.xml'


def enabled(repo):
    return repo.get('enabled', True) not in (False, 0, '0')


def section_ids(text):
    """The repository ids a .repo file defines (its section headers), in file order.

    A ``[main]`` section holds settings, not a repository, and is left out.
    """
    ids = []
    for line in (text or '').splitlines():
        match = _SECTION.match(line)
        if match and match.group(1).strip() != 'main':
            ids.append(match.group(1).strip())
    return ids


def dropped_by_exclusive(release_ids, written_ids, removed_ids):
    """The release's own repositories that an exclusive run would drop, in release order.

    Exclusive mode moves every other .repo file aside, including the image's own (a TencentOS 2.4
    host lists tlinux, tlinux-os, tlinux-updates, tlinux-extras and tlinux-tkernel4: facts sheet
    section 8). A repository of the release survives only if the written file defines it; one
    that it does not define is dropped, which is allowed only for those the user removed by name
    (``removed_ids``).
    """
    keep = set(written_ids) | set(removed_ids)
    return [repo_id for repo_id in release_ids if repo_id not in keep]


def defined_elsewhere(written_ids, foreign_texts):
    """{repository id: [file, ...]} for the written ids that other .repo files define too.

    ``foreign_texts`` maps the other files of the directory to their text. yum and dnf use one
    definition of an id and warn about the others, so the written one may not be the one used.
    """
    found = {}
    wanted = set(written_ids)
    for path in sorted(foreign_texts):
        for repo_id in section_ids(foreign_texts[path]):
            if repo_id in wanted and path not in found.get(repo_id, []):
                found.setdefault(repo_id, []).append(path)
    return found
