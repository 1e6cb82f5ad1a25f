# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What tencentos.fleet knows about TencentOS hosts, in one place.

Every function here is a plain function over plain values (file contents, strings, a
``root`` directory that stands for ``/``), so that unit tests can run them against
fixture trees without Ansible.  Modules gather with :func:`gather_facts`; roles read
the facts it returns and never re-implement detection.

Section numbers in docstrings refer to the facts sheet ``docs/tencentos-facts.md``.

This file must stay importable by target Pythons 2.7 and 3.6 to 3.13: no f-strings,
no walrus, no keyword-only arguments, standard library only.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re
import sys

from ansible_collections.tencentos.fleet.plugins.module_utils.kernel_release import (
    KERNEL_PACKAGES,
    UNAME_PROVIDE,
    boot_files,
    kernel_line,
    nvra,
    package_uname,
    parse_kernel_release,
)

# ---------------------------------------------------------------------------
# Small file helpers
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# Releases (facts sheet section 1)
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# Installed kernels (facts sheet section 2 and "Kernel lines"; naming in kernel_release.py)
# ---------------------------------------------------------------------------

# One line a package: name, version, release, arch, then its Provides as "name=version;" pairs.
RPM_QUERY_FORMAT = '%{NAME}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t[%{PROVIDENAME}=%{PROVIDEVERSION};]\\n'
# The packages that own a path, one line each.
OWNER_QUERY_FORMAT = '%{NAME}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\n'
MODULES_DIR = '/lib/modules'


def parse_rpm_packages(text):
    """Read RPM_QUERY_FORMAT (or OWNER_QUERY_FORMAT) lines into dicts of name, version, release, arch, provides.

    ``provides`` is a list of (name, version) pairs. Lines of another shape (rpm's "file ... is not
    owned by any package") are skipped.
    """
    packages = []
    for line in (text or '').splitlines():
        fields = line.split('\t')
        if len(fields) not in (4, 5) or not all(fields[:4]):
            continue
        provides = []
        for pair in (fields[4].split(';') if len(fields) == 5 else []):
            if pair:
                provide_name, _sep, provide_version = pair.partition('=')
                provides.append((provide_name, provide_version))
        packages.append({'name': fields[0], 'version': fields[1], 'release': fields[2], 'arch': fields[3],
                         'provides': provides})
    return packages


def installed_kernels(packages, owned, running_release, root='/'):
    """One entry per installed kernel (``uname -r``), oldest first.

    ``packages`` are the installed kernel packages (:func:`parse_rpm_packages`); ``owned`` maps a
    package's NVRA to the /lib/modules directories it owns.  The ``uname -r`` of each package comes
    from :func:`kernel_release.package_uname`: its kernel-uname-r Provides, else the directory it
    owns, else the name rule.  A meta package and its -core package collapse into one entry listing both.
    """
    by_uname = {}
    for package in packages:
        if package['name'] not in KERNEL_PACKAGES:
            continue
        package_id = nvra(package)
        uname, source = package_uname(package['name'], package['version'], package['release'], package['arch'],
                                      package['provides'], owned.get(package_id, ()))
        entry = by_uname.setdefault(uname, {
            'uname_r': uname,
            'uname_source': source,
            'line': kernel_line(uname),
            'packages': [],
            'version': package['version'],
            'release': package['release'],
            'arch': package['arch'],
            'running': uname == running_release,
            'boot_image': os.path.exists(host_path(root, boot_files(uname)['vmlinuz'])),
        })
        if source == 'provides' or entry['uname_source'] == 'name_rule':
            entry['uname_source'] = source
        entry['packages'].append(package_id)
    for entry in by_uname.values():
        entry['packages'].sort()
    return sorted(by_uname.values(), key=lambda item: parse_kernel_release(item['uname_r'])['version_key'])


def owned_module_dirs(root, run, packages):
    """Map each kernel package's NVRA to the /lib/modules directories rpm says it owns.

    Asked only when a package does not declare kernel-uname-r, one ``rpm -qf`` per directory (a
    directory owned by several packages, kernel-core and kernel-modules, lists each of them).
    """
    owned = {}
    if all(any(name == UNAME_PROVIDE for name, _version in package['provides']) for package in packages):
        return owned
    for name in sorted(list_dir(host_path(root, MODULES_DIR))):
        path = MODULES_DIR + '/' + name
        rc, out, _err = run(['rpm', '-qf', '--qf', OWNER_QUERY_FORMAT, path])
        for owner in parse_rpm_packages(out if rc in (0, 1) else ''):
            owned.setdefault(nvra(owner), []).append(path)
    return owned


def running_kernel_release(root='/'):
    """The running kernel's ``uname -r``: /proc/sys/kernel/osrelease, which inside a container is
    the file the host (or a test's simulated kernel interface) presents, unlike uname(2)."""
    return (read_text(root, '/proc/sys/kernel/osrelease') or '').strip() or os.uname()[2]


def gather_kernel(root='/', run=None):
    """The running kernel (its line, flavour and what the line has) and the installed kernel packages.

    ``run`` is a callable taking an argv list and returning (rc, stdout, stderr); without it, or
    without rpm, ``installed`` is empty.
    """
    release = running_kernel_release(root)
    facts = parse_kernel_release(release)
    installed = []
    if run is not None:
        rc, out, _err = run(['rpm', '-qa', '--qf', RPM_QUERY_FORMAT] + list(KERNEL_PACKAGES))
        if rc == 0:
            packages = [package for package in parse_rpm_packages(out) if package['name'] in KERNEL_PACKAGES]
            installed = installed_kernels(packages, owned_module_dirs(root, run, packages), release, root)
    facts['installed'] = installed
    if facts['arch'] is None:
        facts['arch'] = os.uname()[4]
    return facts


# ---------------------------------------------------------------------------
# Kernel features (facts sheet sections 4 and 5)
# ---------------------------------------------------------------------------


def stats_isolation_state(text):
    """Map the content of /proc/sys/kernel/stats_isolated to absent, off or on.

    ``None`` (file missing: a kernel without the feature) is "absent", never "off".
    """
    if text is None:
        return 'absent'
    value = text.strip()
    if not value:
        return 'absent'
    try:
        return 'on' if int(value) != 0 else 'off'
    except ValueError:
        return 'absent'


def parse_mounts(text):
    """Return (device, mountpoint, fstype) tuples from /proc/mounts text."""
    mounts = []
    for line in (text or '').splitlines():
        fields = line.split()
        if len(fields) >= 3:
            mounts.append((fields[0], fields[1].replace('\\040', ' '), fields[2]))
    return mounts


def filesystem_available(filesystems_text, fstype):
    """Tell whether /proc/filesystems lists ``fstype``."""
    for line in (filesystems_text or '').splitlines():
        fields = line.split()
        if fields and fields[-1] == fstype:
            return True
    return False


def cgroup_version(mounts):
    """Return v1, v2, hybrid or none from the parsed mount table."""
    v1 = any(fstype == 'cgroup' for _dev, _mnt, fstype in mounts)
    v2 = [mnt for _dev, mnt, fstype in mounts if fstype == 'cgroup2']
    if v1 and v2:
        return 'hybrid'
    if v1:
        return 'v1'
    if v2:
        return 'v2'
    return 'none'


def livepatch_abi(root='/'):
    """Return livepatch, kpatch or none: which hot-patch sysfs interface the kernel offers (section 4)."""
    if os.path.isdir(host_path(root, '/sys/kernel/livepatch')):
        return 'livepatch'
    if os.path.isdir(host_path(root, '/sys/kernel/kpatch')):
        return 'kpatch'
    return 'none'


LIVEPATCH_SYSFS = '/sys/kernel/livepatch'
KPATCH_SYSFS = '/sys/kernel/kpatch'


def _sysfs_flag(root, path):
    """Read a 0/1 sysfs attribute: True, False, or None when it is absent or holds something else."""
    value = (read_text(root, path) or '').strip()
    return {'1': True, '0': False}.get(value)


def hot_patch_dirs(root='/'):
    """Return ``(abi, name, directory)`` for every hot patch the kernel has registered (section 4).

    The upstream ABI has one directory a patch below /sys/kernel/livepatch. The kpatch core
    module keeps its patches below /sys/kernel/kpatch/patches (dynup's core) or directly below
    /sys/kernel/kpatch (TencentOS' tkernel fork [3p]); its other entries are not patches, so a
    directory counts only when it has an ``enabled`` attribute.
    """
    found = []
    livepatch = host_path(root, LIVEPATCH_SYSFS)
    for name in sorted(list_dir(livepatch)):
        if os.path.isdir(os.path.join(livepatch, name)):
            found.append(('livepatch', name, LIVEPATCH_SYSFS + '/' + name))
    for base in (KPATCH_SYSFS + '/patches', KPATCH_SYSFS):
        directory = host_path(root, base)
        for name in sorted(list_dir(directory)):
            if os.path.isfile(os.path.join(directory, name, 'enabled')):
                found.append(('kpatch', name, base + '/' + name))
    return found


def read_hot_patch(root, abi, name, directory):
    """One registered patch: its name, ABI, ``enabled`` and ``transition`` (section 4).

    kpatch core patches switch under stop_machine and have no ``transition``: False for them.
    A patch whose directory vanished while it was read (a disabled patch is freed since 5.1)
    reads as None.
    """
    enabled = _sysfs_flag(root, directory + '/enabled')
    if enabled is None and not os.path.isdir(host_path(root, directory)):
        return None
    transition = _sysfs_flag(root, directory + '/transition')
    return {'name': name, 'abi': abi, 'enabled': bool(enabled), 'transition': bool(transition)}


def read_hot_patches(root='/'):
    """Every hot patch the kernel has registered, upstream ABI first, each ABI's in name order.

    See :func:`hot_patch_dirs` and :func:`read_hot_patch`.
    """
    patches = [read_hot_patch(root, abi, name, directory) for abi, name, directory in hot_patch_dirs(root)]
    return [patch for patch in patches if patch is not None]


def cgroupfs_state(root, mounts):
    """Whether the kernel offers TK4's cgroupfs filesystem (section 5) and where it is mounted."""
    mounted = [mnt for _dev, mnt, fstype in mounts if fstype == 'cgroupfs']
    return {
        'available': filesystem_available(read_text(root, '/proc/filesystems'), 'cgroupfs'),
        'mounted_at': mounted[0] if mounted else None,
    }


def gather_features(root='/', which=None):
    """Report stats isolation, cgroupfs, hot-patch ABI, kpatch CLI, hot patches and cgroup version.

    ``which`` finds an executable by name (returns a path or None).
    """
    mounts = parse_mounts(read_text(root, '/proc/mounts'))
    return {
        'stats_isolation': stats_isolation_state(read_text(root, '/proc/sys/kernel/stats_isolated')),
        'cgroupfs': cgroupfs_state(root, mounts),
        'livepatch_abi': livepatch_abi(root),
        'kpatch_core': os.path.isdir(host_path(root, '/sys/kernel/kpatch')),
        'kpatch_cli': which('kpatch') if which else None,
        'hot_patches': read_hot_patches(root),
        'cgroup_version': cgroup_version(mounts),
    }


# ---------------------------------------------------------------------------
# Containers and namespaces (facts sheet section 6)
# ---------------------------------------------------------------------------

# Since Linux 3.8 the initial namespaces have fixed /proc inode numbers (include/linux/proc_ns.h:
# PROC_PID_INIT_INO, PROC_USER_INIT_INO, PROC_IPC_INIT_INO, PROC_UTS_INIT_INO).  The initial network
# namespace has no fixed number, so for it only a comparison with PID 1 is possible.
INITIAL_NAMESPACE_LINKS = {
    'pid': 'pid:[4026531836]',
    'user': 'user:[4026531837]',
    'ipc': 'ipc:[4026531839]',
    'uts': 'uts:[4026531838]',
}

_CGROUP_MARKERS = (
    ('kubepods', 'kubernetes'),
    ('libpod', 'podman'),
    ('docker', 'docker'),
    ('containerd', 'containerd'),
    ('lxc', 'lxc'),
)


def container_type(root='/'):
    """Return which container engine the host runs under, or None on a real host."""
    if os.path.exists(host_path(root, '/run/.containerenv')):
        return 'podman'
    if os.path.exists(host_path(root, '/.dockerenv')):
        return 'docker'
    environ = read_text(root, '/proc/1/environ') or ''
    for variable in environ.split('\0'):
        if variable.startswith('container=') and len(variable) > len('container='):
            return variable[len('container='):]
    cgroups = read_text(root, '/proc/1/cgroup') or ''
    for marker, engine in _CGROUP_MARKERS:
        if marker in cgroups:
            return engine
    return None


def namespace_facts(root='/'):
    """Tell which namespaces are the initial ones and which differ from PID 1's."""
    facts = {}
    for kind in ('pid', 'net', 'user'):
        own = read_link(root, '/proc/self/ns/%s' % kind)
        pid1 = read_link(root, '/proc/1/ns/%s' % kind)
        entry = {'differs_from_pid1': (own != pid1) if (own and pid1) else None}
        if kind in INITIAL_NAMESPACE_LINKS:
            entry['initial'] = (own == INITIAL_NAMESPACE_LINKS[kind]) if own else None
        facts[kind] = entry
    return facts


def gather_virtualization(root='/'):
    """Report whether the host is a container and which namespaces it runs in."""
    engine = container_type(root)
    namespaces = namespace_facts(root)
    # Marker files outlive their purpose (a VM image built in Docker keeps /.dockerenv), and
    # every container engine gives its containers their own PID namespace unless told not
    # to: a marker counts only where the PID namespace cannot be told to be the initial one.
    pid_initial = namespaces['pid'].get('initial')
    in_container = pid_initial is False or (pid_initial is None and engine is not None)
    return {
        'container': in_container,
        'container_type': (engine or 'unknown') if in_container else None,
        'namespaces': namespaces,
    }


# ---------------------------------------------------------------------------
# Package repositories (facts sheet section 3)
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# Everything at once
# ---------------------------------------------------------------------------

SUBSETS = ('release', 'kernel', 'features', 'virtualization', 'repos')


def gather_facts(subsets=SUBSETS, root='/', run=None, which=None):
    """Return the ``tencentos`` facts for the requested subsets."""
    facts = {}
    if 'release' in subsets:
        facts['release'] = gather_release(root)
        facts['release']['package_managers'] = [tool for tool in ('dnf', 'yum') if which is not None and which(tool)]
        if facts['release']['pkg_mgr'] is None and which is not None:
            for tool in ('dnf', 'yum', 'apt-get', 'zypper'):
                if which(tool):
                    facts['release']['pkg_mgr'] = tool.replace('-get', '')
                    break
    if 'kernel' in subsets:
        facts['kernel'] = gather_kernel(root, run)
    if 'features' in subsets:
        facts['features'] = gather_features(root, which)
    if 'virtualization' in subsets:
        facts['virtualization'] = gather_virtualization(root)
    if 'repos' in subsets:
        facts['repos'] = gather_repos(root)
    facts['python'] = {
        'version': '.'.join(str(part) for part in sys.version_info[:3]),
        'executable': sys.executable,
    }
    return facts
