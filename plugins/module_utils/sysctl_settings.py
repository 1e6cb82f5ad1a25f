# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sysctl settings as the kernel, sysctl.d files and namespaces see them.

Plain functions over plain values, so the unit tests need no Ansible: key names and their
/proc/sys paths, value checks and whitespace-normalised comparison, the order keys are written
and applied in, sysctl.d parsing and rendering, the boot-time order of sysctl.d files, which
namespace holds a key (facts sheet section 6), and red lines (section 7).

Importable by target Pythons 2.7 and 3.6 to 3.13: standard library only, no f-strings.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import fnmatch
import os
import re

from ansible_collections.tencentos.fleet.plugins.module_utils.namespaces import INITIAL_NAMESPACE_LINKS

PROC_SYS = '/proc/sys'
DEFAULT_FILE = '/etc/sysctl.d/99-tencentos-fleet.conf'

# systemd-sysctl reads *.conf from these directories; a file name in an earlier directory hides the
# same name in a later one, and all files are applied in the order of their names (sysctl.d(5)).
SYSCTL_D_DIRS = ('/etc/sysctl.d', '/run/sysctl.d', '/usr/local/lib/sysctl.d', '/usr/lib/sysctl.d', '/lib/sysctl.d')

# A gate must be set before the keys it gates, or the kernel applies them to the wrong namespace:
# vm.max_map_count is per PID namespace only while kernel.isolate_max_map_count is 1 (section 6).
GATES = {'vm.max_map_count': 'kernel.isolate_max_map_count'}

# Keys that a namespace other than the initial ones holds, by prefix of their dotted name.
# Network: every key under net.* that the namespace shows (the kernel hides the global ones), so
# the kernel decides, not a list here: TencentOS adds tcp_max_orphans, tcp_rmem/tcp_wmem and
# tcp_workaround_signed_windows to that set (section 6), and tcp_no_delay_ack on TK3 only (TK4's
# table does not have it, section 8). IPC, UTS and user namespaces: ipc_sysctl.c,
# utsname_sysctl.c, ucount.c.
NAMESPACED_PREFIXES = (
    ('net.', 'network'),
    ('kernel.shm', 'IPC'),
    ('kernel.msg', 'IPC'),
    ('kernel.sem', 'IPC'),
    ('fs.mqueue.', 'IPC'),
    ('kernel.hostname', 'UTS'),
    ('kernel.domainname', 'UTS'),
    ('user.', 'user'),
)

# Which kind of namespace (the name of its /proc/self/ns link) a holder of NAMESPACED_PREFIXES is.
NAMESPACE_KINDS = {'network': 'net', 'IPC': 'ipc', 'UTS': 'uts', 'user': 'user', 'PID': 'pid'}

# Only the initial network namespace registers net.core's global table (net/core/sysctl_net_core.c,
# net_core_table, which holds netdev_max_backlog): no other namespace shows this key.
INITIAL_NETNS_ONLY_KEY = 'net/core/netdev_max_backlog'

_KEY_PART = re.compile(r'^[A-Za-z0-9_.:@+-]+\Z')


def key_parts(key):
    """Split a key into its /proc/sys path parts.

    ``net.ipv4.ip_forward`` has dots between parts. A key whose first separator is ``/``
    (``net/ipv4/conf/eth0.100/rp_filter``) keeps dots inside parts, for interface names with
    dots; in a key whose first separator is ``.``, a ``/`` stands for a dot inside a part
    (``net.ipv4.conf.eth0/100.rp_filter``, the name sysctl(8) prints), as sysctl(8) and
    sysctl.d(5) read them. Raises ValueError for a key that cannot name a file.
    """
    text = key.strip()
    if re.match(r'[^./]*/', text):
        parts = text.strip('/').split('/')
    else:
        parts = [part.replace('/', '.') for part in text.split('.')]
    if not text or any(not part or part in ('.', '..') or not _KEY_PART.match(part) for part in parts):
        raise ValueError('%r is not a sysctl key (parts separated by "." or "/", no empty parts)' % key)
    return parts


def canonical_name(key):
    """The dotted name sysctl(8) prints for ``key``: dots inside a part appear as ``/``."""
    return '.'.join(part.replace('.', '/') for part in key_parts(key))


def proc_path(key, proc_sys=PROC_SYS):
    """The file under /proc/sys that holds ``key``."""
    return os.path.join(proc_sys, *key_parts(key))


# proc_get_long(): an optional '-', then base 0 as strtoul reads it; '08' and '+1' are not numbers to it.
_HEX = re.compile(r'^(-?)0[xX]([0-9a-fA-F]+)\Z')
_OCTAL = re.compile(r'^(-?)0([0-7]+)\Z')
_DECIMAL = re.compile(r'^(-?)([1-9][0-9]*|0)\Z')


def _number_token(token):
    """A token as the kernel's proc_dointvec reads it (base 0: 0x1f, 017, 15), in decimal; others unchanged."""
    for pattern, base in ((_HEX, 16), (_OCTAL, 8), (_DECIMAL, 10)):
        match = pattern.match(token)
        if match:
            sign = '-' if match.group(1) == '-' and int(match.group(2), base) else ''
            return sign + str(int(match.group(2), base))
    return token


def normalise(value):
    """Compare values as the kernel reads them: runs of spaces and tabs are one separator, and
    numbers are numbers whatever their base (0x1 and 01 are 1, as red lines must see them)."""
    return ' '.join(_number_token(token) for token in u'{0}'.format(value).split())


def value_problem(key, value):
    """Why ``value`` cannot be a sysctl value, or None.

    YAML turns unquoted yes/no/true/false/on/off into booleans, which ansible.posix.sysctl
    silently writes as 1/0: refuse them so the author says what they mean.
    """
    if isinstance(value, bool):
        return ('%s: %s is a YAML boolean (unquoted yes/no/true/false/on/off); sysctl values are '
                'numbers or strings: write %s, or quote the word if the kernel expects text'
                % (key, 'true' if value else 'false', '1' if value else '0'))
    if value is None:
        return '%s: no value; write a number or a string' % key
    if isinstance(value, float):
        return '%s: %r is a float; the kernel takes integers or strings (quote it if you mean the text)' % (key, value)
    if isinstance(value, (list, tuple, dict)):
        return ('%s: a %s is not a sysctl value; write several numbers as one string, e.g. "4096 87380 6291456"'
                % (key, type(value).__name__))
    if not normalise(value):
        return '%s: empty value' % key
    if '\n' in u'{0}'.format(value).strip():
        return '%s: a value cannot span lines' % key
    return None


def value_text(value):
    """The text written for ``value`` (an int or a string): its words, one space apart."""
    return ' '.join(u'{0}'.format(value).split())


def order_keys(keys):
    """Keys in the order they are written and applied: gates first, then by their path.

    The order is stable whatever order the input dict had, so the file does not change
    between runs.
    """
    gates = set(GATES.values())

    def sort_key(key):
        name = canonical_name(key)
        return (0 if name in gates else 1, key_parts(key))
    return sorted(keys, key=sort_key)


def parse_conf(text):
    """Parse a sysctl.d file: {canonical name: (key as written, value)}; the last line wins.

    Lines starting with ``#`` or ``;`` are comments; a leading ``-`` (ignore failure) is
    dropped; lines without ``=`` and keys that cannot name a file are skipped.
    """
    settings = {}
    for line in (text or '').splitlines():
        line = line.strip()
        if not line or line[0] in '#;' or '=' not in line:
            continue
        key, value = line.split('=', 1)
        key = key.strip().lstrip('-').strip()
        try:
            name = canonical_name(key)
        except ValueError:
            continue
        settings[name] = (key, value.strip())
    return settings


def render_conf(header, ordered_settings):
    """The text of our sysctl.d file: a comment header, then ``key = value`` lines in order."""
    lines = []
    for line in (header or '').splitlines():
        lines.append(('# ' + line).rstrip() if not line.startswith('#') else line.rstrip())
    lines.extend('%s = %s' % (key, value_text(value)) for key, value in ordered_settings)
    return '\n'.join(lines) + '\n'


def boot_order(listdir, own_file):
    """The sysctl.d files systemd-sysctl applies at boot, in order, with ``own_file`` among them.

    ``listdir(directory)`` returns the names in a host directory (an empty list when it does not
    exist). /etc/sysctl.conf is applied through the 99-sysctl.conf link of systemd hosts; a
    manual ``sysctl --system`` of procps reads it once more, after every file.
    """
    chosen = {}
    for directory in SYSCTL_D_DIRS:
        for name in listdir(directory):
            if name.endswith('.conf') and name not in chosen:
                chosen[name] = os.path.join(directory, name)
    own_name = os.path.basename(own_file)
    if own_name not in chosen:
        chosen[own_name] = own_file
    return [chosen[name] for name in sorted(chosen)]


def overridden_at_boot(order, own_file, parsed_files, wanted):
    """Keys that a file applied after ``own_file`` sets to another value.

    ``parsed_files`` maps a path of ``order`` to :func:`parse_conf` output; ``wanted`` maps
    canonical names to values. Returns {canonical name: [(path, value), ...]}.
    """
    if own_file not in order:
        return {}
    later = order[order.index(own_file) + 1:]
    found = {}
    for path in later:
        for name, (written, value) in parsed_files.get(path, {}).items():
            if name in wanted and normalise(value) != normalise(wanted[name]):
                found.setdefault(name, []).append((path, value))
    return found


def namespace_holding(name, max_map_count_isolated):
    """Which namespace holds the key of canonical ``name``, or None when it is global."""
    for prefix, namespace in NAMESPACED_PREFIXES:
        if name.startswith(prefix):
            return namespace
    if name == 'vm.max_map_count' and max_map_count_isolated:
        return 'PID'
    return None


def private_namespaces(links, netns_private):
    """The kinds of namespace this process does not share with the machine, of pid, ipc, uts, user, net.

    ``links`` maps a kind to the link of /proc/self/ns/<kind> (``pid:[4026532000]``); a link
    that could not be read counts as shared. The network namespace has no fixed number, so the
    caller tells (``netns_private``).
    """
    private = set()
    for kind, initial in INITIAL_NAMESPACE_LINKS.items():
        link = links.get(kind)
        if link and link != initial:
            private.add(kind)
    if netns_private:
        private.add('net')
    return private


def live_refusal(name, confinement, private, max_map_count_gate):
    """Why the key of canonical ``name`` must not be written live here, or None.

    ``confinement`` describes the container or namespace the module runs in, or is None on
    a host in the initial namespaces; ``private`` is :func:`private_namespaces`. A key is written
    only when the namespace that holds it is one of the private ones: a container that shares the
    machine's network (``--network=host``) must not write ``net.*``. ``max_map_count_gate`` is
    the live value of kernel.isolate_max_map_count, or None where the kernel does not have it.
    """
    if confinement is None:
        return None
    isolated = max_map_count_gate is not None and normalise(max_map_count_gate) not in ('', '0')
    holder = namespace_holding(name, isolated)
    if holder and NAMESPACE_KINDS[holder] in private:
        return None
    if holder:
        return ('held by the %s namespace, which %s shares with the machine: a write would change the '
                'machine\'s own value, so it is written to the file only' % (holder, confinement))
    if name == 'vm.max_map_count' and max_map_count_gate is not None:
        return ('held by the PID namespace only while kernel.isolate_max_map_count is 1 (it is %s); '
                'in %s a write would reach every namespace of the machine, so it is written to the file only'
                % (normalise(max_map_count_gate), confinement))
    return ('global to the kernel, and %s holds only its own namespaces\' keys: a write would reach every '
            'namespace of the machine, so it is written to the file only' % confinement)


def red_line_violations(settings, red_lines):
    """Messages for every setting that crosses a red line.

    ``settings`` maps keys (as given) to values; a red line is a dict with ``key`` (a pattern
    over dotted names, ``*`` for one or more parts such as an interface), ``value`` and ``reason``.
    """
    problems = []
    for key in order_keys(settings):
        name = canonical_name(key)
        for line in red_lines:
            if fnmatch.fnmatchcase(name, line['key']) and normalise(settings[key]) == normalise(line['value']):
                problems.append('%s = %s is refused: %s' % (key, value_text(settings[key]), line['reason']))
    return problems
