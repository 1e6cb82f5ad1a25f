# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filter plugins run on the controller only, so their tests need a controller's environment.

tools/units.sh runs tests/unit on every target Python with ansible-core's package alone on the path,
as a controller ships module_utils to a host. There, importing ansible's controller side (ansible.errors,
which the filters use) fails on Python 2.7, and with ansible-core 2.19 and later it switches
module_utils' JSON to the controller's, which needs Jinja2 and breaks the module tests collected after.
So these tests are collected only where a controller could run: Python 3.10 or newer (ansible-core
2.16's minimum) with Jinja2. tools/test.sh runs them in the oldest and the newest controller's virtualenv.
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
