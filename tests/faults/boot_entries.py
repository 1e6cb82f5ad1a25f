# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The GRUB environment block as a test reads it from outside a host (molecule/resources/README.md, "Boot loader
state in the images"): "# GRUB Environment Block", key=value lines, then '#' up to 1024 bytes."""


def saved_entry(grubenv):
    """The saved_entry of a grubenv's text; None when the file could not be read."""
    if grubenv is None:
        return None
    for line in grubenv.splitlines():
        if line.startswith('saved_entry='):
            return line[len('saved_entry='):]
    return ''
