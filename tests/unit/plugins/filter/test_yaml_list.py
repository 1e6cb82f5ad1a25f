# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A list given as YAML text (an AWX survey's text area), or none."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.tencentos.fleet.plugins.filter.yaml_list import FilterModule, yaml_list


def test_the_filter_is_named_as_the_playbooks_call_it():
    assert FilterModule().filters() == {'yaml_list': yaml_list}


def test_a_yaml_list_is_read():
    text = '- name: kpatch_one\n  kernel: 5.4.241-1.0017\n  package: kpatch-one\n'
    assert yaml_list(text) == [{'name': 'kpatch_one', 'kernel': '5.4.241-1.0017', 'package': 'kpatch-one'}]
    assert yaml_list('[]') == []


@pytest.mark.parametrize('text', ['name: kpatch_one', 'kpatch_one', '- a\n b: [', '{', '', '42'])
def test_text_that_is_not_a_yaml_list_gives_none(text):
    assert yaml_list(text) is None
