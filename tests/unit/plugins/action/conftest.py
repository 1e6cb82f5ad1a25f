# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugins run on the controller only, so their tests need a controller's environment.

As for the filter plugins' tests (tests/unit/plugins/filter/conftest.py): tools/units.sh runs tests/unit on every
target Python with ansible-core's package alone on the path, where ansible's controller side does not import
(Python 2.7), or switches module_utils' JSON to the controller's and breaks the module tests collected after
(ansible-core 2.19 and later). So these tests are collected only where a controller could run: Python 3.10 or
newer (ansible-core 2.16's minimum) with Jinja2. tools/test.sh runs them in the oldest and the newest
controller's virtualenv.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import sys


def _controller_environment():
    if sys.version_info < (3, 10):
        return False
    import importlib.util
    return importlib.util.find_spec('jinja2') is not None


collect_ignore_glob = [] if _controller_environment() else ['test_*.py']
