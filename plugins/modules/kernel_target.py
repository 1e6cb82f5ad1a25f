#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: kernel_target
short_description: Resolve a TencentOS kernel version to packages and check the host can take it
version_added: 1.0.0
description:
  - Read-only planning step of the C(tencentos.fleet.kernel) role; it changes nothing on the host.
  - Lists the kernel builds of the enabled repositories with the host's C(dnf) (C(dnf repoquery), with
    each package's Provides) or C(yum), finds the C(uname -r) each one boots and its kernel line, and
    resolves O(version) to one build and its package names.
  - A build's C(uname -r) is read from the package's metadata - the installed package's
    C(kernel-uname-r) Provides or the C(/lib/modules/<uname -r>) directory it owns, a repository package's
    C(kernel-uname-r) Provides - and computed from its name-version-release only where the package declares
    neither (C(yum) on EL7 lists no Provides). RV(target.uname_source) says which.
  - Fails, naming what it saw, when the version is malformed, not in the repositories, when a
    requested C(-devel)/C(-headers) package is missing, when C(/boot) or C(/) has too little room for
    a kernel still to be installed, or when the kernel did not come up on this host before.
  - C(latest) is the newest build of the kernel line the host runs (TK3, TK4, C(kernel-tlinux4), ...; see
    the facts sheet's kernel lines). Moving to another line is an explicit choice (O(line)), never to an
    older line; an exact O(version) may be of any line in O(lines).
  - C(latest) never goes back - when the running kernel is newer than every build of its line in
    the repositories, it is the target.
  - Also reports the running kernel, the boot state (see M(tencentos.fleet.kernel_boot)) and which
    installed kernels to remove so that O(keep) remain.
author:
  - tencentos.fleet contributors (@tencentos-fleet)
options:
  version:
    description: C(latest), or the kernel release as C(uname -r) prints it (C(4.14.105-19-0013), C(5.4.119-19-0009.1), C(6.6.98-40.2.tl4.x86_64)).
    type: str
    required: true
  lines:
    description:
      - The kernel lines the release offers (C(tkernel2), C(tkernel3), C(tk3), C(tk4), C(tlinux4), C(oc8),
        C(tl4), C(oc9)); the target is always of one of them. Their package names are the collection's
        (C(kernel), C(kernel-tlinux3), C(kernel-tlinux4), C(kernel-tlinux2_kvm_guest), ...).
    type: list
    elements: str
    required: true
  line:
    description:
      - The kernel line to move the host to with C(latest), one of O(lines). Empty means the line the host runs.
    type: str
    default: ''
  extras:
    description: Companion packages of the same build to install too.
    type: list
    elements: str
    choices: [devel, headers]
    default: []
  keep:
    description: How many kernels to keep installed, counting the running one, the default and the target.
    type: int
    default: 3
  protect:
    description: More kernels (C(uname -r)) never to remove.
    type: list
    elements: str
    default: []
  min_free_mb:
    description: Free space in MiB that each path needs before a kernel is installed.
    type: dict
    default: {/boot: 150, /: 1024}
  package_manager:
    description: C(dnf) or C(yum); by default C(dnf) if the host has it, else C(yum).
    type: str
    choices: [dnf, yum]
  retry_failed:
    description:
      - Allow a target that did not come up on this host before. The kernel role records such kernels in
        C(/var/lib/tencentos-fleet/kernel-boot-failures); by default the module refuses them, so that a
        re-run does not reboot a host into the same broken kernel again.
    type: bool
    default: false
attributes:
  check_mode:
    description: The module never changes anything; it runs the same in check mode.
    support: full
  diff_mode:
    description: Nothing to show, nothing changes.
    support: none
seealso:
  - module: tencentos.fleet.kernel_boot
'''

EXAMPLES = r'''
- name: Find the newest kernel of the line the host runs (a TencentOS 2.4 host may run TK3 or TK4)
  tencentos.fleet.kernel_target:
    version: latest
    lines: [tkernel3, tk3, tk4]
  register: plan

- name: Move a TencentOS 2.4 host from TK3 to the newest TK4
  tencentos.fleet.kernel_target:
    version: latest
    lines: [tkernel3, tk3, tk4]
    line: tk4
  register: plan
'''

RETURN = r'''
target:
  description: The build to install.
  returned: success
  type: dict
  contains:
    uname_r:
      description: Kernel release as C(uname -r) will print it.
      type: str
      sample: 5.4.119-19-0010.1
    uname_source:
      description:
        - Where RV(target.uname_r) was read - C(provides) (the package's C(kernel-uname-r)), C(owned_path) (the
          C(/lib/modules) directory the installed package owns) or C(name_rule) (computed from its name-version-release).
      type: str
      sample: provides
    line:
      description: The kernel line of the target.
      type: str
      sample: tk4
    nvra:
      description: Package name-version-release.arch.
      type: str
      sample: kernel-5.4.119-19.0010.1.tl3.x86_64
    packages:
      description: Packages to install, the kernel first, then the O(extras).
      type: list
      elements: str
    installed:
      description: Whether the kernel package is installed already.
      type: bool
    all_installed:
      description: Whether the kernel and every package of O(extras) are installed already.
      type: bool
    running:
      description: Whether the host runs it now.
      type: bool
running:
  description: The running kernel (C(/proc/sys/kernel/osrelease)).
  returned: always
  type: str
running_line:
  description: The kernel line of the running kernel (C(stock) for a kernel of no Tencent or OpenCloudOS line).
  returned: always
  type: str
  sample: tk3
available:
  description: Kernel releases of the enabled repositories of O(lines), oldest first.
  returned: always
  type: list
  elements: str
boot:
  description: Boot state, as M(tencentos.fleet.kernel_boot) returns it.
  returned: always
  type: dict
prune:
  description: Installed kernels to remove so that O(keep) remain, oldest first, each with C(uname_r) and C(packages).
  returned: always
  type: list
  elements: dict
check_mode:
  description:
    - Whether the module ran in check mode. Unlike C(ansible_check_mode), which follows only the
      command line's C(--check), this follows play, block and task C(check_mode) too.
  returned: always
  type: bool
package_manager:
  description: The package manager used.
  returned: always
  type: str
failed_boots:
  description: Kernels recorded as not having come up on this host, with when.
  returned: always
  type: dict
  sample: {5.4.119-19-0010.1: "2026-11-27T22:10:03Z"}
free_mb:
  description: Free MiB of each path of O(min_free_mb).
  returned: always
  type: dict
'''

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.tencentos.fleet.plugins.module_utils import boot_loader
from ansible_collections.tencentos.fleet.plugins.module_utils import failed_boots, kernel_plan
from ansible_collections.tencentos.fleet.plugins.module_utils.files import host_path, read_text
from ansible_collections.tencentos.fleet.plugins.module_utils.installed_kernels import gather_kernel

# Root of the host's file system; unit tests point it at a fixture tree.
ROOT = '/'
# Kernels that did not come up after a one-time boot, written by the kernel role: "<uname -r> <when>" lines.


def free_mebibytes(root, path):
    """Free MiB (f_bavail, as df shows it) of the file system holding ``path`` or its nearest existing parent."""
    where = host_path(root, path)
    while not os.path.exists(where) and where != os.path.dirname(where):
        where = os.path.dirname(where)
    stat = os.statvfs(where)
    return stat.f_bavail * stat.f_frsize // (1024 * 1024)


def list_builds(module, manager, names):
    """Every build of ``names`` the package manager knows, installed or available.

    dnf's repoquery gives each package's Provides with it (kernel-uname-r where the package declares it);
    EL7's yum has no repoquery of its own, so there the listing has names and versions only.
    """
    if manager == 'dnf':
        argv = [module.get_bin_path('dnf', required=True), '-q', 'repoquery', '--qf', kernel_plan.REPOQUERY_FORMAT]
    else:
        argv = [module.get_bin_path(manager, required=True), '-q', '--showduplicates', 'list']
    rc, out, err = module.run_command(argv + names, environ_update={'LC_ALL': 'C'})
    if rc != 0 and 'No matching Packages' not in (out + err):
        module.fail_json(msg='%s could not list the kernel packages (rc %d): %s' % (manager, rc, (err or out).strip()))
    if manager == 'dnf':
        return kernel_plan.parse_repoquery(out)
    return kernel_plan.parse_package_list(out)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            version=dict(type='str', required=True),
            lines=dict(type='list', elements='str', required=True),
            line=dict(type='str', default=''),
            extras=dict(type='list', elements='str', choices=list(kernel_plan.EXTRA_SUFFIXES), default=[]),
            keep=dict(type='int', default=3),
            protect=dict(type='list', elements='str', default=[]),
            min_free_mb=dict(type='dict', default={'/boot': 150, '/': 1024}),
            package_manager=dict(type='str', choices=['dnf', 'yum']),
            retry_failed=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    params = module.params
    root = ROOT
    problem = kernel_plan.version_problem(params['version'])
    if problem:
        module.fail_json(msg='version: %s' % problem)
    if params['keep'] < 2:
        module.fail_json(msg='keep: %d is too few; at least 2 (the working kernel and the new one)' % params['keep'])
    if not params['lines']:
        module.fail_json(msg='lines: give at least one kernel line of the release')
    problem = kernel_plan.lines_problem(params['lines'], params['line'])
    if problem:
        module.fail_json(msg='lines/line: %s' % problem)

    try:
        params['min_free_mb'] = dict((path, int(value)) for path, value in params['min_free_mb'].items())
    except (TypeError, ValueError):
        module.fail_json(msg='min_free_mb: %s: give whole numbers of MiB per path' % params['min_free_mb'])
    manager = params['package_manager'] or ('dnf' if module.get_bin_path('dnf') else 'yum')
    kernel = gather_kernel(root, run=module.run_command)
    boot = boot_loader.read_boot_state(root)
    packages = kernel_plan.line_packages(params['lines'])
    names = packages + ['%s-%s' % (name, extra) for name in packages for extra in params['extras']]
    listing = list_builds(module, manager, names)
    builds = kernel_plan.kernel_builds(listing, params['lines'], kernel['installed'])
    result = dict(
        changed=False,
        check_mode=module.check_mode,
        running=kernel['release'],
        running_line=kernel['line'],
        package_manager=manager,
        available=kernel_plan.available_releases(builds),
        boot=boot_loader.public_state(boot),
        free_mb=dict((path, free_mebibytes(root, path)) for path in params['min_free_mb']),
    )

    target, problem = kernel_plan.choose_target(builds, params['version'], params['lines'], kernel['release'],
                                                params['line'])
    if problem:
        module.fail_json(msg=problem, **result)
    if params['version'] == 'latest' and kernel_plan.newer_on_same_line(kernel['release'], target['uname_r']):
        # "latest" never goes back: the running kernel is newer than anything the repositories offer.
        target = kernel_plan.running_as_target(kernel['release'], kernel['installed'])
    result['failed_boots'] = failed_boots.parse(read_text(root, failed_boots.PATH))
    failed_before = result['failed_boots'].get(target['uname_r'])
    if failed_before and target['uname_r'] != kernel['release'] and not params['retry_failed']:
        module.fail_json(msg='kernel %s did not come up on this host before (%s, recorded in %s); it is not tried '
                         'again unless retry_failed (role variable tencentos_kernel_retry_failed) is true'
                         % (target['uname_r'], failed_before, failed_boots.PATH), **result)
    specs, missing = kernel_plan.extra_packages(target, params['extras'], listing) if target['nvra'] else ([], [])
    if missing:
        module.fail_json(msg='not in the enabled repositories: %s' % ', '.join(missing), **result)
    installed_unames = [entry['uname_r'] for entry in kernel['installed']]
    result['target'] = dict(
        uname_r=target['uname_r'], uname_source=target['uname_source'], line=target['line'],
        nvra=target['nvra'], name=target['name'], version=target['version'],
        release=target['release'], repos=target['repos'], packages=([target['nvra']] if target['nvra'] else []) + specs,
        installed=target['uname_r'] in installed_unames, running=target['uname_r'] == kernel['release'],
    )
    result['target']['all_installed'] = result['target']['installed'] and kernel_plan.all_installed(specs, listing)
    if not (result['target']['running'] or result['target']['installed']):
        minimum = params['min_free_mb']
        short = kernel_plan.free_space_problems(result['free_mb'], minimum)
        if short:
            module.fail_json(msg='not enough room for kernel %s: %s' % (target['uname_r'], '; '.join(short)), **result)

    protected = set([kernel['release'], target['uname_r'], boot['default_kernel']] + params['protect'])
    # A target still to be installed takes one of the kept places, as it will after the install.
    installed = kernel['installed'] + ([] if result['target']['installed'] else [{'uname_r': target['uname_r']}])
    result['prune'] = [dict(uname_r=entry['uname_r'], packages=entry['packages'])
                       for entry in kernel_plan.prune_plan(installed, params['keep'], protected)]
    module.exit_json(**result)


if __name__ == '__main__':
    main()
