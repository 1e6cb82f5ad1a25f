# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``tencentos`` facts of a host, every subset gathered by one call.

Modules gather with :func:`gather_facts`; each subset comes from the module_utils file of its
subject, and roles read the facts it returns rather than detect anything again.  Importable by
target Pythons 2.7 and 3.6 to 3.13: standard library only.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import sys

from ansible_collections.tencentos.fleet.plugins.module_utils.features import gather_features
from ansible_collections.tencentos.fleet.plugins.module_utils.installed_kernels import gather_kernel
from ansible_collections.tencentos.fleet.plugins.module_utils.namespaces import gather_virtualization
from ansible_collections.tencentos.fleet.plugins.module_utils.releases import gather_release
from ansible_collections.tencentos.fleet.plugins.module_utils.repositories import gather_repos


SUBSETS = ('release', 'kernel', 'features', 'virtualization', 'repos')


def gather_facts(subsets=SUBSETS, root='/', run=None, which=None):
    """Return the ``tencentos`` facts for the requested subsets."""
    facts = {}
    if 'release' in subsets:
        facts['release'] = gather_release(root)
        facts['release']['package_managers'] = [tool for tool in ('dnf', 'yum') if which is not None and which(tool)]
        if facts['release']['pkg_mgr'] is None and which is not None:
            for tool in ('dnf', 'yum', 'apt-get', 'zypper'):
                if which(tool):
                    facts['release']['pkg_mgr'] = tool.replace('-get', '')
                    break
    if 'kernel' in subsets:
        facts['kernel'] = gather_kernel(root, run)
    if 'features' in subsets:
        facts['features'] = gather_features(root, which)
    if 'virtualization' in subsets:
        facts['virtualization'] = gather_virtualization(root)
    if 'repos' in subsets:
        facts['repos'] = gather_repos(root)
    facts['python'] = {
        'version': '.'.join(str(part) for part in sys.version_info[:3]),
        'executable': sys.executable,
    }
    return facts
