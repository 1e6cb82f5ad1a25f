#!/bin/sh
# Turns the debootstrap minbase into the common layer of every simulated release: a Debian bookworm
# userland with the RPM tool chain that rpm, dnf, Ansible and testinfra need to treat the container
# as an RPM-based host. Run inside the container by build-images.sh, which commits the result.
set -eu

# python3 for Ansible modules; rpm/dnf/python3-dnf for the package modules (dnf, package_facts,
# rpm_key, yum_repository); procps for sysctl/ps; iproute2 for network facts; OpenSSH's server for
# the SSH fleet (scripts/ssh-fleet.sh starts it with a configuration and host key of each host's own;
# molecule's and the demo's podman hosts never start it).
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
  python3 rpm dnf python3-dnf procps iproute2 openssh-server
apt-get clean
# The package generated host keys: no image carries a private key that every host would share.
rm -f /etc/ssh/ssh_host_*
rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/* /usr/share/locale/*

# Debian's rpm keeps its database in ~/.rpmdb; EL and TencentOS keep it in /var/lib/rpm, which is
# where Ansible's package_facts, testinfra and people look.
mkdir -p /etc/rpm /var/lib/rpm /etc/yum.repos.d
echo '%_dbpath /var/lib/rpm' > /etc/rpm/macros
rpm --initdb

# TencentOS 2.x and CentOS 7 are managed with `yum`, EL8+ ship `yum` as a link to dnf: one name for both.
ln -sf dnf /usr/bin/yum

# Hide the Debian package tools that make tools take the host for Debian, as a real host has none:
# - testinfra's host.package() chooses the Debian backend when dpkg-query exists and the distribution
#   id ("tencentos", "opencloudos") is not on its RPM list;
# - ansible-core's pkg_mgr fact, outside the RedHat os_family (OpenCloudOS, TencentOS 4), takes the
#   last package manager it finds, and /usr/bin/apt-get comes after /usr/bin/yum: "apt" instead of "dnf".
# apt cannot be used in the images after this.
for tool in /usr/bin/dpkg-query /usr/bin/apt-get /usr/bin/apt; do
  mv "$tool" "$tool.hidden"
done
