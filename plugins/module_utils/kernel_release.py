# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kernel releases: which kernel line a ``uname -r`` belongs to, and which ``uname -r`` a package builds.

Facts sheet ``docs/tencentos-facts.md``, "Kernel lines": every line seen on real hosts, with the shape of
its ``uname -r`` and its package.  Two rules follow from it and are kept here, in one place:

- A kernel line is recognised from ``uname -r`` alone (:func:`kernel_line`).  ``stock`` is only for a
  kernel with no Tencent or OpenCloudOS marker, so an Amazon, Alibaba, EL or Debian kernel of the same
  upstream version stays ``stock``.
- The ``uname -r`` of a package is read from what the package declares (``Provides: kernel-uname-r``) or
  owns (``/lib/modules/<uname -r>``, ``/boot/vmlinuz-<uname -r>``).  Rules over name-version-release are
  only the fallback, for a repository package that declares neither (:func:`package_uname`).  A Provides
  can only carry a ``uname -r`` with one dash (rpm refuses a version with two), so the Tencent shapes
  ``4.14.105-19-0013`` and ``5.4.119-1-tlinux4-0006`` are never declared that way: for them the owned
  directory (installed) or the name rules (in a repository) tell.

Pure functions over strings: importable by target Pythons 2.7 and 3.6 to 3.13.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re

ARCHES = ('x86_64', 'aarch64', 'i686', 'ppc64le', 's390x', 'loongarch64', 'noarch')

FLAVOUR_NAMES = {
    'tk2': 'tkernel2 (Tencent kernel 3.10)',
    'tk3': 'TK3 (TencentOS kernel 4.14)',
    'tk4': 'TK4 (TencentOS kernel 5.4)',
    'tl4': 'TencentOS 4 kernel (6.6, .tl4)',
    'opencloudos': 'OpenCloudOS kernel',
    'stock': 'stock kernel',
}

# The kernel lines of the facts sheet's table, newest series last.  For each line:
#   flavour   the coarse family the facts have always reported
#   tree      the Tencent kernel source tree it is built from (what its sysctls and features follow)
#   series    upstream major.minor
#   packages  the RPM names that carry its bootable kernel (the first is what to install)
#   features  what a kernel of the line has: TK3's stats isolation switch, the vm.max_map_count gate
#             (kernel.isolate_max_map_count, TK3 and TK4 trees), and a kpatch core module on x86
#             (TK3 builds it; TK4's public x86 config does not enable CONFIG_KPATCH)
LINES = (
    {'id': 'tkernel2', 'flavour': 'tk2', 'tree': 'tk2', 'series': (3, 10),
     'packages': ('kernel-tlinux2_kvm_guest',),
     'name': 'tkernel2 (tlinux 2.2, 3.10)'},
    {'id': 'tkernel3', 'flavour': 'tk3', 'tree': 'tk3', 'series': (4, 14),
     'packages': ('kernel-tlinux3',),
     'name': 'tkernel3 (kernel-tlinux3, 4.14)'},
    {'id': 'tk3', 'flavour': 'tk3', 'tree': 'tk3', 'series': (4, 14),
     'packages': ('kernel',),
     'name': 'TK3 (4.14 git-tag builds)'},
    {'id': 'tk4', 'flavour': 'tk4', 'tree': 'tk4', 'series': (5, 4),
     'packages': ('kernel',),
     'name': 'TK4 (5.4 git-tag builds)'},
    {'id': 'tlinux4', 'flavour': 'tk4', 'tree': 'tk4', 'series': (5, 4),
     'packages': ('kernel-tlinux4', 'kernel-tlinux4-core'),
     'name': 'TK4 kernel-tlinux4 (5.4)'},
    {'id': 'oc8', 'flavour': 'opencloudos', 'tree': 'tk4', 'series': (5, 4),
     'packages': ('kernel', 'kernel-core'),
     'name': 'OpenCloudOS 8 (TK4-based 5.4)'},
    {'id': 'tl4', 'flavour': 'tl4', 'tree': None, 'series': (6, 6),
     'packages': ('kernel', 'kernel-core'),
     'name': 'TencentOS 4 (6.6, .tl4)'},
    {'id': 'oc9', 'flavour': 'opencloudos', 'tree': None, 'series': (6, 6),
     'packages': ('kernel', 'kernel-core'),
     'name': 'OpenCloudOS 9 (6.6, .oc9)'},
    {'id': 'stock', 'flavour': 'stock', 'tree': None, 'series': None,
     'packages': ('kernel', 'kernel-core'),
     'name': 'stock kernel'},
)
LINE_IDS = tuple(line['id'] for line in LINES)
_LINES_BY_ID = dict((line['id'], line) for line in LINES)

# Every RPM name that carries a bootable kernel of some line.
KERNEL_PACKAGES = tuple(sorted(set(name for line in LINES for name in line['packages'])))

_UNAME = re.compile(r'^(\d+)\.(\d+)(?:\.(\d+))?(?:-(.*))?$')
# What `uname -r` prints, as input is checked against it: \Z and not $, which would let a final newline through.
UNAME_R_FORM = re.compile(r'\d+\.\d+(?:\.\d+)?-[0-9A-Za-z][0-9A-Za-z._+~-]*\Z')
# The local part (after "<upstream>-", without the architecture) of each line's uname -r:
# tlinux builds "1-tlinux3-0013[.1]", "1-tlinux2_kvm_guest-0055[.tl2]"
_TLINUX_LOCAL = re.compile(r'^(\d+)-(tlinux\d[a-z0-9_]*)-(\d+(?:\.\d+)*)(?:\.tl\d)?$')
# git-tag builds "19-0013[.1]", TKE native nodes "19-0017.1_plus"
_TAG_LOCAL = re.compile(r'^\d+-\d{4}(?:\.\d+)*(?:_plus)?$')
# OpenCloudOS 8.6+ "30.0017.19": no ocrelease marker, a four-digit build number as in Tencent's tags
_OC8_LOCAL = re.compile(r'^\d+\.\d{4}(?:\.\d+)+$')
_OC_MARKER = re.compile(r'(?:^|\.)(?:ocrelease|oc\d+)(?:\.|$)')
_TL4_MARKER = re.compile(r'(?:^|\.)tl4(?:\.|$)')

# The RPM release forms the name rules read (the dist tag never appears in a TK3/TK4 uname -r):
_TAG_RELEASE = re.compile(r'^(\d+)\.(\d{4}(?:\.\d+)*(?:_plus)?)\.tl\d$')
_TLINUX_RELEASE = re.compile(r'^(\d+)\.(\d+(?:\.\d+)*)\.tl\d$')
_OC8_DIST = re.compile(r'\.oc8$')

UNAME_PROVIDE = 'kernel-uname-r'


def strip_arch(text):
    """Split a trailing ``.<arch>`` off: ("6.6.98-40.2.tl4", "x86_64"), or (text, None)."""
    for arch in ARCHES:
        if text.endswith('.' + arch):
            return text[:-len(arch) - 1], arch
    return text, None


def _split_uname(release):
    """Return (series tuple, upstream list, local part without arch, arch), or None when not a kernel release."""
    match = _UNAME.match(release or '')
    if not match:
        return None
    upstream = [int(part) for part in match.group(1, 2, 3) if part is not None]
    local, arch = strip_arch(match.group(4) or '')
    return (upstream[0], upstream[1]), upstream, local, arch


def kernel_line(release):
    """Return the id of the kernel line a ``uname -r`` string belongs to (facts sheet, "Kernel lines").

    A Tencent or OpenCloudOS marker decides (``tlinuxN``, ``.tl4``, ``ocrelease``, ``.ocN``); the
    git-tag shape ``NN-NNNN`` counts only on the series Tencent builds it for (4.14: TK3, 5.4: TK4),
    and OpenCloudOS 8.6+'s marker-less ``NN.NNNN.NN`` only on 5.4.  Everything else is ``stock``.
    """
    parts = _split_uname(release)
    if parts is None:
        return 'stock'
    series, _upstream, local, _arch = parts
    tlinux = _TLINUX_LOCAL.match(local)
    if tlinux or 'tlinux' in local:
        marker = tlinux.group(2) if tlinux else local
        if marker.startswith('tlinux2'):
            return 'tkernel2'
        if marker.startswith('tlinux3'):
            return 'tkernel3'
        if marker.startswith('tlinux4'):
            return 'tlinux4'
    if _OC_MARKER.search(local):
        return 'oc9' if re.search(r'(?:^|\.)oc9(?:\.|$)', local) else 'oc8'
    if _TL4_MARKER.search(local):
        return 'tl4'
    if _TAG_LOCAL.match(local):
        if series == (4, 14):
            return 'tk3'
        if series == (5, 4):
            return 'tk4'
    if series == (5, 4) and _OC8_LOCAL.match(local):
        return 'oc8'
    return 'stock'


def line_info(line_id):
    """The table entry of a line id (see LINES); KeyError for an unknown id."""
    return _LINES_BY_ID[line_id]


def line_features(line_id):
    """What a kernel of the line has, by its source tree (facts sheet sections 4 to 6 and 8)."""
    tree = _LINES_BY_ID[line_id]['tree']
    return {
        'stats_isolation': tree == 'tk3',
        'max_map_count_gate': tree in ('tk3', 'tk4'),
        'kpatch_core': tree == 'tk3',
    }


def kernel_flavour(release):
    """Return the flavour of a ``uname -r`` string: tk2, tk3, tk4, tl4, opencloudos or stock."""
    return _LINES_BY_ID[kernel_line(release)]['flavour']


def parse_kernel_release(release):
    """Parse a ``uname -r`` string into its line, flavour, upstream version and a comparable key.

    The key is the upstream version followed by every purely numeric field of the local
    part ("4.14.105-19-0020.1" -> [4, 14, 105, 19, 20, 1]); dist tags, line markers and the
    architecture are left out, so keys of one line compare in build order.
    """
    parts = _split_uname(release)
    line = _LINES_BY_ID[kernel_line(release)]
    result = {
        'release': release,
        'line': line['id'],
        'line_name': line['name'],
        'tree': line['tree'],
        'flavour': line['flavour'],
        'flavour_name': FLAVOUR_NAMES[line['flavour']],
        'line_features': line_features(line['id']),
    }
    if parts is None:
        result.update(upstream=None, version=None, version_key=[], arch=None)
        return result
    _series, upstream, local, arch = parts
    key = upstream + [int(token) for token in re.split(r'[-._+~]', local) if token.isdigit()]
    result.update(
        upstream='.'.join(str(part) for part in upstream),
        version='.'.join(str(part) for part in key),
        version_key=key,
        arch=arch,
    )
    return result


def series_of(line_id):
    """Upstream (major, minor) of a line, (0, 0) for stock: for telling an older line from a newer one."""
    return _LINES_BY_ID[line_id]['series'] or (0, 0)


# ---------------------------------------------------------------------------
# Package <-> uname -r
# ---------------------------------------------------------------------------


def split_nvra(nvra):
    """Split "kernel-4.14.105-19.0013.tl2.x86_64" into (name, version, release, arch).

    The architecture is optional; name may contain dashes.
    """
    base, arch = strip_arch(nvra)
    name_version, _sep, release = base.rpartition('-')
    name, _sep, version = name_version.rpartition('-')
    if not (name and version and release):
        raise ValueError('not an RPM name-version-release: %r' % nvra)
    return name, version, release, arch


def nvra(package):
    """"name-version-release.arch" of a package given as a dict with those four keys."""
    return '%s-%s-%s.%s' % (package['name'], package['version'], package['release'], package['arch'])


def uname_by_name_rule(name, version, release, arch=None):
    """The ``uname -r`` a kernel package builds, computed from its name-version-release alone.

    The fallback of :func:`package_uname`, one rule per shape of the facts sheet's table:

    - ``kernel-tlinuxN[_suffix]``: ``kernel-tlinux4-5.4.119-1.0006.tl2`` -> ``5.4.119-1-tlinux4-0006``
      (and ``kernel-tlinux3-…``, ``kernel-tlinux2_kvm_guest-…`` alike);
    - git-tag builds: ``kernel-4.14.105-19.0013.tl2`` -> ``4.14.105-19-0013`` (dist tag dropped, the
      first dot of the release a dash);
    - OpenCloudOS 8: ``kernel-5.4.119-19.0010.ocrelease.6.oc8.x86_64`` -> ``5.4.119-19.0010.ocrelease.6``
      (no dist tag, no architecture);
    - everything else (EL, ``.tl4``, ``.oc9``): version-release.arch.
    """
    base_name = name[:-len('-core')] if name.endswith('-core') else name
    if base_name.startswith('kernel-tlinux'):
        tlinux = _TLINUX_RELEASE.match(release)
        if tlinux:
            return '%s-%s-%s-%s' % (version, tlinux.group(1), base_name[len('kernel-'):], tlinux.group(2))
    tag = _TAG_RELEASE.match(release)
    if tag:
        return '%s-%s-%s' % (version, tag.group(1), tag.group(2))
    if _OC8_DIST.search(release):
        return '%s-%s' % (version, _OC8_DIST.sub('', release))
    if not arch or arch == 'noarch':
        return '%s-%s' % (version, release)
    return '%s-%s.%s' % (version, release, arch)


def uname_from_owned_path(path):
    """The ``uname -r`` a kernel package's owned path names: /lib/modules/<uname -r> or /boot/vmlinuz-<uname -r>."""
    if path.startswith('/lib/modules/'):
        rest = path[len('/lib/modules/'):]
        return rest.split('/', 1)[0] or None
    if path.startswith('/boot/vmlinuz-') and '/' not in path[len('/boot/'):]:
        return path[len('/boot/vmlinuz-'):] or None
    return None


def package_uname(name, version, release, arch=None, provides=(), owned_paths=()):
    """Return ``(uname_r, source)`` for a kernel package: the one place where a package is mapped.

    ``source`` says how it was found, most reliable first: ``provides`` (``kernel-uname-r = <uname -r>``,
    declared by split builds), ``owned_path`` (the ``/lib/modules/<uname -r>`` or ``/boot/vmlinuz-<uname -r>``
    the installed package owns), ``name_rule`` (:func:`uname_by_name_rule`).
    ``provides`` are ``(name, version)`` pairs.
    """
    for provide_name, provide_version in provides:
        if provide_name == UNAME_PROVIDE and provide_version:
            return provide_version, 'provides'
    for path in owned_paths:
        found = uname_from_owned_path(path)
        if found:
            return found, 'owned_path'
    return uname_by_name_rule(name, version, release, arch), 'name_rule'


def package_for_uname(release):
    """What a ``uname -r`` string comes from: ``{'line', 'packages', 'version', 'release_prefix', 'arch'}``.

    The reverse of :func:`uname_by_name_rule`.  The dist tag of a Tencent build is not part of
    ``uname -r``, so only a release prefix is known: a package builds ``release`` when its release
    starts with ``release_prefix`` and :func:`package_uname` gives ``release`` back.
    """
    parts = _split_uname(release)
    if parts is None or not parts[2]:
        raise ValueError('not a kernel release string: %r' % release)
    _series, upstream, local, arch = parts
    line = _LINES_BY_ID[kernel_line(release)]
    tlinux = _TLINUX_LOCAL.match(local)
    if tlinux:
        prefix = '%s.%s' % (tlinux.group(1), tlinux.group(3))
        packages = ('kernel-' + tlinux.group(2),)
    elif _TAG_LOCAL.match(local):
        prefix = local.replace('-', '.', 1)
        packages = line['packages']
    else:
        prefix = local
        packages = line['packages']
    return {'line': line['id'], 'packages': packages, 'version': '.'.join(str(part) for part in upstream),
            'release_prefix': prefix, 'arch': arch}


def boot_files(release):
    """Return the /boot and /lib/modules paths of a kernel given by ``uname -r``."""
    return {
        'vmlinuz': '/boot/vmlinuz-%s' % release,
        'initramfs': '/boot/initramfs-%s.img' % release,
        'system_map': '/boot/System.map-%s' % release,
        'config': '/boot/config-%s' % release,
        'modules': '/lib/modules/%s' % release,
    }


def uname_from_boot_file(path):
    """Return the ``uname -r`` named by a /boot file name (vmlinuz-, initramfs-...img, BLS entry)."""
    base = os.path.basename(path)
    for prefix in ('vmlinuz-', 'initramfs-', 'System.map-', 'config-', 'initrd-'):
        if base.startswith(prefix):
            base = base[len(prefix):]
            break
    else:
        return None
    for suffix in ('.img', 'kdump.img'):
        if base.endswith(suffix):
            base = base[:-len(suffix)]
    return base or None
