# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""OpenPGP public key files: the primary keys they hold and the name RPM gives each one.

``repo_set`` imports a repository's signing key into the RPM database itself and must know
first whether the key is already there.  RPM names an imported key
``gpg-pubkey-<version>-<release>``: the last 8 hex digits of the key ID and the key's
creation time, both lower-case hex.  Both come from the public-key packet alone, so this
file reads just enough of OpenPGP (RFC 4880 / RFC 9580) to get them, without the ``gpg``
binary, which minimal hosts lack.  Plain functions over bytes, no network, no rpm calls:
the module runs those.  Importable by target Pythons 2.7 and 3.6 to 3.13: standard library
only, and no Ansible import, so that it also loads where Ansible does not.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import binascii
import hashlib
import re


ARMOR_BEGIN = b'-----BEGIN PGP PUBLIC KEY BLOCK-----'
ARMOR_END = b'-----END PGP PUBLIC KEY BLOCK-----'

# Any armor line; used to name what a file holds when it is not a public key block.
_ARMOR_LINE = re.compile(b'^-----(BEGIN|END) PGP ([A-Z0-9 ,/]+)-----$')
# An armor header ("Version: GnuPG v2"); base64 never contains ':', so this cannot eat key data.
_ARMOR_HEADER = re.compile(b'^[!-9;-~]+: ?.*$')
# One line of armored data: base64 alphabet, padding only at the end.
_BASE64_LINE = re.compile(b'^[A-Za-z0-9+/]*={0,2}$')
# The armor checksum line: '=' and four base64 characters (24-bit CRC).
_CRC_LINE = re.compile(b'^=[A-Za-z0-9+/]{4}$')

# Packet tags (RFC 4880 section 4.3).  Only primary keys get a gpg-pubkey entry in RPM,
# so public subkeys (tag 14) are read past like any other packet.
PUBLIC_KEY = 6
PUBLIC_SUBKEY = 14


def dearmor(data):
    """Return the binary OpenPGP data in ``data`` (bytes): armored blocks decoded, binary as is.

    Key files on mirrors are armored far more often than not, but ``gpg --export`` without
    ``--armor`` writes binary and RPM accepts both.  Binary OpenPGP data starts with a byte
    whose bit 7 is set, which no armor text does.  Several public key blocks in one file
    (``cat`` of two key files) are decoded one after the other, so that every key is seen.
    Raises ValueError when the text is not a public key block or the armor is malformed.
    """
    if not data or bytearray(data[:1])[0] & 0x80:
        return data
    lines = [line.strip() for line in data.splitlines()]
    starts = [index for index, line in enumerate(lines) if line == ARMOR_BEGIN]
    if not starts:
        raise ValueError(_not_a_public_key_block(lines))
    return b''.join(_decode_block(lines, start) for start in starts)


def _not_a_public_key_block(lines):
    """Say what the text holds instead of a public key block, for the error message.

    A private key or a detached signature at the gpgkey URL is a different mistake from an
    HTML error page served by a proxy; naming the armor type tells the two apart.
    """
    for line in lines:
        match = _ARMOR_LINE.match(line)
        if match and match.group(1) == b'BEGIN':
            return 'the data is a PGP %s, not a PGP PUBLIC KEY BLOCK' % match.group(2).decode('ascii')
    return 'the data is neither binary OpenPGP nor an ASCII-armored PGP PUBLIC KEY BLOCK (no %s line)' % ARMOR_BEGIN.decode('ascii')


def _decode_block(lines, start):
    """Return the decoded data of the armored block whose BEGIN line is ``lines[start]``.

    Headers (``Version: ...``) run up to a blank line.  Some key files in the wild leave the
    blank line out when there are no headers; the first line that is not a header then starts
    the data, as it cannot be a header anyway.  The CRC line is not checked: the key ID is
    a hash over the key itself, and RPM checks the CRC when it imports the file.
    """
    index = start + 1
    while index < len(lines) and _ARMOR_HEADER.match(lines[index]):
        index += 1
    if index < len(lines) and not lines[index]:
        index += 1
    body = []
    for number in range(index, len(lines)):
        line = lines[number]
        if line == ARMOR_END:
            break
        if _CRC_LINE.match(line):
            if number + 1 >= len(lines) or lines[number + 1] != ARMOR_END:
                raise ValueError('armored key block (line %d): the checksum line %s is not followed by the %s line'
                                 % (start + 1, line.decode('ascii'), ARMOR_END.decode('ascii')))
            break
        if line.startswith(b'-----'):
            raise ValueError('armored key block (line %d): line %d comes before the %s line: %r'
                             % (start + 1, number + 1, ARMOR_END.decode('ascii'), line[:40]))
        if not _BASE64_LINE.match(line):
            raise ValueError('armored key block (line %d): line %d is not base64: %r' % (start + 1, number + 1, line[:40]))
        body.append(line)
    else:
        raise ValueError('armored key block (line %d): no %s line; the file is cut short'
                         % (start + 1, ARMOR_END.decode('ascii')))
    if not body:
        raise ValueError('armored key block (line %d) holds no data' % (start + 1))
    try:
        return binascii.a2b_base64(b''.join(body))
    except (binascii.Error, TypeError) as error:
        raise ValueError('armored key block (line %d): bad base64 (%s)' % (start + 1, error))


def packets(binary):
    """Yield ``(tag, body)`` for each OpenPGP packet in ``binary``; ``body`` is bytes.

    Both header formats are read: GnuPG still writes the old one for keys, other tools the
    new one.  Partial body lengths are refused: OpenPGP allows them only in data packets,
    so meeting one means this is not a key file.  Raises ValueError on data that is not
    OpenPGP or is cut short, so that a damaged download is not taken for "no key".
    """
    data = bytearray(binary)
    offset = 0
    while offset < len(data):
        tag, length, body_start = _packet_header(data, offset)
        end = body_start + length
        if end > len(data):
            raise ValueError('OpenPGP packet at offset %d (tag %d) is truncated: it declares %d octets, %d remain'
                             % (offset, tag, length, len(data) - body_start))
        yield tag, bytes(data[body_start:end])
        offset = end


def _packet_header(data, offset):
    """Return ``(tag, body length, body offset)`` for the packet header at ``offset``."""
    ctb = data[offset]
    if not ctb & 0x80:
        raise ValueError('byte 0x%02x at offset %d does not start an OpenPGP packet (bit 7 clear): '
                         'not an OpenPGP key, or damaged' % (ctb, offset))
    if ctb & 0x40:
        return _new_format_header(data, offset, ctb & 0x3f)
    return _old_format_header(data, offset, (ctb >> 2) & 0x0f, ctb & 0x03)


def _old_format_header(data, offset, tag, length_type):
    """Old format: length types 0, 1, 2 give the length in 1, 2 or 4 octets; 3 runs to the end."""
    if length_type == 3:
        # Indeterminate length: the packet is the rest of the data (RFC 4880 section 4.2.1).
        return tag, len(data) - offset - 1, offset + 1
    size = (1, 2, 4)[length_type]
    return tag, _big_endian(_octets(data, offset + 1, size, offset, tag)), offset + 1 + size


def _new_format_header(data, offset, tag):
    """New format: one, two or five length octets (RFC 4880 section 4.2.2)."""
    first = _octets(data, offset + 1, 1, offset, tag)[0]
    if first < 192:
        return tag, first, offset + 2
    if first < 224:
        second = _octets(data, offset + 2, 1, offset, tag)[0]
        return tag, ((first - 192) << 8) + second + 192, offset + 3
    if first == 255:
        return tag, _big_endian(_octets(data, offset + 2, 4, offset, tag)), offset + 6
    raise ValueError('OpenPGP packet at offset %d (tag %d) has a partial body length, '
                     'which OpenPGP does not allow in key packets: not a public key file' % (offset, tag))


def _octets(data, start, size, offset, tag):
    """Return ``size`` octets of a packet header, or raise ValueError if the data ends first."""
    if start + size > len(data):
        raise ValueError('OpenPGP packet at offset %d (tag %d) is truncated: its header is cut short' % (offset, tag))
    return data[start:start + size]


def _big_endian(octets):
    """Return the unsigned integer in big-endian ``octets`` (bytearray), as OpenPGP stores numbers."""
    value = 0
    for octet in octets:
        value = (value << 8) | octet
    return value


def primary_keys(data):
    """Return a dict per primary public key in ``data`` (armored or binary bytes), in file order.

    Each dict is ``{'key_id': 16 lower-case hex digits, 'created': unix time (int),
    'rpm_name': 'gpg-pubkey-<last 8 of key_id>-<created as 8 hex digits>'}``; the last is
    the name ``rpm -q gpg-pubkey`` lists once the key is imported.  Subkeys are left out:
    RPM names the imported key after its primary key only.  Raises ValueError when there is
    no public key, or on data this file cannot read, so that the caller never imports a key
    it could not check.
    """
    keys = []
    tags = []
    for tag, body in packets(dearmor(data)):
        tags.append(tag)
        if tag == PUBLIC_KEY:
            keys.append(_v4_key(body, len(keys)))
    if not keys:
        raise ValueError('no public key in the data: %s' % (
            'it holds no OpenPGP packet' if not tags
            else 'its OpenPGP packets have tags %s, none is a public key (tag 6)' % ', '.join(str(tag) for tag in sorted(set(tags)))))
    return keys


def _v4_key(body, index):
    """Return key ID, creation time and RPM name of a public-key packet body.

    Only version 4 is read: its fingerprint is SHA-1 over 0x99, the 2-octet body length and
    the body, and the key ID is the fingerprint's last 8 octets.  Version 3 keys (MD5, key ID
    from the RSA modulus) are long obsolete and refused by current RPM; versions 5 and 6 hash
    differently (SHA-256), and guessing there would give a wrong name, so both are errors.
    """
    octets = bytearray(body)
    if not octets:
        raise ValueError('public key %d: empty public-key packet' % (index + 1))
    if octets[0] != 4:
        raise ValueError('public key %d is an OpenPGP version %d key; only version 4 keys are supported'
                         % (index + 1, octets[0]))
    if len(octets) < 6:
        raise ValueError('public key %d: version 4 public-key packet of %d octets is too short' % (index + 1, len(octets)))
    if len(octets) > 0xffff:
        raise ValueError('public key %d: public-key packet of %d octets is too long for a version 4 key' % (index + 1, len(octets)))
    fingerprint = hashlib.sha1(bytes(bytearray([0x99, len(octets) >> 8, len(octets) & 0xff]) + octets)).digest()
    key_id = binascii.hexlify(fingerprint[-8:]).decode('ascii')
    created = _big_endian(octets[1:5])
    return {'key_id': key_id, 'created': created, 'rpm_name': 'gpg-pubkey-%s-%08x' % (key_id[-8:], created)}
