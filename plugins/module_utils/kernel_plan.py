# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which kernel package to install, whether the host can take it, and which old kernels go.

Pure functions over the package manager's listing and the installed kernels (facts sheet
section 2: ``uname -r``, RPM name-version-release and /boot names differ in format; the mapping
is in ``tencentos.rpm_to_uname``).  Used by the ``kernel_target`` module.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.tencentos.fleet.plugins.module_utils.tencentos import (
    kernel_flavour,
    parse_kernel_release,
    rpm_to_uname,
    split_nvra,
)

EXTRA_SUFFIXES = ('devel', 'headers')
_UNAME_FORM = re.compile(r'^\d+\.\d+(?:\.\d+)?-[0-9A-Za-z][0-9A-Za-z._+~-]*$')
# RPM release dist tags never appear in a TK3/TK4 `uname -r` (section 2).
_RPM_DIST = re.compile(r'\.tl[23](?:\.[a-z0-9_]+)?$')
_SECTION = re.compile(r'^(Installed|Available|Extra|Obsoleting)\b.*Packages$')


def version_problem(version):
    """Return why ``version`` is not ``latest`` or a ``uname -r`` string, or None."""
    if version == 'latest':
        return None
    # '%s' in quotes, not %r: Python 2 would print u'...'.
    if version and version.startswith('kernel'):
        return "'%s' is a package name; give the kernel release as uname -r prints it" % (version,)
    if not version or not _UNAME_FORM.match(version):
        return "'%s' is neither 'latest' nor a kernel release as uname -r prints it (e.g. 4.14.105-19-0013)" % (
            version or '',)
    if _RPM_DIST.search(version):
        name, upstream, release, arch = split_nvra('kernel-' + version)
        return ("'%s' is an RPM version-release; the same kernel as uname -r prints it is '%s'"
                % (version, rpm_to_uname(name, upstream, release, arch)))
    return None


def parse_package_list(text, installed_repo_markers=('installed', '@')):
    """Parse ``yum|dnf --showduplicates list`` output into package builds.

    Each row is (name.arch, [epoch:]version-release, repository); yum continues a row whose
    name is too long on the next line, so a short line is joined with the next one.  Section
    headers, and anything before the first one, are skipped.  A build listed with an installed repository marker
    ("installed", "@anaconda", "@tencentos") counts as installed.
    """
    builds = []
    carried = []
    started = False
    for line in (text or '').splitlines():
        if _SECTION.match(line.strip()):
            started, carried = True, []
            continue
        if not started:
            continue
        # A row is three columns; yum continues a row whose name is too long on the next line.
        carried = carried + line.split()
        if len(carried) < 3:
            continue
        name_arch, evr, repo = carried[:3]
        carried = []
        name, _sep, arch = name_arch.rpartition('.')
        if not name or '-' not in evr:
            continue
        epoch, _sep, version_release = evr.rpartition(':')
        version, _sep, release = version_release.rpartition('-')
        builds.append({
            'name': name, 'epoch': epoch or '0', 'version': version, 'release': release, 'arch': arch,
            'repo': repo.lstrip('@'),
            'installed': repo.startswith(installed_repo_markers),
        })
    return builds


def nvra(build):
    return '%s-%s-%s.%s' % (build['name'], build['version'], build['release'], build['arch'])


def kernel_builds(builds, packages, flavours=None):
    """Kernel builds of the given package names (and flavours), one per name and uname -r."""
    found = {}
    for build in builds:
        if build['name'] not in packages:
            continue
        uname = rpm_to_uname(build['name'], build['version'], build['release'], build['arch'])
        if flavours and kernel_flavour(uname) not in flavours:
            continue
        key = (build['name'], uname)
        entry = found.setdefault(key, dict(build, uname_r=uname, nvra=nvra(build), repos=[]))
        if not build['installed'] and build['repo'] not in entry['repos']:
            entry['repos'].append(build['repo'])
        entry['installed'] = entry['installed'] or build['installed']
    return list(found.values())


def _newest(builds):
    return max(builds, key=lambda build: parse_kernel_release(build['uname_r'])['version_key'])


def choose_target(builds, version, packages, running_package=None):
    """Return ``(build, problem)``: the build to install for ``version`` ('latest' or a uname -r).

    ``latest`` stays on the package line the running kernel came from when it is one of
    ``packages`` (a TK4 host on ``kernel`` is not moved to ``kernel-tlinux4``), else it takes the
    first name of ``packages`` that has builds: their version numbers do not compare across lines.
    An explicit version is taken from the first package name, in ``packages`` order, that builds it.
    """
    if not builds:
        return None, 'no build of %s in the enabled repositories' % ', '.join(packages)
    if version == 'latest':
        names = [running_package] if running_package in packages else []
        names += [name for name in packages if name not in names]
        for name in names:
            line = [build for build in builds if build['name'] == name and build['repos']]
            if line:
                return _newest(line), None
        return None, 'no build of %s in the enabled repositories' % ', '.join(packages)
    for name in packages:
        for build in builds:
            if build['name'] == name and build['uname_r'] == version and (build['repos'] or build['installed']):
                return build, None
    return None, ('kernel %s is not in the enabled repositories (packages %s); available: %s'
                  % (version, ', '.join(packages), ', '.join(available_releases(builds)) or 'none'))


def available_releases(builds):
    """The kernel releases the repositories offer among ``builds``, oldest first."""
    return sorted(set(build['uname_r'] for build in builds if build['repos']),
                  key=lambda uname: parse_kernel_release(uname)['version_key'])


def extra_packages(target, extras, builds):
    """Return ``(specs, missing)`` for the -devel/-headers packages of ``target``."""
    specs = []
    missing = []
    wanted = dict((build['name'], build) for build in builds
                  if build['version'] == target['version'] and build['release'] == target['release'])
    for suffix in extras:
        name = '%s-%s' % (target['name'], suffix)
        if name in wanted:
            specs.append(nvra(wanted[name]))
        else:
            missing.append('%s-%s-%s' % (name, target['version'], target['release']))
    return specs, missing


def prune_plan(installed, keep, protected):
    """Return the installed kernels (oldest first) to remove so that ``keep`` remain.

    ``installed`` is the list from ``tencentos.parse_rpm_query`` (sorted oldest first).
    Kernels in ``protected`` (the running one, the default, the target) are always kept and
    count towards ``keep``; the newest of the others fill the remaining places.
    """
    kept = [entry for entry in installed if entry['uname_r'] in protected or entry.get('running')]
    others = [entry for entry in installed if entry not in kept]
    places = max(keep - len(kept), 0)
    keep_others = others[len(others) - places:] if places else []
    return [entry for entry in others if entry not in keep_others]


def running_package(installed):
    """Name of the package that provides the running kernel, or None."""
    for entry in installed:
        if entry.get('running') and entry['packages']:
            return split_nvra(entry['packages'][0])[0]
    return None


def newer_on_same_flavour(running, candidate):
    """Tell whether the running kernel is a newer build of the candidate's flavour."""
    if kernel_flavour(running) != kernel_flavour(candidate):
        return False
    return parse_kernel_release(running)['version_key'] > parse_kernel_release(candidate)['version_key']


def running_as_target(running, installed):
    """The running kernel as a target: nothing to install, nothing to fetch."""
    for entry in installed:
        if entry['uname_r'] == running and entry['packages']:
            name, version, release, arch = split_nvra(entry['packages'][0])
            return {'uname_r': running, 'nvra': entry['packages'][0], 'name': name, 'version': version,
                    'release': release, 'arch': arch, 'repos': [], 'installed': True}
    return {'uname_r': running, 'nvra': None, 'name': None, 'version': None, 'release': None, 'arch': None,
            'repos': [], 'installed': True}


def parse_failed_boots(text):
    """Read the kernel role's record of kernels that did not come up: uname -r -> when."""
    failed = {}
    for line in (text or '').splitlines():
        fields = line.split(None, 1)
        if fields and not fields[0].startswith('#'):
            failed[fields[0]] = fields[1].strip() if len(fields) > 1 else 'unknown time'
    return failed


def free_space_problems(free_mb, minimum_mb):
    """List the paths whose free space (MiB) is below the minimum."""
    return ['%s has %d MiB free, the kernel role needs at least %d MiB' % (path, free_mb[path], minimum_mb[path])
            for path in sorted(minimum_mb) if free_mb.get(path) is not None and free_mb[path] < minimum_mb[path]]
