# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared test machinery.

- Python 2.7 imports the collection as ``ansible_collections.tencentos.fleet``. Python 3 finds
  the collection's packages as namespace packages (no ``__init__.py``); Python 2 has none, so
  each level of the dotted name is registered as a package whose ``__path__`` lists the
  matching folder on ``sys.path``, as ansible-core's collection loader does on a target.
- ``run_module`` runs a module's main() in-process and returns what it exited with.
- The tests of controller code (every plugin type but modules and module_utils) are collected only where a
  controller could run.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import contextlib
import json
import os
import sys
import types

import pytest


# Modules and module_utils run on targets; every other plugin type (filters, actions, the cvm inventory plugin
# and its plugin_utils) runs on the controller only, and ansible-test divides a collection's unit tests the same
# way. tools/units.sh runs tests/unit on every target Python with ansible-core's package added to the path, as a
# controller ships module_utils to a host. There, importing ansible's controller side (ansible.errors, which the
# filters use) fails on Python 2.7, and with ansible-core 2.19 and later it switches module_utils' JSON to the
# controller's, which needs Jinja2 and breaks the module tests collected after. So the controller tests are
# collected only on Python 3.10 or newer (ansible-core 2.16's minimum) with Jinja2 and the Tencent Cloud SDK the
# cvm plugin needs (requirements.txt): Jinja2 alone does not make a controller, as an interpreter's own
# site-packages, which tools/units.sh keeps, may hold it. tools/test.sh runs them in the oldest and the newest
# controller's virtualenv.
TARGET_PLUGIN_TYPES = ('modules', 'module_utils')


def _controller_environment():
    if sys.version_info < (3, 10):
        return False
    import importlib.util
    return all(importlib.util.find_spec(package) is not None for package in ('jinja2', 'tencentcloud'))


def _controller_tests():
    plugins = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'plugins')
    return ['plugins/%s/test_*.py' % plugin_type for plugin_type in sorted(os.listdir(plugins))
            if plugin_type not in TARGET_PLUGIN_TYPES and os.path.isdir(os.path.join(plugins, plugin_type))]


collect_ignore_glob = [] if _controller_environment() else _controller_tests()


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


# ---------------------------------------------------------------------------
# Running a module's main() in-process
# ---------------------------------------------------------------------------

@contextlib.contextmanager
def module_args(args):
    """Hand ``args`` to the next AnsibleModule, on every supported ansible-core."""
    from ansible.module_utils import basic
    from ansible.module_utils.common.text.converters import to_bytes
    try:
        from ansible.module_utils.testing import patch_module_args  # ansible-core >= 2.19
    except ImportError:
        patch_module_args = None
    if patch_module_args is not None:
        with patch_module_args(args):
            yield
        return
    saved = basic._ANSIBLE_ARGS
    basic._ANSIBLE_ARGS = to_bytes(json.dumps({'ANSIBLE_MODULE_ARGS': args}))
    try:
        yield
    finally:
        basic._ANSIBLE_ARGS = saved


class ModuleExit(Exception):
    """Raised in place of exit_json / fail_json; ``failed`` tells which."""

    def __init__(self, failed, result):
        super(ModuleExit, self).__init__(result)
        self.failed = failed
        self.result = result


@pytest.fixture
def run_module(monkeypatch):
    """run_module(module, args) -> (failed, result) of the module's main()."""
    from ansible.module_utils import basic

    def exit_json(_module, **kwargs):
        raise ModuleExit(False, kwargs)

    def fail_json(_module, **kwargs):
        raise ModuleExit(True, kwargs)

    monkeypatch.setattr(basic.AnsibleModule, 'exit_json', exit_json)
    monkeypatch.setattr(basic.AnsibleModule, 'fail_json', fail_json)

    def run(module, args):
        with module_args(args):
            with pytest.raises(ModuleExit) as exited:
                module.main()
        return exited.value.failed, exited.value.result
    return run
