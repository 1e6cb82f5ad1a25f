#!/usr/bin/env bash
# Builds the local signed RPM mirror in $WORKDIR/mirror from mirror/packages.yml:
#   - stand-in kernel packages named exactly like the real ones, tencentos-fleet-testpkg and the test
#     hot patch packages, built with rpmbuild (rpm/kernel.spec, rpm/testpkg.spec, rpm/hotpatch.spec)
#   - for the kernel of each hot patch package, a plain test patch file to download:
#     hotpatch/<uname -r>/livepatch_test_url.ko and its SHA256SUMS (scripts/make-patch.sh)
#   - signed with a GPG key made for this WORKDIR (no passphrase); the public key is published as
#     <mirror>/RPM-GPG-KEY-tencentos-fleet-test, repomd.xml is signed too (repo_gpgcheck)
#   - one createrepo_c repository per `repo` of packages.yml, in trees shaped like mirrors.tencent.com
#
#   build-repo.sh            # does nothing when the specs, packages.yml, make-patch.sh, this script
#                            # and the key did not change
#   FORCE=1 build-repo.sh    # rebuild anyway
# Serve it with serve-repo.sh.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_root

MIRROR=$WORKDIR/mirror
STAGE=$WORKDIR/build/mirror.new
export GNUPGHOME=$WORKDIR/gpg
KEY_UID="tencentos.fleet test mirror key (test fixture, never trust it elsewhere)"
PUBKEY_NAME=RPM-GPG-KEY-tencentos-fleet-test
PACKAGES=$RESOURCES/mirror/packages.yml
start=$(now)

# A key per WORKDIR, made once: regenerating it would invalidate keys that test hosts imported.
ensure_key() {
  mkdir -p "$GNUPGHOME" && chmod 0700 "$GNUPGHOME"
  # A throw-away keyring with one key of our own: no web of trust to compute or to talk about.
  echo 'trust-model always' > "$GNUPGHOME/gpg.conf"
  if ! gpg --batch --list-secret-keys "$KEY_UID" >/dev/null 2>&1; then
    log "generating the mirror's GPG signing key in $GNUPGHOME"
    gpg --batch --quiet --passphrase '' --quick-gen-key "$KEY_UID" rsa3072 sign never
  fi
  gpg --batch --with-colons --list-secret-keys "$KEY_UID" | awk -F: '/^fpr:/ { print $10; exit }'
}

# build_rpm KIND NAME VERSION RELEASE UNAME_R PROVIDES OUTDIR -> prints the built file
build_rpm() {
  local kind=$1 name=$2 version=$3 release=$4 uname_r=$5 provides=${6:-} out=$7 top
  [ -n "$provides" ] || provides='%{nil}'
  top=$(mktemp -d "$WORKDIR/build/rpmbuild.XXXXXX")
  if [ "$kind" = testpkg ]; then
    rpmbuild --quiet -bb --define "_topdir $top" --define "pkg_version $version" \
      --define "pkg_release $release" "$RESOURCES/rpm/testpkg.spec"
  elif [ "$kind" = hotpatch ]; then
    mkdir -p "$top/SOURCES"
    "$RESOURCES/scripts/make-patch.sh" livepatch_test_pkg "$uname_r" "$top/SOURCES/livepatch_test_pkg.ko"
    rpmbuild --quiet -bb --define "_topdir $top" --define "pkg_name $name" --define "pkg_version $version" \
      --define "pkg_release $release" --define "uname_r $uname_r" \
      --define "patch_file $top/SOURCES/livepatch_test_pkg.ko" "$RESOURCES/rpm/hotpatch.spec"
  else
    rpmbuild --quiet -bb --define "_topdir $top" --define "pkg_name $name" \
      --define "pkg_version $version" --define "pkg_release $release" --define "pkg_kind $kind" \
      --define "uname_r $uname_r" --define "pkg_provides $provides" "$RESOURCES/rpm/kernel.spec"
  fi
  mv "$top"/RPMS/*/*.rpm "$out/"
  rm -rf "$top"
}

fingerprint=$(ensure_key)
# What the mirror is made from: the key, the specs, packages.yml, the patch maker and this script.
definition=$( { printf '%s\n' "$fingerprint"; tree_sha256 "$RESOURCES/rpm/kernel.spec" "$RESOURCES/rpm/testpkg.spec" \
  "$RESOURCES/rpm/hotpatch.spec" "$PACKAGES" "$RESOURCES/scripts/make-patch.sh" "$RESOURCES/scripts/build-repo.sh"; } |
  sha256sum | cut -d' ' -f1)
if [ "${FORCE:-0}" != 1 ] && [ -f "$MIRROR/.definition-sha256" ] && [ "$(cat "$MIRROR/.definition-sha256")" = "$definition" ]; then
  echo "build-repo: $MIRROR up to date (cached, $(since "$start"))"
  exit 0
fi

log "building the mirror in $STAGE"
rm -rf "$STAGE" && mkdir -p "$STAGE" "$WORKDIR/build/rpms.new"
rpms=$WORKDIR/build/rpms.new
repos=()
count=0
while IFS='|' read -r name version release arch kind uname_r provides repo path; do
  file="$name-$version-$release.$arch.rpm"
  [ "$(basename "$path")" = "$file" ] || die "packages.yml: path $path does not end in $file"
  # The same package in several trees is built once.
  [ -f "$rpms/$file" ] || build_rpm "$kind" "$name" "$version" "$release" "$uname_r" "$provides" "$rpms"
  [ -f "$rpms/$file" ] || die "rpmbuild did not produce $file"
  mkdir -p "$STAGE/$(dirname "$path")"
  cp "$rpms/$file" "$STAGE/$path"
  case " ${repos[*]} " in *" $repo "*) ;; *) repos+=("$repo");; esac
  count=$((count + 1))
done < <(yaml_table --sep '|' "$PACKAGES" name version release arch kind uname_r provides repo path)

# Sign every package (not each copy): the copies in the trees are made after signing.
t=$(now)
# rpmsign warns once per package that stdin is no terminal (GPG_TTY): expected here, not shown.
rpm --define "_gpg_name $fingerprint" --define "__gpg /usr/bin/gpg" --addsign "$rpms"/*.rpm \
  > /dev/null 2> >(grep -v 'Could not set GPG_TTY' >&2)
while IFS='|' read -r name version release arch path; do
  cp "$rpms/$name-$version-$release.$arch.rpm" "$STAGE/$path"
done < <(yaml_table --sep '|' "$PACKAGES" name version release arch path)
signed=("$rpms"/*.rpm)
log "signed ${#signed[@]} packages ($(since "$t"))"

# Plain test patches for the URL source, one per kernel of a hotpatch package, with a SHA256SUMS in
# sha256sum's format (served as $REPO_URL_GUEST/hotpatch/<uname -r>/...).
patches=0
while IFS='|' read -r kind uname_r; do
  if [ "$kind" != hotpatch ] || [ -d "$STAGE/hotpatch/$uname_r" ]; then continue; fi
  mkdir -p "$STAGE/hotpatch/$uname_r"
  "$RESOURCES/scripts/make-patch.sh" livepatch_test_url "$uname_r" "$STAGE/hotpatch/$uname_r/livepatch_test_url.ko"
  (cd "$STAGE/hotpatch/$uname_r" && sha256sum livepatch_test_url.ko > SHA256SUMS)
  patches=$((patches + 1))
done < <(yaml_table --sep '|' "$PACKAGES" kind uname_r)

for repo in "${repos[@]}"; do
  createrepo_c --quiet "$STAGE/$repo"
  gpg --batch --yes --quiet --local-user "$fingerprint" --armor --detach-sign "$STAGE/$repo/repodata/repomd.xml"
done
gpg --batch --armor --export "$fingerprint" > "$STAGE/$PUBKEY_NAME"
printf '%s\n' "$definition" > "$STAGE/.definition-sha256"

# Swap in the new tree in one step: a running server keeps serving the same directory path.
rm -rf "$MIRROR.old" "$WORKDIR/build/rpms"
[ -d "$MIRROR" ] && mv "$MIRROR" "$MIRROR.old"
mv "$STAGE" "$MIRROR"
mv "$rpms" "$WORKDIR/build/rpms"
rm -rf "$MIRROR.old"

echo "build-repo: $count packages in ${#repos[@]} repositories, signed by $fingerprint"
printf '  %s/\n' "${repos[@]}"
echo "  public key: $MIRROR/$PUBKEY_NAME"
echo "  test patches: $patches under $MIRROR/hotpatch/"
echo "build-repo: built $MIRROR ($(du -sh "$MIRROR" | cut -f1)) in $(since "$start")"
