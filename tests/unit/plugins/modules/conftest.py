# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``kernel`` fixture of the livepatch modules' tests: a FakeKernel (fake_kernel.py) below tmpdir."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from fake_kernel import TK4, FakeKernel


@pytest.fixture
def kernel(tmpdir, monkeypatch, request):
    """A TK4 host with the livepatch ABI, or the (release, abi[, kpatch_module]) of an indirect parameter."""
    param = getattr(request, 'param', (TK4, 'livepatch'))
    made = FakeKernel(tmpdir, monkeypatch, *param)
    yield made
    # Whatever happened, force was never written (facts sheet section 4).
    assert [path for path, _value in made.writes if path.endswith('/force')] == []
