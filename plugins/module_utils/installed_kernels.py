# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kernels installed on a host and the one it runs (section 2; naming in kernel_release.py).

Plain functions over plain values (file contents, strings, a ``root`` directory that stands
for ``/``), so that unit tests run them against fixture trees without Ansible.  Section
numbers refer to the facts sheet ``docs/tencentos-facts.md``.  Importable by target
Pythons 2.7 and 3.6 to 3.13: standard library only.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible_collections.tencentos.fleet.plugins.module_utils.files import host_path, list_dir, read_text
from ansible_collections.tencentos.fleet.plugins.module_utils.kernel_release import (
    KERNEL_PACKAGES,
    UNAME_PROVIDE,
    boot_files,
    kernel_line,
    nvra,
    package_uname,
    parse_kernel_release,
)


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
