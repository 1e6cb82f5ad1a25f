#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: tencentos.fleet contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: tencentos_facts
short_description: Tell what TencentOS host a play stands on
version_added: 1.0.0
description:
  - Returns, under C(ansible_facts.tencentos), the release (TencentOS Server, Tencent tlinux,
    OpenCloudOS, CentOS or another system), the running kernel and its TencentOS flavour,
    the installed kernel packages with their C(uname -r) strings, the kernel features the
    other roles of this collection depend on, and whether the host is a container.
  - Reads files and runs C(rpm -qa); never changes anything.
  - The running kernel is read from C(/proc/sys/kernel/osrelease), not from the C(uname) system call,
    so that a container reports the kernel interface it is shown.
  - The facts merge and are gathered once per host per play. The subsets gathered by a call replace the same
    subsets of C(ansible_facts.tencentos), and the others stay, so that a call with a narrower O(gather_subset)
    never removes what an earlier one gathered. A call whose subsets were all gathered earlier in the same play
    runs nothing on the host and returns the facts the host has (see O(refresh)); one that asks for some more
    runs the module for those and for every other subset the roles read (V(release), V(kernel), V(features),
    V(virtualization); V(repos) only when asked, as the repos role changes it in the same play) not gathered yet in
    the play, because the module's start on the host costs far more than reading them, so that the later calls of
    the play run nothing. The collection's action plugin of the same name does this on the controller.
author:
  - tencentos.fleet contributors (@tencentos-fleet)
options:
  gather_subset:
    description:
      - Which groups of facts to gather. C(all) gathers every group.
      - C(python) (the interpreter running the module) is always returned.
    type: list
    elements: str
    choices: [all, release, kernel, features, virtualization, repos]
    default: [all]
  refresh:
    description:
      - Gather the requested subsets even if they were gathered earlier in this play, for a task that follows a
        change of what they describe (a reboot, a hot patch loaded or removed, a repository written).
      - The subsets gathered earlier in the play then count as not gathered any more, so that the next call that
        asks for one of them gathers it again; their facts stay until then.
      - Handled on the controller by the action plugin, which does not pass it to the module.
    type: bool
    default: false
attributes:
  action:
    description: An action plugin of the same name merges the facts and gathers each subset once per host per play.
    support: full
  check_mode:
    description: Can run in check mode and return the same facts.
    support: full
  diff_mode:
    description: Changes nothing, so has no diff.
    support: none
  facts:
    description: Returns facts under C(ansible_facts.tencentos).
    support: full
notes:
  - Runs on target Python 2.7 and 3.6 to 3.13.
  - Release rules, kernel flavours and package name mappings are documented in
    the collection's C(docs/tencentos-facts.md).
'''

EXAMPLES = r'''
- name: Learn what TencentOS host this is
  tencentos.fleet.tencentos_facts:

- name: Only the release and the kernel (skips the feature probes)
  tencentos.fleet.tencentos_facts:
    gather_subset: [release, kernel]

- name: Read the hot patches again after loading one (the features gathered earlier in the play are out of date)
  tencentos.fleet.tencentos_facts:
    gather_subset: [features]
    refresh: true

- name: Load the vars file of the detected release
  ansible.builtin.include_vars: "{{ lookup('ansible.builtin.first_found', params) }}"
  vars:
    params:
      files: "{{ ansible_facts.tencentos.release.vars_files }}"
      paths: [vars]

- name: Act only on TK3 kernels that have the stats isolation switch
  ansible.builtin.debug:
    msg: stats isolation is {{ ansible_facts.tencentos.features.stats_isolation }}
  when: ansible_facts.tencentos.kernel.flavour == 'tk3'
'''

RETURN = r'''
ansible_facts:
  description: Facts to add to ansible_facts.
  returned: always
  type: complex
  contains:
    tencentos:
      description: Everything the collection knows about the host.
      returned: always
      type: complex
      contains:
        release:
          description: The operating system release.
          returned: when the release subset is gathered
          type: complex
          contains:
            family:
              description: C(tlinux), C(tencentos), C(opencloudos), C(centos) or C(other).
              type: str
              returned: always
              sample: tencentos
            id:
              description: The raw, lower-cased os-release C(ID).
              type: str
              returned: always
              sample: tencentos
            distribution:
              description: Name used in role vars file names (C(TencentOS), C(Tlinux), C(OpenCloudOS), C(CentOS)) or the raw ID.
              type: str
              returned: always
              sample: TencentOS
            name:
              description: The release's name.
              type: str
              returned: always
              sample: TencentOS Server
            version:
              description: The release version as the release states it.
              type: str
              returned: always
              sample: '3.1'
            major:
              description: Major version number.
              type: int
              returned: always
              sample: 3
            minor:
              description: Minor version number, null when the version has none.
              type: int
              returned: always
              sample: 1
            platform_id:
              description: os-release C(PLATFORM_ID).
              type: str
              returned: always
              sample: platform:el8
            pretty_name:
              description: os-release C(PRETTY_NAME).
              type: str
              returned: always
              sample: TencentOS Server 3.1 (Final)
            el_major:
              description: The RHEL generation the release is built on, null when it is none.
              type: int
              returned: always
              sample: 8
            pkg_mgr:
              description: The package manager to use, C(yum) on EL7 lines and C(dnf) from EL8 on.
              type: str
              returned: always
              sample: dnf
            package_managers:
              description:
                - The package manager commands the host has, of C(dnf) and C(yum). A role that installs packages
                  uses C(dnf) where the host has it, as M(tencentos.fleet.kernel_target) does, and C(yum) otherwise
                  (ansible-core 2.16's C(yum) module needs the yum Python bindings, which EL8 hosts lack).
              type: list
              elements: str
              returned: always
              sample: [dnf, yum]
            source:
              description: The file that decided the release.
              type: str
              returned: always
              sample: /etc/os-release
            vars_files:
              description: Role vars file names to try with C(first_found), most specific first.
              type: list
              elements: str
              returned: always
              sample: [TencentOS_3.1.yml, TencentOS_3.yml, default.yml]
        kernel:
          description: The running kernel and the installed kernel packages.
          returned: when the kernel subset is gathered
          type: complex
          contains:
            release:
              description: The running kernel release, as C(uname -r) prints it.
              type: str
              returned: always
              sample: 5.4.119-19-0009.1
            line:
              description:
                - The kernel line, recognised from C(uname -r) alone (facts sheet, "Kernel lines") -
                  C(tkernel2) (3.10 C(kernel-tlinux2_kvm_guest)), C(tkernel3) (4.14 C(kernel-tlinux3)), C(tk3)
                  (4.14 git-tag builds), C(tk4) (5.4 git-tag builds, TKE native nodes), C(tlinux4) (5.4
                  C(kernel-tlinux4)), C(oc8) (OpenCloudOS 8), C(tl4) (TencentOS 4), C(oc9) (OpenCloudOS 9) or
                  C(stock) (no Tencent or OpenCloudOS marker).
              type: str
              returned: always
              sample: tlinux4
            line_name:
              description: Human-readable line.
              type: str
              returned: always
              sample: TK4 kernel-tlinux4 (5.4)
            tree:
              description: The Tencent kernel source tree the line is built from (C(tk2), C(tk3), C(tk4)), or null.
              type: str
              returned: always
              sample: tk4
            line_features:
              description:
                - What a kernel of this line has, by its tree - C(stats_isolation) (TK3's switch),
                  C(max_map_count_gate) (C(kernel.isolate_max_map_count), TK3 and TK4), C(kpatch_core) (a kpatch core
                  module on x86, TK3). The C(features) subset says what the running kernel shows.
              type: dict
              returned: always
              sample: {stats_isolation: false, max_map_count_gate: true, kpatch_core: false}
            flavour:
              description: C(tk2) (3.10), C(tk3) (4.14), C(tk4) (5.4), C(tl4) (6.6 TencentOS 4), C(opencloudos) or C(stock).
              type: str
              returned: always
              sample: tk4
            flavour_name:
              description: Human-readable flavour.
              type: str
              returned: always
              sample: TK4 (TencentOS kernel 5.4)
            upstream:
              description: The upstream Linux version.
              type: str
              returned: always
              sample: 5.4.119
            version:
              description: Dotted numeric version usable with the C(version) test.
              type: str
              returned: always
              sample: 5.4.119.19.9.1
            version_key:
              description: The same as a list of integers.
              type: list
              elements: int
              returned: always
              sample: [5, 4, 119, 19, 9, 1]
            arch:
              description: Machine architecture.
              type: str
              returned: always
              sample: x86_64
            installed:
              description:
                - Installed kernel packages, one entry per C(uname -r), oldest first. C(uname_r) is read from the
                  package - its C(kernel-uname-r) Provides (C(uname_source=provides)) or the C(/lib/modules)
                  directory it owns (C(owned_path)) - and computed from its name only when it has neither
                  (C(name_rule)).
              type: list
              elements: dict
              returned: always
              sample:
                - uname_r: 4.14.105-19-0013
                  uname_source: owned_path
                  line: tk3
                  packages: [kernel-4.14.105-19.0013.tl2.x86_64]
                  version: 4.14.105
                  release: 19.0013.tl2
                  arch: x86_64
                  running: false
                  boot_image: true
            boot:
              description:
                - The boot loader's view (see M(tencentos.fleet.kernel_boot)) - C(style) (C(bls), C(legacy)
                  or C(none)), the C(default) kernel, the C(next) kernel booted once (or null), and
                  C(reboot_pending), true when a one-time boot is set or the default is not the running kernel.
              type: dict
              returned: always
              sample: {style: bls, default: 5.4.119-19-0010.1, next: null, reboot_pending: false}
        features:
          description: Kernel features the collection's roles depend on.
          returned: when the features subset is gathered
          type: complex
          contains:
            stats_isolation:
              description: >-
                C(absent) (the kernel has no C(kernel.stats_isolated)), C(off) or C(on).
              type: str
              returned: always
              sample: absent
            cgroupfs:
              description: Whether the kernel offers the cgroupfs filesystem (TK4+) and where it is mounted.
              type: dict
              returned: always
              sample: {available: true, mounted_at: null}
            livepatch_abi:
              description: C(livepatch) (/sys/kernel/livepatch), C(kpatch) (/sys/kernel/kpatch only) or C(none).
              type: str
              returned: always
              sample: livepatch
            kpatch_core:
              description: Whether the kpatch core module's sysfs directory exists.
              type: bool
              returned: always
              sample: true
            kpatch_cli:
              description: Path of the C(kpatch) command, null when it is not installed.
              type: str
              returned: always
              sample: /usr/sbin/kpatch
            hot_patches:
              description:
                - Every hot patch the running kernel has registered (below C(/sys/kernel/livepatch) or
                  C(/sys/kernel/kpatch)), those of the upstream ABI first, each ABI's in name order,
                  each with C(name), C(abi) (C(livepatch) or C(kpatch)), C(enabled) and C(transition)
                  (true while the patch is being applied or removed; always false for kpatch core
                  patches).
                - See M(tencentos.fleet.livepatch) to load, persist and remove them.
              type: list
              elements: dict
              returned: always
              sample: [{name: livepatch_fix_one, abi: livepatch, enabled: true, transition: false}]
            cgroup_version:
              description: C(v1), C(v2), C(hybrid) or C(none).
              type: str
              returned: always
              sample: v2
        virtualization:
          description: Whether the host is a container and which namespaces it is in.
          returned: when the virtualization subset is gathered
          type: complex
          contains:
            container:
              description: True inside a container.
              type: bool
              returned: always
              sample: false
            container_type:
              description: C(podman), C(docker), C(kubernetes), C(lxc), ..., C(unknown), or null on a real host.
              type: str
              returned: always
              sample: null
            namespaces:
              description: >-
                Per namespace (C(pid), C(net), C(user)): C(initial) (whether it is the
                kernel's first one, where that can be told) and C(differs_from_pid1).
              type: dict
              returned: always
              sample: {pid: {initial: true, differs_from_pid1: false}, net: {differs_from_pid1: false}}
        repos:
          description: The enabled YUM/DNF repositories, summarised.
          returned: when the repos subset is gathered
          type: complex
          contains:
            managed_file:
              description: The file of the C(tencentos.fleet.repos) role, null when the host has none.
              type: str
              returned: always
              sample: /etc/yum.repos.d/tencentos-fleet.repo
            enabled:
              description: Every enabled repository with its file, the host of its first URL and whether GPG checks it.
              type: list
              elements: dict
              returned: always
              sample: [{id: tencentos-baseos, file: /etc/yum.repos.d/tencentos-fleet.repo, host: mirrors.tencentyun.com, gpgcheck: true}]
            hosts:
              description: The hosts the enabled repositories come from, in order.
              type: list
              elements: str
              returned: always
              sample: [mirrors.tencentyun.com]
            gpgcheck:
              description: True when every enabled repository checks package signatures (false when there is none).
              type: bool
              returned: always
              sample: true
        python:
          description: The interpreter that ran the module.
          returned: always
          type: dict
          sample: {version: 3.6.8, executable: /usr/libexec/platform-python}
        gathered:
          description:
            - What was gathered in which play, recorded on the controller by the action plugin. C(subsets) lists the
              subsets gathered in the play C(play) (the play's uuid) and not refreshed away since; the facts of other
              subsets, gathered in earlier plays, stay in C(ansible_facts.tencentos) but are not listed.
          returned: always
          type: dict
          sample: {subsets: [release, kernel], play: 02fc0000-0001-a9af-2c3f-000000000001}
msg:
  description: What the call gathered, and which subsets it took from earlier in the play instead of gathering them.
  returned: always
  type: str
  sample: gathered features, virtualization; kernel already gathered in this play
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.tencentos.fleet.plugins.module_utils import boot_loader
from ansible_collections.tencentos.fleet.plugins.module_utils.host_facts import SUBSETS, gather_facts


def requested_subsets(gather_subset):
    """Expand the gather_subset option into the list of subsets to gather."""
    if 'all' in gather_subset:
        return list(SUBSETS)
    return [subset for subset in SUBSETS if subset in gather_subset]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            gather_subset=dict(type='list', elements='str', default=['all'],
                               choices=['all'] + list(SUBSETS)),
            # Handled on the controller (plugins/action/tencentos_facts.py), which does not pass it on.
            refresh=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )

    def run(argv):
        if not module.get_bin_path(argv[0]):
            return 127, '', '%s not found' % argv[0]
        return module.run_command(argv)

    def which(name):
        return module.get_bin_path(name, opt_dirs=['/usr/sbin', '/sbin', '/usr/local/sbin'])

    facts = gather_facts(requested_subsets(module.params['gather_subset']), run=run, which=which)
    if 'kernel' in facts:
        facts['kernel']['boot'] = boot_loader.boot_summary(boot_loader.read_boot_state('/'), facts['kernel']['release'])
    module.exit_json(changed=False, ansible_facts={'tencentos': facts})


if __name__ == '__main__':
    main()
