# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which kernel build to install, whether the host can take it, and which old kernels go.

Pure functions over the package manager's listing and the installed kernels.  A build's ``uname -r``
and kernel line come from ``kernel_release`` (facts sheet, "Kernel lines"): from the package's own
metadata where the repository or rpm database has it, from the name rules otherwise.  Used by the
``kernel_target`` module.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.tencentos.fleet.plugins.module_utils.kernel_release import (
    LINE_IDS,
    UNAME_R_FORM,
    kernel_line,
    line_info,
    nvra,
    package_uname,
    parse_kernel_release,
    series_of,
    split_nvra,
    uname_by_name_rule,
)

EXTRA_SUFFIXES = ('devel', 'headers')
# RPM release dist tags never appear in a TK3/TK4 or OpenCloudOS 8 `uname -r` (facts sheet, "Kernel lines").
_RPM_DIST = re.compile(r'\.(?:tl[23]|oc8)(?:\.[a-z0-9_]+)?$')
_SECTION = re.compile(r'^(Installed|Available|Extra|Obsoleting)\b.*Packages$')
# `dnf repoquery` output: one block a package, a header line, then its Provides one a line.
REPOQUERY_HEADER = '@@'
REPOQUERY_FORMAT = REPOQUERY_HEADER + '%{name}\\t%{epoch}\\t%{version}\\t%{release}\\t%{arch}\\t%{repoid}\\n%{provides}'
INSTALLED_MARKERS = ('installed', '@')


def version_problem(version):
    """Return why ``version`` is not ``latest`` or a ``uname -r`` string, or None."""
    if version == 'latest':
        return None
    # '%s' in quotes, not %r: Python 2 would print u'...'.
    if version and version.startswith('kernel'):
        return "'%s' is a package name; give the kernel release as uname -r prints it" % (version,)
    if not version or not UNAME_R_FORM.match(version):
        return "'%s' is neither 'latest' nor a kernel release as uname -r prints it (e.g. 4.14.105-19-0013)" % (
            version or '',)
    if _RPM_DIST.search(version):
        name, upstream, release, arch = split_nvra('kernel-' + version)
        return ("'%s' is an RPM version-release; the same kernel as uname -r prints it is '%s'"
                % (version, uname_by_name_rule(name, upstream, release, arch)))
    return None


def lines_problem(lines, line):
    """Return why the lines a release offers, or the line asked for, are not kernel lines, or None."""
    unknown = [name for name in list(lines) + ([line] if line else []) if name not in LINE_IDS]
    if unknown:
        return "'%s' is not a kernel line; the lines are: %s" % ("', '".join(unknown), ', '.join(LINE_IDS))
    return None


def _build(name, epoch, version, release, arch, repo, provides=()):
    return {'name': name, 'epoch': epoch or '0', 'version': version, 'release': release, 'arch': arch,
            'repo': repo.lstrip('@'), 'installed': repo.startswith(INSTALLED_MARKERS), 'provides': list(provides)}


def parse_repoquery(text):
    """Parse ``dnf repoquery --qf REPOQUERY_FORMAT`` output into package builds with their Provides.

    Installed packages come from the repository ``@System``.  A Provides line is "name = version"
    or a bare name.
    """
    builds = []
    for line in (text or '').splitlines():
        if line.startswith(REPOQUERY_HEADER):
            fields = line[len(REPOQUERY_HEADER):].split('\t')
            if len(fields) == 6 and all(fields[1:]) and fields[0]:
                builds.append(_build(*fields))
            continue
        if builds and line.strip():
            provide_name, _sep, provide_version = line.strip().partition(' = ')
            builds[-1]['provides'].append((provide_name.strip(), provide_version.strip()))
    return builds


def parse_package_list(text):
    """Parse ``yum|dnf --showduplicates list`` output into package builds (no Provides: yum on EL7 lists none).

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
        builds.append(_build(name, epoch, version, release, arch, repo))
    return builds


def line_packages(lines):
    """The package names that carry the kernels of ``lines``, in the order of the lines."""
    names = []
    for line in lines:
        for name in line_info(line)['packages']:
            if name not in names:
                names.append(name)
    return names


def kernel_builds(builds, lines, installed=()):
    """Kernel builds of the given kernel lines, one per package name and ``uname -r``.

    A build's ``uname -r`` is the installed kernel's where rpm already told it (``installed``, from the
    facts: Provides or owned directory), else the repository's kernel-uname-r Provides, else the name
    rule; ``uname_source`` says which.
    """
    known = dict((package, (entry['uname_r'], entry.get('uname_source', 'owned_path')))
                 for entry in installed for package in entry['packages'])
    packages = line_packages(lines)
    found = {}
    for build in builds:
        if build['name'] not in packages:
            continue
        uname, source = known.get(nvra(build)) or package_uname(
            build['name'], build['version'], build['release'], build['arch'], build.get('provides', ()))
        line = kernel_line(uname)
        if line not in lines:
            continue
        key = (build['name'], uname)
        entry = found.setdefault(key, dict(build, uname_r=uname, uname_source=source, line=line, nvra=nvra(build),
                                           repos=[]))
        if not build['installed'] and build['repo'] not in entry['repos']:
            entry['repos'].append(build['repo'])
        entry['installed'] = entry['installed'] or build['installed']
    return list(found.values())


def _newest(builds):
    return max(builds, key=lambda build: parse_kernel_release(build['uname_r'])['version_key'])


def choose_target(builds, version, lines, running, line=None):
    """Return ``(build, problem)``: the build to install for ``version`` ('latest' or a uname -r).

    ``latest`` is the newest build of the line the host runs, or of ``line`` when one is asked for: a
    host is moved to another kernel line only by that explicit choice, and never to an older line
    (older upstream series) that way.  An exact version may be of any line the release offers,
    older ones included: asking for it by name is the explicit choice.  Version numbers do not
    compare across lines.
    """
    running_line = kernel_line(running)
    if version != 'latest':
        wanted_line = kernel_line(version)
        if line and line != wanted_line:
            return None, ('version %s is a kernel of line %s, but line %s was asked for; give one or make them agree'
                          % (version, wanted_line, line))
        if wanted_line not in lines:
            return None, ('version %s is a kernel of line %s, which this release does not offer; its lines: %s'
                          % (version, wanted_line, ', '.join(lines)))
        for build in builds:
            if build['uname_r'] == version and (build['repos'] or build['installed']):
                return build, None
        return None, ('kernel %s is not in the enabled repositories (line %s, packages %s); available: %s'
                      % (version, wanted_line, ', '.join(line_info(wanted_line)['packages']),
                         ', '.join(available_releases(builds)) or 'none'))
    target_line = line or running_line
    if target_line not in lines:
        if line:
            return None, 'line %s is not a kernel line of this release; its lines: %s' % (line, ', '.join(lines))
        return None, ('the host runs %s (line %s), which is not a kernel line this release offers; moving it is '
                      'an explicit choice: set the line (role variable tencentos_kernel_line) to one of: %s'
                      % (running, running_line, ', '.join(lines)))
    if running_line != 'stock' and series_of(target_line) < series_of(running_line):
        return None, ('line %s is older than the running line %s (%s); latest never moves a host back: give the '
                      'exact version (as uname -r prints it) to move to an older kernel'
                      % (target_line, running_line, running))
    candidates = [build for build in builds if build['line'] == target_line and build['repos']]
    if not candidates:
        return None, ('no build of line %s (packages %s) in the enabled repositories'
                      % (target_line, ', '.join(line_info(target_line)['packages'])))
    return _newest(candidates), None


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


def all_installed(specs, builds):
    """Whether every package of ``specs`` (name-version-release.arch, as extra_packages gives them) is installed."""
    installed = set(nvra(build) for build in builds if build.get('installed'))
    return all(spec in installed for spec in specs)


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


def newer_on_same_line(running, candidate):
    """Tell whether the running kernel is a newer build of the candidate's line."""
    if kernel_line(running) != kernel_line(candidate):
        return False
    return parse_kernel_release(running)['version_key'] > parse_kernel_release(candidate)['version_key']


def running_as_target(running, installed):
    """The running kernel as a target: nothing to install, nothing to fetch."""
    for entry in installed:
        if entry['uname_r'] == running and entry['packages']:
            name, version, release, arch = split_nvra(entry['packages'][0])
            return {'uname_r': running, 'nvra': entry['packages'][0], 'name': name, 'version': version,
                    'release': release, 'arch': arch, 'repos': [], 'installed': True, 'line': kernel_line(running),
                    'uname_source': entry.get('uname_source')}
    return {'uname_r': running, 'nvra': None, 'name': None, 'version': None, 'release': None, 'arch': None,
            'repos': [], 'installed': True, 'line': kernel_line(running), 'uname_source': None}


def free_space_problems(free_mb, minimum_mb):
    """List the paths whose free space (MiB) is below the minimum."""
    return ['%s has %d MiB free, the kernel role needs at least %d MiB' % (path, free_mb[path], minimum_mb[path])
            for path in sorted(minimum_mb) if free_mb.get(path) is not None and free_mb[path] < minimum_mb[path]]
