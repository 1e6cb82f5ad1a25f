# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The GRUB 2 boot state of an EL host: which kernel boots by default, which boots once next.

TencentOS 2.x and CentOS 7 boot through a generated ``grub.cfg`` whose ``menuentry`` titles name
the entries; TencentOS 3/4 and OpenCloudOS 8/9 through BootLoaderSpec files in
``/boot/loader/entries`` named by their id.  Either way GRUB reads two variables from its
environment block (facts sheet section 2):

- ``saved_entry``: the default, what ``grub2-set-default`` and the kernel RPM's ``%post`` write;
- ``next_entry``: one boot only.  GRUB's EL ``00_header`` boots it and clears it before booting,
  so a kernel that panics or hangs is left behind by the reset that follows.

That second rule is what makes "boot once, verify, then commit" safe; these functions read and
write the two variables the way ``grub2-editenv`` does, without needing it.  Pure functions over
text, plus ``read_boot_state`` which reads the files under a root directory.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import glob
import os
import re

from ansible_collections.tencentos.fleet.plugins.module_utils.kernel_release import (
    parse_kernel_release,
    uname_from_boot_file,
)
from ansible_collections.tencentos.fleet.plugins.module_utils.files import host_path, read_text

GRUBENV_SIZE = 1024
GRUBENV_HEADER = '# GRUB Environment Block\n'
GRUBENV_PATH = '/boot/grub2/grubenv'
BLS_DIR = '/boot/loader/entries'
# grub.cfg of BIOS hosts first; EL7 UEFI hosts keep theirs on the EFI system partition.
GRUB_CFG_PATHS = ('/boot/grub2/grub.cfg',)
GRUB_CFG_EFI_GLOB = '/boot/efi/EFI/*/grub.cfg'
DEFAULT_GRUB = '/etc/default/grub'

_MENUENTRY = re.compile(r'''^\s*menuentry\s+(?:'([^']*)'|"([^"]*)")(.*)$''')
_MENUENTRY_ID = re.compile(r'''\$menuentry_id_option\s+(?:'([^']*)'|"([^"]*)")''')
_LINUX = re.compile(r'^\s*(?:linux|linux16|linuxefi)\s+(\S+)')


# --- the environment block ---------------------------------------------------------------------

# One line of the block: a backslash takes the next character, a newline included (envblk.c).
_GRUBENV_LINE = re.compile(r'(?:[^\\\n]|\\[\s\S])+')


def _unescape(value):
    # GRUB drops the backslash before any character (grub_envblk_iterate).
    return re.sub(r'\\([\s\S])', r'\1', value)


def _escape(value):
    # grub-editenv puts a backslash before a backslash and before a newline (grub_envblk_set).
    return value.replace('\\', '\\\\').replace('\n', '\\\n')


def parse_grubenv(text):
    """Return the variables of a GRUB environment block as an ordered list of (name, value)."""
    pairs = []
    for line in _GRUBENV_LINE.findall(text or ''):
        if not line or line.startswith('#') or '=' not in line:
            continue
        name, _sep, value = line.partition('=')
        pairs.append((name, _unescape(value)))
    return pairs


def render_grubenv(pairs):
    """Render (name, value) pairs as a GRUB environment block: exactly 1024 bytes, '#'-padded.

    Raises ValueError when the variables do not fit, as grub2-editenv refuses to write then.
    """
    body = GRUBENV_HEADER + ''.join('%s=%s\n' % (name, _escape(value)) for name, value in pairs)
    size = len(body.encode('utf-8'))
    if size > GRUBENV_SIZE:
        raise ValueError('the GRUB environment block would hold %d bytes, more than %d' % (size, GRUBENV_SIZE))
    return body + '#' * (GRUBENV_SIZE - size)


def grubenv_value(pairs, name):
    """Return the value of ``name`` in parsed pairs, '' when unset."""
    for key, value in pairs:
        if key == name:
            return value
    return ''


def set_grubenv_values(pairs, values):
    """Return pairs with ``values`` (name -> value, None to unset) applied, order kept."""
    result = []
    done = set()
    for key, value in pairs:
        if key in values:
            done.add(key)
            if values[key] is None:
                continue
            value = values[key]
        result.append((key, value))
    for key in sorted(values):
        if key not in done and values[key] is not None:
            result.append((key, values[key]))
    return result


# --- boot entries ------------------------------------------------------------------------------

def kernel_of_image(path):
    """Return the ``uname -r`` of a kernel image path from a boot entry (``/vmlinuz-<r>``)."""
    if not path or not os.path.basename(path).startswith('vmlinuz-'):
        return None
    return uname_from_boot_file(path)


def parse_bls_entry(text, entry_id):
    """Parse one BootLoaderSpec entry file (its id is the file name without ``.conf``)."""
    fields = {}
    for line in (text or '').splitlines():
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        # Key and value are separated by whitespace, a tab as well as a space (GRUB's blscfg).
        key_value = line.split(None, 1)
        fields.setdefault(key_value[0], key_value[1].strip() if len(key_value) > 1 else '')
    return {
        'id': entry_id,
        'title': fields.get('title', ''),
        'kernel': kernel_of_image(fields.get('linux')),
        # GRUB's blscfg matches saved_entry against the id, and the title too.
        'names': [entry_id] + ([fields['title']] if fields.get('title') else []),
    }


def parse_grub_cfg(text):
    """List the ``menuentry`` blocks of a generated grub.cfg: title, id and kernel of each."""
    entries = []
    current = None
    for line in (text or '').splitlines():
        match = _MENUENTRY.match(line)
        if match:
            title = match.group(1) if match.group(1) is not None else match.group(2)
            ident = _MENUENTRY_ID.search(match.group(3))
            entry_id = (ident.group(1) or ident.group(2)) if ident else ''
            current = {'id': entry_id, 'title': title, 'kernel': None,
                       'names': [name for name in (title, entry_id) if name]}
            entries.append(current)
            continue
        linux = _LINUX.match(line)
        if linux and current is not None and current['kernel'] is None:
            current['kernel'] = kernel_of_image(linux.group(1))
    return entries


def resolve_entry(entries, name):
    """Return the entry that GRUB boots for ``name`` (a title, an id or an index), or None."""
    if not name:
        return None
    for entry in entries:
        if name in entry['names']:
            return entry
    if name.isdigit() and int(name) < len(entries):
        return entries[int(name)]
    return None


def entry_for_kernel(entries, kernel):
    """Return the first entry that boots kernel ``kernel`` (``uname -r``), or None."""
    for entry in entries:
        if entry['kernel'] == kernel:
            return entry
    return None


def entry_name(style, entry):
    """Return the name to store in grubenv for an entry: the BLS id, or the legacy title.

    EL7's grub2-set-default and grubby store titles; EL8+ grub2-set-default stores BLS ids.
    """
    return entry['id'] if style == 'bls' else entry['title']


def _bls_version_key(entry):
    return parse_kernel_release(entry['kernel'] or '')['version_key']


def parse_default_grub(text):
    """Read the shell assignments of /etc/default/grub (quotes removed) into a dict."""
    values = {}
    for line in (text or '').splitlines():
        match = re.match(r'^\s*([A-Z_][A-Z0-9_]*)=(.*)$', line)
        if match:
            values[match.group(1)] = match.group(2).strip().strip('"').strip("'")
    return values


def read_boot_state(root='/'):
    """Read the boot entries and the GRUB environment block below ``root``.

    ``style`` is ``bls`` when BootLoaderSpec entries exist and /etc/default/grub does not turn
    them off (``GRUB_ENABLE_BLSCFG=false``: GRUB then reads the menu entries of grub.cfg),
    ``legacy`` when a grub.cfg lists menu entries, else ``none``.  BLS entries are listed newest
    kernel first, as GRUB's blscfg sorts them.  ``grub_default`` is /etc/default/grub's
    GRUB_DEFAULT: GRUB reads saved_entry and next_entry only when it is ``saved``.
    """
    entries = []
    style = 'none'
    default_grub = parse_default_grub(read_text(root, DEFAULT_GRUB))
    bls_files = sorted(glob.glob(host_path(root, BLS_DIR + '/*.conf')))
    if default_grub.get('GRUB_ENABLE_BLSCFG', '').lower() == 'false':
        bls_files = []
    if bls_files:
        style = 'bls'
        for path in bls_files:
            entry_id = os.path.basename(path)[:-len('.conf')]
            entries.append(parse_bls_entry(read_text(root, BLS_DIR + '/' + entry_id + '.conf'), entry_id))
        entries.sort(key=_bls_version_key, reverse=True)
        grub_cfg = None
    else:
        candidates = list(GRUB_CFG_PATHS) + sorted(
            '/' + os.path.relpath(path, root) for path in glob.glob(host_path(root, GRUB_CFG_EFI_GLOB)))
        grub_cfg = None
        for candidate in candidates:
            found = parse_grub_cfg(read_text(root, candidate))
            if found:
                style, entries, grub_cfg = 'legacy', found, candidate
                break
    grubenv_text = read_text(root, GRUBENV_PATH)
    pairs = parse_grubenv(grubenv_text)
    saved = grubenv_value(pairs, 'saved_entry')
    next_name = grubenv_value(pairs, 'next_entry')
    saved_entry = resolve_entry(entries, saved)
    next_entry = resolve_entry(entries, next_name)
    return {
        'style': style,
        'grub_cfg': grub_cfg,
        'grub_default': default_grub.get('GRUB_DEFAULT'),
        'grubenv': GRUBENV_PATH,
        'grubenv_exists': grubenv_text is not None,
        'grubenv_pairs': pairs,
        'entries': [{'name': entry_name(style, entry), 'title': entry['title'], 'kernel': entry['kernel']}
                    for entry in entries],
        'saved_entry': saved,
        'next_entry': next_name,
        # GRUB falls back to the first entry when saved_entry names none.
        'default_kernel': (saved_entry or (entries[0] if entries else {'kernel': None}))['kernel'],
        'next_kernel': next_entry['kernel'] if next_entry else None,
        '_entries': entries,
    }


def public_state(state):
    """The boot state as modules return it: without the parser's internal fields."""
    return dict((key, value) for key, value in state.items() if not key.startswith('_') and key != 'grubenv_pairs')


def boot_summary(state, running):
    """What the facts report of the boot state: style, default and next kernel, pending reboot.

    A reboot is pending when a one-time entry is set or the default is not the running kernel.
    """
    return {
        'style': state['style'],
        'default': state['default_kernel'],
        'next': state['next_kernel'],
        'reboot_pending': bool(state['next_kernel']) or (
            state['default_kernel'] is not None and state['default_kernel'] != running),
    }


def plan_boot_change(state, next_kernel=None, default_kernel=None, clear_next=False):
    """Work out the grubenv values that make ``next_kernel`` boot once and keep ``default_kernel``.

    Returns ``(values, problems, missing)``: ``values`` maps variable -> new value (None to unset)
    for the variables that change, ``problems`` lists what cannot be done, ``missing`` the kernels
    that have no boot entry (yet).
    """
    values = {}
    problems = []
    missing = []
    if state['style'] == 'none' and (next_kernel or default_kernel):
        problems.append('no boot entries found: neither %s/*.conf nor a grub.cfg with menu entries'
                        % BLS_DIR)
        return values, problems, missing
    for variable, kernel in (('next_entry', next_kernel), ('saved_entry', default_kernel)):
        if not kernel:
            continue
        entry = entry_for_kernel(state['_entries'], kernel)
        if entry is None:
            missing.append(kernel)
            continue
        name = entry_name(state['style'], entry)
        if grubenv_value(state['grubenv_pairs'], variable) != name:
            values[variable] = name
    if clear_next and not next_kernel and state['next_entry']:
        values['next_entry'] = None
    return values, problems, missing
