# shellcheck shell=bash
# Sourceable: the variables that the fleet scripts, the Makefile and molecule agree on.
#   . molecule/resources/scripts/env.sh        # exports them into the current shell
#   bash molecule/resources/scripts/env.sh     # prints them as `export` lines
# No `set -e` here: this file is sourced into other people's shells.

# State and caches live outside the repository: images, rootfs tarball, mirror, GPG key, pid files.
TENCENTOS_FLEET_WORKDIR=${TENCENTOS_FLEET_WORKDIR:-/var/tmp/tencentos-fleet}
# Our own podman configuration (written by prepare-machine.sh); /etc/containers/* stays the machine's.
CONTAINERS_CONF=$TENCENTOS_FLEET_WORKDIR/containers.conf
# The mirror server listens on loopback only.
REPO_PORT=${REPO_PORT:-18080}
REPO_URL_HOST=http://127.0.0.1:$REPO_PORT
# slirp4netns with allow_host_loopback=true maps the machine's 127.0.0.1 to 10.0.2.2 inside a container,
# while the container keeps its own network namespace.
REPO_URL_GUEST=http://10.0.2.2:$REPO_PORT
export TENCENTOS_FLEET_WORKDIR CONTAINERS_CONF REPO_PORT REPO_URL_HOST REPO_URL_GUEST

if [ "${BASH_SOURCE[0]:-$0}" = "$0" ]; then
  for v in TENCENTOS_FLEET_WORKDIR CONTAINERS_CONF REPO_PORT REPO_URL_HOST REPO_URL_GUEST; do
    printf 'export %s=%q\n' "$v" "${!v}"
  done
fi
