# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Let Python 2.7 import the collection as ``ansible_collections.tencentos.fleet``.

Python 3 finds the collection's packages as namespace packages (no ``__init__.py``).
Python 2 has none, so each level of the dotted name is registered as a package whose
``__path__`` lists the matching folder on ``sys.path``, as ansible-core's collection loader
does for modules it ships to a target.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import sys
import types


def _register_namespace_packages():
    levels = ['ansible_collections', 'tencentos', 'fleet', 'plugins', 'module_utils']
    for depth in range(1, len(levels) + 1):
        name = '.'.join(levels[:depth])
        paths = [os.path.join(entry, *levels[:depth]) for entry in sys.path]
        paths = [path for path in paths if os.path.isdir(path)]
        if name not in sys.modules and paths:
            package = types.ModuleType(name)
            package.__path__ = paths
            sys.modules[name] = package
    plugins = 'ansible_collections.tencentos.fleet.plugins'
    if plugins in sys.modules and plugins + '.modules' not in sys.modules:
        package = types.ModuleType(plugins + '.modules')
        package.__path__ = [os.path.join(path, 'modules') for path in sys.modules[plugins].__path__]
        sys.modules[plugins + '.modules'] = package


if sys.version_info[0] == 2:
    _register_namespace_packages()
