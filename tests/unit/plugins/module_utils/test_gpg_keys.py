# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""OpenPGP key files: key IDs, creation times and RPM names, checked against gpg itself.

The keys in fixtures/gpg were made with GnuPG 2.2.40 in a throw-away GNUPGHOME
(``gpg --quick-gen-key ... rsa2048 sign never``, then ``ed25519``, each with an encryption
subkey from ``gpg --quick-add-key``) and exported with ``gpg --export --armor``;
rsa2048.b64 is ``gpg --export`` (binary) of the RSA key, kept as base64 text so that no
binary file enters the repository.  two-keys.asc is one ``gpg --export --armor`` of both
keys.  The expected values below are copied from ``gpg --with-colons --list-keys``, the
oracle that does not share code with gpg_keys.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import os

import pytest

from ansible_collections.tencentos.fleet.plugins.module_utils.gpg_keys import dearmor, packets, primary_keys

GPG = os.path.join(os.path.dirname(__file__), 'fixtures', 'gpg')

# From gpg --with-colons --list-keys: pub field 5 (key ID) and field 6 (creation time).
RSA = {'key_id': 'c77558a4630eb7b1', 'created': 1796655531, 'rpm_name': 'gpg-pubkey-630eb7b1-6b16c9ab'}
ED25519 = {'key_id': 'e53bcdd8fa45eae2', 'created': 1796655534, 'rpm_name': 'gpg-pubkey-fa45eae2-6b16c9ae'}
# The sub lines of the same listing: these must never be reported.
SUBKEY_IDS = ('7050b219620e2866', 'b011bf3acb16d622')


def fixture(name):
    with open(os.path.join(GPG, name), 'rb') as handle:
        return handle.read()


def rsa_binary():
    return base64.b64decode(fixture('rsa2048.b64'))


def new_format(tag, body):
    """Build a new-format packet with a one-octet or five-octet length, as some tools write them."""
    if len(body) < 192:
        return bytes(bytearray([0xc0 | tag, len(body)])) + body
    size = len(body)
    return bytes(bytearray([0xc0 | tag, 255, size >> 24, (size >> 16) & 0xff, (size >> 8) & 0xff, size & 0xff])) + body


@pytest.mark.parametrize('name, expected', [('rsa2048.asc', RSA), ('ed25519.asc', ED25519)])
def test_key_id_and_creation_time_equal_gpg(name, expected):
    assert primary_keys(fixture(name)) == [expected]


def test_armored_and_binary_give_the_same_keys():
    binary = rsa_binary()
    assert bytearray(binary)[0] == 0x99  # really binary: old-format public-key packet, 2-octet length
    assert dearmor(binary) is binary
    assert dearmor(fixture('rsa2048.asc')) == binary
    assert primary_keys(binary) == primary_keys(fixture('rsa2048.asc')) == [RSA]


def test_rpm_name_is_gpg_pubkey_version_release_in_lower_case_hex():
    [key] = primary_keys(fixture('ed25519.asc'))
    assert key['rpm_name'] == 'gpg-pubkey-fa45eae2-6b16c9ae'
    assert key['rpm_name'] == 'gpg-pubkey-%s-%x' % (ED25519['key_id'][-8:], ED25519['created'])
    # A creation time below 0x10000000 keeps 8 digits: RPM's release is zero-padded.
    body = bytearray(b'\x04\x00\x00\x12\x34\x16') + bytearray(40)
    [early] = primary_keys(new_format(6, bytes(body)))
    assert early['created'] == 0x1234
    assert early['rpm_name'].endswith('-00001234')
    assert early['rpm_name'] == 'gpg-pubkey-%s-00001234' % early['key_id'][-8:]
    assert len(early['key_id']) == 16 and early['key_id'] == early['key_id'].lower()


def test_two_keys_give_both_primary_keys_and_no_subkeys():
    data = fixture('two-keys.asc')
    assert data.count(b'-----BEGIN PGP PUBLIC KEY BLOCK-----') == 1
    tags = [tag for tag, body in packets(dearmor(data))]
    assert tags.count(6) == 2 and tags.count(14) == 2  # the subkeys are really in the file
    keys = primary_keys(data)
    assert keys == [RSA, ED25519]
    assert not set(SUBKEY_IDS) & set(key['key_id'] for key in keys)


def test_concatenated_armored_files_give_every_key():
    data = b'Key of the example repository\n' + fixture('rsa2048.asc') + b'\n' + fixture('ed25519.asc')
    assert primary_keys(data) == [RSA, ED25519]


def test_armor_headers_and_crlf_are_read_past():
    lines = fixture('ed25519.asc').decode('ascii').split('\n')
    assert lines[1] == ''
    lines[1:1] = ['Version: x', 'Comment: https://example.invalid/key: test']
    assert primary_keys('\r\n'.join(lines).encode('ascii')) == [ED25519]


def test_armor_without_blank_line_after_begin_still_reads():
    data = fixture('ed25519.asc').replace(b'-----\n\n', b'-----\n', 1)
    assert primary_keys(data) == [ED25519]


def test_new_format_packets_give_the_same_key():
    [(tag, body)] = [(tag, body) for tag, body in packets(rsa_binary()) if tag == 6]
    assert len(body) == 269
    assert primary_keys(new_format(6, body)) == [RSA]
    two_octet = bytes(bytearray([0xc6, ((269 - 192) >> 8) + 192, (269 - 192) & 0xff])) + body
    assert list(packets(two_octet)) == [(6, body)]


def test_old_format_length_types():
    assert list(packets(b'\xb4\x02hi')) == [(13, b'hi')]
    assert list(packets(b'\xb5\x00\x02hi')) == [(13, b'hi')]
    assert list(packets(b'\xb6\x00\x00\x00\x02hi')) == [(13, b'hi')]
    assert list(packets(b'\xb4\x01a\xb7rest')) == [(13, b'a'), (13, b'rest')]


@pytest.mark.parametrize('data, message', [
    (b'-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEaxbJrhYJ\n', 'no -----END PGP PUBLIC KEY BLOCK----- line'),
    (b'-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEa*bJrhYJ\n-----END PGP PUBLIC KEY BLOCK-----\n', 'line 3 is not base64'),
    (b'-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEaxbJrhY\n-----END PGP PUBLIC KEY BLOCK-----\n', 'bad base64'),
    (b'-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n-----END PGP PUBLIC KEY BLOCK-----\n', 'holds no data'),
    (b'-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEaxbJrhYJ\n=8WyQ\n', 'checksum line =8WyQ is not followed'),
    (b'-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEaxbJrhYJ\n-----BEGIN PGP SIGNATURE-----\n', 'line 4 comes before the -----END'),
    (b'-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQ==\n-----END PGP PRIVATE KEY BLOCK-----\n', 'PGP PRIVATE KEY BLOCK, not a PGP PUBLIC KEY BLOCK'),
    (b'<html><body>404 Not Found</body></html>\n', 'neither binary OpenPGP nor an ASCII-armored'),
])
def test_malformed_armor_is_refused_with_the_reason(data, message):
    with pytest.raises(ValueError) as caught:
        dearmor(data)
    assert message in str(caught.value)


def test_truncated_packet_is_refused():
    binary = rsa_binary()
    with pytest.raises(ValueError) as caught:
        primary_keys(binary[:200])
    assert str(caught.value) == 'OpenPGP packet at offset 0 (tag 6) is truncated: it declares 269 octets, 197 remain'
    with pytest.raises(ValueError) as caught:
        list(packets(binary[:2]))
    assert 'offset 0 (tag 6) is truncated: its header is cut short' in str(caught.value)
    with pytest.raises(ValueError) as caught:
        list(packets(b'\xc6\xc0'))
    assert 'header is cut short' in str(caught.value)


def test_partial_body_length_is_refused():
    with pytest.raises(ValueError) as caught:
        list(packets(b'\xc6\xe1' + b'\x04' * 4))
    assert 'offset 0 (tag 6) has a partial body length' in str(caught.value)


def test_byte_without_bit_7_is_refused():
    with pytest.raises(ValueError) as caught:
        list(packets(b'\xb4\x01a\x06\x01a'))
    assert 'byte 0x06 at offset 3 does not start an OpenPGP packet' in str(caught.value)


def test_v3_key_is_refused_naming_the_version():
    # Version 3 RSA key: version, creation time, validity days, algorithm, then modulus and
    # exponent as MPIs (RFC 4880 section 5.5.2); built by hand as nothing makes them any more.
    v3 = b'\x03\x36\x5e\x4c\x80\x00\x00\x01' + b'\x00\x10\xc3\x01' + b'\x00\x02\x03'
    with pytest.raises(ValueError) as caught:
        primary_keys(b'\x98' + bytes(bytearray([len(v3)])) + v3)
    assert str(caught.value) == 'public key 1 is an OpenPGP version 3 key; only version 4 keys are supported'


@pytest.mark.parametrize('version', [5, 6])
def test_v5_and_v6_keys_are_refused_naming_the_version(version):
    body = bytes(bytearray([version])) + b'\x6b\x16\xc9\xab\x1b\x00\x00\x00\x20' + b'\x00' * 32
    with pytest.raises(ValueError) as caught:
        primary_keys(new_format(6, body))
    assert 'version %d key; only version 4' % version in str(caught.value)


def test_second_key_is_named_in_the_error():
    v3 = b'\x98\x08\x03\x36\x5e\x4c\x80\x00\x00\x01'
    with pytest.raises(ValueError) as caught:
        primary_keys(rsa_binary() + v3)
    assert str(caught.value).startswith('public key 2 is an OpenPGP version 3 key')


def test_no_public_key_is_refused():
    with pytest.raises(ValueError) as caught:
        primary_keys(b'\xb4\x04test')
    assert str(caught.value) == 'no public key in the data: its OpenPGP packets have tags 13, none is a public key (tag 6)'
    # Subkeys alone do not make a key RPM can import.
    subkeys = [body for tag, body in packets(rsa_binary()) if tag == 14]
    with pytest.raises(ValueError) as caught:
        primary_keys(new_format(14, subkeys[0]))
    assert 'tags 14, none is a public key' in str(caught.value)
    with pytest.raises(ValueError) as caught:
        primary_keys(b'')
    assert str(caught.value) == 'no public key in the data: it holds no OpenPGP packet'
