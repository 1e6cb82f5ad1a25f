# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The GRUB environment block as a test reads it from outside a host (molecule/resources/README.md, "Boot loader
state in the images"): "# GRUB Environment Block", key=value lines, then '#' up to 1024 bytes."""


def grubenv_value(grubenv, key):
    """The value of ``key`` in a grubenv's text; '' when it is not set, None when the file could not be read."""
    if grubenv is None:
        return None
    for line in grubenv.splitlines():
        if line.startswith(key + '='):
            return line[len(key) + 1:]
    return ''


def saved_entry(grubenv):
    """The saved_entry of a grubenv's text; None when the file could not be read."""
    return grubenv_value(grubenv, 'saved_entry')
