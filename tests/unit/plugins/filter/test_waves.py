# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The waves of a roll-out as Ansible's serial takes them, from a list or from an AWX survey's text."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.tencentos.fleet.plugins.filter.waves import FilterModule, waves


def test_the_filter_is_named_as_the_playbooks_call_it():
    assert FilterModule().filters() == {'waves': waves}


@pytest.mark.parametrize('given, expected', [
    ([1, '10%', '25%', '100%'], [1, '10%', '25%', '100%']),
    ('1, 10%, 25%, 100%', [1, '10%', '25%', '100%']),
    ('1,50%', [1, '50%']),
    ('100%', ['100%']),
    (2, [2]),
    (['3', '1%'], [3, '1%']),
])
def test_a_list_or_text_gives_the_waves(given, expected):
    assert waves(given) == expected


@pytest.mark.parametrize('given', [
    '1, 10%,',        # a trailing comma: an empty wave
    '1,,10%',
    '1, ten',
    '[1, 2]',         # JSON typed into a text field
    '0', [0], ['0%'], ['101%'], ['-5'], ['1.5'], [], '', True, None, [True],
])
def test_waves_ansible_would_misread_give_none(given):
    assert waves(given) == []
