# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: repos_to_write
short_description: The repositories the repos role writes, from a release's layout and the role's variables
version_added: 1.0.0
description:
  - The repos role's list for M(tencentos.fleet.repo_set) - the release's layout (the role's C(vars/)) on the chosen
    mirror, then the extra repositories - as data tested in Python rather than JSON assembled in a template.
  - The layout is narrowed to O(sections) when given, less the ids of O(remove). Each repository gets the settings
    every repository shares (C(gpgcheck), C(gpgkey), C(metadata_expire), C(sslverify), C(proxy)), then its own keys,
    which win. A layout entry's C(path) (or its replacement from O(paths)) becomes C(baseurl) below O(mirror).
    C(enabled) is the entry's (default true) or true when its id is in O(enable), and false when it is in O(disable).
positional: _input
options:
  _input:
    description: The release's layout - dicts with C(id), C(name), C(path) and optionally C(enabled).
    type: list
    elements: dict
    required: true
  mirror:
    description: The mirror's base URL (no trailing slash needed).
    type: str
    required: true
  gpg_key:
    description: The C(gpgkey) URL of every repository; empty for none.
    type: str
    default: ''
  unsigned:
    description: Write C(gpgcheck=0) (C(tencentos_repos_i_accept_unsigned_packages)).
    type: bool
    default: false
  sections:
    description: Only these ids of the layout; empty for all.
    type: list
    elements: str
    default: []
  remove:
    description: Ids of the layout left out.
    type: list
    elements: str
    default: []
  paths:
    description: Replacement paths below the mirror, by id.
    type: dict
    default: {}
  enable:
    description: Ids enabled whatever the layout says.
    type: list
    elements: str
    default: []
  disable:
    description: Ids disabled whatever the layout says.
    type: list
    elements: str
    default: []
  extra:
    description: More repositories, written after the layout's with the same shared settings.
    type: list
    elements: dict
    default: []
  metadata_expire:
    description: The shared C(metadata_expire).
    type: str
    default: 6h
  sslverify:
    description: The shared C(sslverify).
    type: bool
    default: true
  proxy:
    description: The shared C(proxy); empty for none.
    type: str
    default: ''
author:
  - tencentos.fleet contributors (@tencentos-fleet)
'''

EXAMPLES = r'''
- name: Write the release's repositories from the in-VPC mirror
  tencentos.fleet.repo_set:
    repos: >-
      {{ __layout | tencentos.fleet.repos_to_write(mirror='http://mirrors.tencentyun.com',
                                                   gpg_key='file:///etc/pki/rpm-gpg/RPM-GPG-KEY-TencentOS-3') }}
'''

RETURN = r'''
_value:
  description: The repositories, in the layout's order then the extra ones', each without C(path).
  type: list
  elements: dict
  sample:
    - {id: tencentos-baseos, name: TencentOS Server 3.1 - BaseOS, baseurl: 'http://mirrors.tencentyun.com/tlinux/3.1/BaseOS/$basearch/os/',
       enabled: true, gpgcheck: true, gpgkey: 'file:///etc/pki/rpm-gpg/RPM-GPG-KEY-TencentOS-3', metadata_expire: 6h,
       sslverify: true, proxy: null}
'''

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean


def repos_to_write(layout, mirror, gpg_key='', unsigned=False, sections=(), remove=(), paths=None, enable=(),
                   disable=(), extra=(), metadata_expire='6h', sslverify=True, proxy=''):
    """The repositories to write (see DOCUMENTATION)."""
    if not isinstance(layout, (list, tuple)) or not all(isinstance(item, dict) and 'id' in item for item in layout):
        raise AnsibleFilterError('repos_to_write: the input must be a list of repositories, each with an id')
    # An extra repository without an id is written as given, for repo_set to refuse with its reason.
    paths = paths or {}
    chosen = [item for item in layout if not sections or item['id'] in sections]
    chosen = [item for item in chosen if item['id'] not in remove]
    shared = {'gpgcheck': not boolean(unsigned, strict=False), 'gpgkey': gpg_key or None,
              'metadata_expire': metadata_expire, 'sslverify': boolean(sslverify, strict=False), 'proxy': proxy or None}
    repos = []
    for item in chosen + list(extra or ()):
        repo = dict(shared)
        repo.update(item)
        if 'path' in item:
            path = paths.get(item.get('id'), item['path'])
            repo['baseurl'] = '%s/%s' % (mirror.rstrip('/'), path.lstrip('/'))
            del repo['path']
        wanted = boolean(item.get('enabled', True), strict=False) or item.get('id') in enable
        repo['enabled'] = wanted and item.get('id') not in disable
        repos.append(repo)
    return repos


class FilterModule(object):
    """The repos role's repositories."""

    def filters(self):
        return {'repos_to_write': repos_to_write}
