#!/usr/bin/env bash
# Builds the simulated TencentOS, Tencent Linux and OpenCloudOS images a molecule scenario of your own role runs
# on where no container registry is reachable (example/molecule.yml's default image). They are the images of the
# collection's own tests, built by the same script from the same definitions (molecule/resources/ of the collection:
# a Debian bookworm userland made with debootstrap, rpm and dnf, each release's own release files), with no registry.
#
#   build-simulated-images.sh [RELEASE...]   # tencentos-3.1 tencentos-4 opencloudos-9 ...; default: every release
#
# Needs root on a Debian 12 machine: it installs the Debian packages it lacks (podman, debootstrap, rpm, ...) and
# writes a podman configuration of its own, /var/tmp/tencentos-fleet/containers.conf ($TENCENTOS_FLEET_WORKDIR),
# leaving /etc/containers as it is; it prints every change. Images are cached by a hash of their definitions.
set -euo pipefail
scripts=$(cd "$(dirname "$0")/../../molecule/resources/scripts" && pwd)
bash "$scripts/prepare-machine.sh"
bash "$scripts/build-images.sh" "$@"
echo "podman runs these images with the configuration they were built with:"
bash "$scripts/env.sh" | grep '^export CONTAINERS_CONF='
