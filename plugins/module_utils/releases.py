# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which release a host runs: os-release and release files, family, EL major, package manager (section 1).

Plain functions over plain values (file contents, strings, a ``root`` directory that stands
for ``/``), so that unit tests run them against fixture trees without Ansible.  Section
numbers refer to the facts sheet ``docs/tencentos-facts.md``.  Importable by target
Pythons 2.7 and 3.6 to 3.13: standard library only.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.tencentos.fleet.plugins.module_utils.files import read_text


FAMILIES = ('tlinux', 'tencentos', 'opencloudos', 'centos', 'other')

# Name used in role vars file names (vars/TencentOS_3.yml, ...).
DISTRIBUTION_NAMES = {
    'tlinux': 'Tlinux',
    'tencentos': 'TencentOS',
    'opencloudos': 'OpenCloudOS',
    'centos': 'CentOS',
}

# Release files read after os-release, most specific first.  A TencentOS 3.1 image may
# still carry CentOS 8 files (/etc/redhat-release, /usr/lib/os-release), so a file that
# names TencentOS wins over one that names CentOS.
RELEASE_FILES = (
    '/etc/tlinux-release',
    '/etc/tencentos-release',
    '/etc/opencloudos-release',
    '/etc/centos-release',
    '/etc/redhat-release',
    '/etc/system-release',
)

# RHEL generation each release line is built on (section 1, column "Base").
_EL_MAJOR = {
    ('tlinux', 2): 7,
    ('tencentos', 2): 7,
    ('tencentos', 3): 8,
    ('tencentos', 4): 9,
    ('opencloudos', 8): 8,
    ('opencloudos', 9): 9,
}

_OS_RELEASE_LINE = re.compile(r'^\s*([A-Za-z0-9_]+)\s*=\s*(.*?)\s*$')
_VERSION = re.compile(r'(\d+(?:\.\d+)*)')
_PLATFORM_EL = re.compile(r'^platform:el(\d+)')


def parse_os_release(text):
    """Parse os-release(5) text into a dict of upper-case keys to unquoted values."""
    values = {}
    for line in (text or '').splitlines():
        match = _OS_RELEASE_LINE.match(line)
        if not match or line.lstrip().startswith('#'):
            continue
        key, value = match.group(1).upper(), match.group(2)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in '"\'':
            value = value[1:-1]
        values[key] = value.replace('\\"', '"').replace('\\\\', '\\')
    return values


def _family_named_in(text):
    """Return the Tencent family a release file names, or None (case-insensitive)."""
    lowered = (text or '').lower()
    if 'tencentos' in lowered:
        return 'tencentos'
    if 'tlinux' in lowered:
        return 'tlinux'
    if 'opencloudos' in lowered:
        return 'opencloudos'
    return None


_RELEASE_LINE = re.compile(r'^\s*(.*?)\s+release\s+(\d+(?:\.\d+)*)', re.IGNORECASE)


def _release_line(release_files):
    """(product, version) of the first release file in "<product> release <version> (...)" form, or (None, None).

    CentOS 6 has no os-release at all, and CentOS 7/8's VERSION_ID is the major alone ("7", "8") while
    /etc/centos-release says "CentOS Linux release 8.1.1911 (Core)".
    """
    for path in RELEASE_FILES:
        match = _RELEASE_LINE.match(release_files.get(path) or '')
        if match:
            return match.group(1), match.group(2)
    return None, None


def _more_precise(version, stated):
    """The release file's major.minor where it extends the os-release version ("8" and "8.1.1911": "8.1")."""
    if not stated:
        return version
    parts = stated.split('.')
    precise = '.'.join(parts[:2])
    if not version or (precise.startswith(version + '.') and len(precise) > len(version)):
        return precise
    return version


def _release_file_version(text):
    """Return the version a release file states ("... release 3.1 (Final)" or os-release form)."""
    as_os_release = parse_os_release(text)
    if as_os_release.get('VERSION_ID'):
        return as_os_release['VERSION_ID']
    match = _VERSION.search(text or '')
    return match.group(1) if match else ''


def split_version(version):
    """Return (major, minor) integers of a version string such as "3.1" or "7", None when absent."""
    match = _VERSION.search(version or '')
    if not match:
        return None, None
    parts = [int(part) for part in match.group(1).split('.')]
    return parts[0], (parts[1] if len(parts) > 1 else None)


def _el_major(family, major, os_release):
    if family == 'centos':
        return major
    if (family, major) in _EL_MAJOR:
        return _EL_MAJOR[(family, major)]
    if family == 'other' and 'rhel' in os_release.get('ID_LIKE', '').lower().split():
        match = _PLATFORM_EL.match(os_release.get('PLATFORM_ID', ''))
        if match:
            return int(match.group(1))
    return None


def package_manager(el_major):
    """Return the package manager of an EL generation: yum up to EL7, dnf from EL8, None otherwise."""
    if el_major is None:
        return None
    return 'yum' if el_major <= 7 else 'dnf'


def vars_files(distribution, version, major):
    """Return role vars file names, most specific first, ending with default.yml.

    Tencent tlinux 2.2 falls back to the TencentOS 2 files: both are the EL7 line.
    """
    names = []
    candidates = [distribution]
    if distribution == 'Tlinux':
        candidates.append('TencentOS')
    for name in candidates:
        for suffix in (version, major):
            if suffix not in (None, ''):
                names.append('%s_%s.yml' % (name, suffix))
    names.append('default.yml')
    seen = set()
    return [name for name in names if not (name in seen or seen.add(name))]


def classify_release(os_release, release_files):
    """Tell which release a host runs (section 1).

    ``os_release`` is the parsed /etc/os-release (or /usr/lib/os-release when /etc has none);
    ``release_files`` maps paths of RELEASE_FILES to their text (absent files omitted).

    Rules, in order:
    1. os-release ID ``tencentos`` / ``opencloudos`` (compared case-insensitively) decides.
    2. ID ``tlinux``: TencentOS Server when NAME or a release file says "TencentOS" (old 2.4
       images), otherwise Tencent tlinux (2.2).
    3. Otherwise, a release file that names TencentOS, tlinux or OpenCloudOS decides (images
       whose os-release was replaced by CentOS's), then ID ``centos``, then ``other``.
    """
    os_id = os_release.get('ID', '').strip().lower()
    name = os_release.get('NAME', '')
    version = os_release.get('VERSION_ID', '')
    source = '/etc/os-release'

    named_in_files = None
    for path in RELEASE_FILES:
        family = _family_named_in(release_files.get(path))
        if family:
            named_in_files = (family, path)
            break

    if os_id in ('tencentos', 'opencloudos'):
        family = os_id
    elif os_id == 'tlinux':
        says_tencentos = 'tencentos' in name.lower() or (named_in_files and named_in_files[0] == 'tencentos')
        family = 'tencentos' if says_tencentos else 'tlinux'
    elif named_in_files:
        family, source = named_in_files
        version = _release_file_version(release_files[source])
        name = {'tencentos': 'TencentOS Server', 'tlinux': 'Tencent tlinux',
                'opencloudos': 'OpenCloudOS'}[family]
    elif os_id == 'centos':
        family = 'centos'
    else:
        family = 'other'
    product, stated = _release_line(release_files)
    if family == 'other' and not os_id and product and 'centos' in product.lower():
        # CentOS 6 and older: no os-release, only /etc/centos-release ("CentOS release 6.10 (Final)").
        family, name = 'centos', product
    if family in ('centos', 'other') and (not os_id or family == 'centos'):
        version = _more_precise(version, stated)
        name = name or product
    if not os_release:
        source = named_in_files[1] if named_in_files else next(
            (path for path in RELEASE_FILES if path in release_files), None)

    major, minor = split_version(version)
    el_major = _el_major(family, major, os_release)
    distribution = DISTRIBUTION_NAMES.get(family, os_id or 'unknown')
    return {
        'family': family,
        'id': os_id or None,
        'distribution': distribution,
        'name': name or None,
        'version': version or None,
        'major': major,
        'minor': minor,
        'platform_id': os_release.get('PLATFORM_ID') or None,
        'pretty_name': os_release.get('PRETTY_NAME') or (name and version and '%s %s' % (name, version)) or None,
        'el_major': el_major,
        'pkg_mgr': package_manager(el_major),
        'source': source,
        'vars_files': vars_files(distribution, version, major),
    }


def gather_release(root='/'):
    """Read os-release and the release files below ``root`` and classify them."""
    text = read_text(root, '/etc/os-release')
    if text is None:
        text = read_text(root, '/usr/lib/os-release')
    release_files = {}
    for path in RELEASE_FILES:
        content = read_text(root, path)
        if content is not None:
            release_files[path] = content
    return classify_release(parse_os_release(text), release_files)
