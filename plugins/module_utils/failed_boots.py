# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The record of kernels that did not come up on a host, so that a re-run does not boot them again.

One line a kernel, ``<uname -r> <when, UTC ISO 8601>``; other lines (comments) are kept as they are.
The kernel_boot module writes it (a kernel that fell back, a kernel that now runs) and kernel_target
reads it. Importable by target Pythons 2.7 and 3.6 to 3.13: standard library only.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

PATH = '/var/lib/tencentos-fleet/kernel-boot-failures'


def _kernel_of(line):
    fields = line.split(None, 1)
    return fields[0] if fields and not fields[0].startswith('#') else None


def parse(text):
    """uname -r -> when it did not come up, from the record's text (None: no record)."""
    failed = {}
    for line in (text or '').splitlines():
        kernel = _kernel_of(line)
        if kernel:
            fields = line.split(None, 1)
            failed[kernel] = fields[1].strip() if len(fields) > 1 else 'unknown time'
    return failed


def without(text, kernel):
    """The record's text with no line for ``kernel``."""
    lines = [line for line in (text or '').splitlines() if _kernel_of(line) != kernel]
    return ''.join(line + '\n' for line in lines)


def with_failure(text, kernel, when):
    """The record's text with ``kernel`` failed at ``when``: its line replaced where there was one, else added."""
    return without(text, kernel) + '%s %s\n' % (kernel, when)
