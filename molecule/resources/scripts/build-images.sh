#!/usr/bin/env bash
# Builds the simulated-release images, without a container registry:
#   debootstrap (cached tarball) -> localhost/tencentos-fleet/debian-minbase
#   images/base/provision.sh     -> localhost/tencentos-fleet/base        (podman run + commit)
#   releases/<release>/          -> localhost/tencentos-fleet/<release>   (one image per folder)
#
#   build-images.sh [RELEASE...]     # default: every folder under releases/
#   FORCE=1 build-images.sh          # rebuild the images even if their definitions did not change
#   FORCE_ROOTFS=1 build-images.sh   # run debootstrap again too, and rebuild everything on it
#
# Each image carries LABEL_KEY = sha256 of its definition files and of its parent's label; an image
# whose label matches is kept as it is. The minbase image's definition is the debootstrap command:
# images are machine-wide, so a new WORKDIR reuses them and debootstraps only when they are missing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_root
need_podman_conf

SUITE=bookworm
LABEL_KEY=io.tencentos-fleet.definition-sha256
MINBASE_IMAGE=localhost/tencentos-fleet/debian-minbase:latest
BASE_IMAGE=localhost/tencentos-fleet/base:latest
CACHE=$WORKDIR/cache
ROOTFS_TAR=$CACHE/debian-$SUITE-minbase.tar
FORCE=${FORCE:-0}

# Debian mirror of this machine's apt sources (deb822 or one-line format): no host is hard-wired.
debian_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v suite="$SUITE" '
      function flush() { if (uri != "" && (" " suites " ") ~ (" " suite " ")) { print uri; found = 1; exit } uri = ""; suites = "" }
      /^URIs:/ { uri = $2 } /^Suites:/ { $1 = ""; suites = $0 } /^[ \t]*$/ { flush() }
      END { if (!found) flush() }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk -v suite="$SUITE" '$1 == "deb" && $3 == suite { print $2 }' "$f"
  done
}

label_of() { podman image inspect --format "{{index .Labels \"$LABEL_KEY\"}}" "$1" 2>/dev/null || true; }
size_of() { podman image inspect --format '{{.Size}}' "$1"; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1000000 }'; }

REPORT=()
# report IMAGE STATUS SECONDS PARENT
report() {
  local size own=''
  size=$(size_of "$1")
  [ -n "${4:-}" ] && own=" (+$(mb $((size - $(size_of "$4")))) over its parent)"
  REPORT+=("$(printf '%-48s %-8s %7s  %s%s' "$1" "$2" "$3" "$(mb "$size")" "$own")")
}

MINBASE_DEFINITION="debootstrap --variant=minbase $SUITE"
[ "${FORCE_ROOTFS:-0}" != 1 ] || FORCE=1

build_rootfs_tarball() {
  if [ -f "$ROOTFS_TAR" ] && [ "${FORCE_ROOTFS:-0}" != 1 ]; then
    log "debootstrap: cached $ROOTFS_TAR"
    return
  fi
  local mirror t rootfs=$CACHE/rootfs.tmp
  mirror=$(debian_mirror)
  mirror=${mirror%%$'\n'*}
  [ -n "$mirror" ] || die "no '$SUITE' entry in the apt sources to take the Debian mirror from"
  mkdir -p "$CACHE"
  rm -rf "$rootfs"
  log "debootstrap --variant=minbase $SUITE from $mirror (log: $CACHE/debootstrap.log)"
  t=$(now)
  debootstrap --variant=minbase "$SUITE" "$rootfs" "$mirror" > "$CACHE/debootstrap.log" 2>&1 ||
    die "debootstrap failed, see $CACHE/debootstrap.log"
  # Tarball first, then rename: an interrupted run never leaves a half tarball that looks cached.
  tar -C "$rootfs" --numeric-owner -cf "$ROOTFS_TAR.tmp" .
  sha256sum < "$ROOTFS_TAR.tmp" | cut -d' ' -f1 > "$ROOTFS_TAR.sha256"
  mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
  rm -rf "$rootfs"
  log "debootstrap + tarball: $(since "$t"), $(du -m "$ROOTFS_TAR" | cut -f1) MB"
  REPORT+=("$(printf '%-48s %-8s %7s  %s' "debootstrap $SUITE minbase (tarball)" built "$(since "$t")" "$(du -m "$ROOTFS_TAR" | cut -f1) MB")")
}

import_minbase() {
  local sha t
  sha=$(printf '%s' "$MINBASE_DEFINITION" | sha256sum | cut -d' ' -f1)
  if [ "$FORCE" != 1 ] && [ "$(label_of "$MINBASE_IMAGE")" = "$sha" ]; then
    report "$MINBASE_IMAGE" cached -; return
  fi
  build_rootfs_tarball
  t=$(now)
  podman import -q --change "LABEL $LABEL_KEY=$sha" --change "LABEL io.tencentos-fleet.rootfs-sha256=$(cat "$ROOTFS_TAR.sha256")" \
    --change 'CMD ["/bin/bash"]' "$ROOTFS_TAR" "$MINBASE_IMAGE" >/dev/null
  report "$MINBASE_IMAGE" imported "$(since "$t")"
}

# The base layer downloads packages, so it is made with `podman run` on slirp4netns (its own network
# namespace, a user-space network stack) and `podman commit`: `podman build` can only use the
# machine's network or a netavark bridge, and a bridge changes the machine (podman0, iptables rules,
# net.ipv4.ip_forward=1).
build_base() {
  local sha t name=tencentos-fleet-build-base
  sha=$(printf '%s %s' "$(label_of "$MINBASE_IMAGE")" "$(tree_sha256 "$RESOURCES/images/base")" | sha256sum | cut -d' ' -f1)
  if [ "$FORCE" != 1 ] && [ "$(label_of "$BASE_IMAGE")" = "$sha" ]; then
    report "$BASE_IMAGE" cached - "$MINBASE_IMAGE"; return
  fi
  log "building $BASE_IMAGE"
  t=$(now)
  podman rm -f "$name" >/dev/null 2>&1 || true
  podman run --name "$name" --network=slirp4netns \
    -v "$RESOURCES/images/base/provision.sh:/tmp/provision.sh:ro" \
    "$MINBASE_IMAGE" /bin/sh /tmp/provision.sh > "$WORKDIR/build/base-provision.log" 2>&1 ||
    die "provisioning $BASE_IMAGE failed, see $WORKDIR/build/base-provision.log"
  podman commit -q --change "LABEL $LABEL_KEY=$sha" --change 'CMD ["/bin/bash"]' "$name" "$BASE_IMAGE" >/dev/null
  podman rm "$name" >/dev/null
  report "$BASE_IMAGE" built "$(since "$t")" "$MINBASE_IMAGE"
}

# The release RPM is built on the machine (rpmbuild from Debian's rpm) into the build context.
build_release() {
  local name=$1 dir=$RESOURCES/releases/$1 context=$WORKDIR/build/images/$1 sha t
  [ -f "$dir/release.env" ] || die "no release folder $dir"
  local IMAGE RELEASE_PACKAGE RELEASE_VERSION RELEASE_MAJOR PRETTY_NAME EXTRA_KERNEL=''
  # shellcheck source=/dev/null
  . "$dir/release.env"
  sha=$(printf '%s %s' "$(label_of "$BASE_IMAGE")" \
    "$(tree_sha256 "$dir" "$RESOURCES/images/release" "$RESOURCES/rpm/release.spec" "$RESOURCES/rpm/kernel.spec" \
       "$RESOURCES/sim-kernel")" |
    sha256sum | cut -d' ' -f1)
  if [ "$FORCE" != 1 ] && [ "$(label_of "$IMAGE:latest")" = "$sha" ]; then
    report "$IMAGE:latest" cached - "$BASE_IMAGE"; return
  fi
  rm -rf "$context" && mkdir -p "$context/rpmbuild"
  rpmbuild --quiet -bb --define "_topdir $context/rpmbuild" \
    --define "fixture_name $RELEASE_PACKAGE" --define "fixture_version $RELEASE_VERSION" \
    --define "fixture_major $RELEASE_MAJOR" --define "fixture_pretty $PRETTY_NAME" \
    --define "fixture_root $dir/root" "$RESOURCES/rpm/release.spec"
  mv "$context"/rpmbuild/RPMS/noarch/*.rpm "$context/release.rpm"
  rm -rf "$context/rpmbuild"
  # A kernel installed besides the factory one, as the stand-in package the mirror would serve
  # ("name version release uname -r"): the image then has a kernel that rpm owns.
  mkdir -p "$context/extra-kernels"
  if [ -n "$EXTRA_KERNEL" ]; then
    local k_name k_version k_release k_uname
    read -r k_name k_version k_release k_uname <<< "$EXTRA_KERNEL"
    rpmbuild --quiet -bb --define "_topdir $context/rpmbuild" \
      --define "pkg_name $k_name" --define "pkg_version $k_version" --define "pkg_release $k_release" \
      --define "pkg_kind kernel" --define "uname_r $k_uname" --define "pkg_provides %{nil}" \
      "$RESOURCES/rpm/kernel.spec"
    mv "$context"/rpmbuild/RPMS/x86_64/*.rpm "$context/extra-kernels/"
    echo "$k_uname" > "$context/extra-kernels/unames"
    rm -rf "$context/rpmbuild"
  fi
  install -m 0644 "$dir/kernel.conf" "$context/kernel.conf"
  local tool
  for tool in tencentos-sim-boot tencentos-sim-bootloader tencentos-sim-shutdown tencentos-sim-kmod; do
    install -m 0755 "$RESOURCES/sim-kernel/$tool" "$context/$tool"
  done
  log "building $IMAGE:latest"
  t=$(now)
  # Nothing in a release layer needs a network.
  podman build -q --pull=never --layers=false --network=none --label "$LABEL_KEY=$sha" --label "io.tencentos-fleet.release=$name" \
    --build-arg "RELEASE=$name" \
    -f "$RESOURCES/images/release/Containerfile" -t "$IMAGE:latest" "$context" >/dev/null
  report "$IMAGE:latest" built "$(since "$t")" "$BASE_IMAGE"
}

main() {
  local total releases=("$@") r
  total=$(now)
  mkdir -p "$WORKDIR/build"
  if [ ${#releases[@]} -eq 0 ]; then
    for r in "$RESOURCES"/releases/*/release.env; do releases+=("$(basename "$(dirname "$r")")"); done
  fi
  import_minbase
  build_base
  for r in "${releases[@]}"; do build_release "$r"; done
  # Superseded builds of our images (untagged now) would pile up on the disk; only ours carry the label.
  local pruned
  pruned=$(podman image prune -f --filter "label=$LABEL_KEY" 2>/dev/null | grep -c . || true)
  [ "$pruned" = 0 ] || log "removed $pruned superseded image(s)"
  printf '%-48s %-8s %7s  %s\n' IMAGE STATUS TIME SIZE
  printf '%s\n' "${REPORT[@]}"
  echo "build-images: total $(since "$total")"
}

machine_lock build-images "$@"
main "$@"
