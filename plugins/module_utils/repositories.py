# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""YUM/DNF repositories (facts sheet section 3): what a host's repository files say, and the
managed file rendered, checked and compared.

Reading (the ``repos`` facts) and rendering (the repo_set module) sit together so that both
read a ``.repo`` file the same way.  Plain functions over plain values, unit tested without a
host; importable by target Pythons 2.7 and 3.6 to 3.13, standard library only.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re

from ansible_collections.tencentos.fleet.plugins.module_utils.files import host_path, read_text

# Keys written first, in this order; any other key of a repository follows, sorted.
KEY_ORDER = ('name', 'baseurl', 'mirrorlist', 'enabled', 'gpgcheck', 'repo_gpgcheck', 'gpgkey',
             'includepkgs', 'exclude', 'metadata_expire', 'sslverify', 'proxy',
             'proxy_username', 'proxy_password', 'skip_if_unavailable')

_REPO_ID = re.compile(r'^[A-Za-z0-9_.:-]+\Z')
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


# What a host has: its repository files and the package manager's defaults.

REPO_DIR = '/etc/yum.repos.d'
# Where the package manager's [main] section says whether packages are GPG-checked by default.
MAIN_CONFIGS = ('/etc/dnf/dnf.conf', '/etc/yum.conf')
MANAGED_REPO_FILE = '/etc/yum.repos.d/tencentos-fleet.repo'


def parse_ini(text):
    """Parse yum/dnf ini text into {section: {key: value}} (keys lower-cased, last value wins)."""
    sections = {}
    current = None
    for line in (text or '').splitlines():
        line = line.strip()
        if not line or line[0] in '#;':
            continue
        if line.startswith('[') and line.endswith(']'):
            current = sections.setdefault(line[1:-1].strip(), {})
        elif current is not None and '=' in line:
            key, value = line.split('=', 1)
            current[key.strip().lower()] = value.strip()
    return sections


def _truthy(value):
    return str(value).strip().lower() in ('1', 'yes', 'true', 'on')


def _url_host(url):
    match = re.match(r'^[a-z0-9+.-]+://([^/]+)', url or '', re.IGNORECASE)
    return match.group(1) if match else None


def gather_repos(root='/'):
    """Summarise the enabled repositories: where they come from and whether GPG checks them.

    Returns the managed file (the repos role's) if present, the hosts of the enabled repositories'
    first base URLs, and whether every enabled repository checks package signatures (a repository
    without gpgcheck inherits the package manager's [main] setting).
    """
    default_gpgcheck = False
    for path in MAIN_CONFIGS:
        main = parse_ini(read_text(root, path)).get('main', {})
        if 'gpgcheck' in main:
            default_gpgcheck = _truthy(main['gpgcheck'])
            break
    enabled = []
    directory = host_path(root, REPO_DIR)
    names = sorted(name for name in (os.listdir(directory) if os.path.isdir(directory) else [])
                   if name.endswith('.repo'))
    for name in names:
        for repo_id, repo in sorted(parse_ini(read_text(root, REPO_DIR + '/' + name)).items()):
            if not _truthy(repo.get('enabled', '1')):
                continue
            urls = (repo.get('baseurl') or repo.get('mirrorlist') or '').split()
            enabled.append({
                'id': repo_id,
                'file': REPO_DIR + '/' + name,
                'host': _url_host(urls[0]) if urls else None,
                'gpgcheck': _truthy(repo['gpgcheck']) if 'gpgcheck' in repo else default_gpgcheck,
            })
    hosts = []
    for repo in enabled:
        if repo['host'] and repo['host'] not in hosts:
            hosts.append(repo['host'])
    return {
        'managed_file': MANAGED_REPO_FILE if os.path.exists(host_path(root, MANAGED_REPO_FILE)) else None,
        'enabled': enabled,
        'hosts': hosts,
        'gpgcheck': bool(enabled) and all(repo['gpgcheck'] for repo in enabled),
    }
