#!/usr/bin/env bash
# Writes one TEST patch file: a text stand-in for a kernel live patch module (.ko) that the livepatch
# simulation's insmod, rmmod and modinfo (sim-kernel/tencentos-sim-kmod) accept. No ELF, no code:
# `key=value` lines with the fields kmod's modinfo shows for a real live patch module.
#
#   make-patch.sh NAME VERMAGIC_KERNEL OUTFILE [FORMAT]
#     NAME             module name (letters, digits, _ and -; the kernel registers it with - as _)
#     VERMAGIC_KERNEL  the `uname -r` it is built for: first word of its vermagic; insmod refuses it
#                      on any other running kernel, as the real kernel does
#     OUTFILE          the file to write (its directory must exist)
#     FORMAT           livepatch (default): `livepatch=Y`, for the kernel's livepatch core
#                      (MODULE_INFO(livepatch, "Y"), dynup/kpatch kmod/patch/livepatch-patch-hook.c);
#                      kpatch: `depends=kpatch`, for the kpatch core module, which must be loaded first
#                      (it calls the core's kpatch_register(), kmod/patch/kpatch-patch-hook.c; facts
#                      sheet section 8): insmod refuses it with "Unknown symbol in module" until then
#
# Used by build-repo.sh (the mirror's test patches) and tests/simulation; other tests may use it too.
# See molecule/resources/README.md, "Livepatch simulation".
set -euo pipefail

me=${0##*/}
[ $# -eq 3 ] || [ $# -eq 4 ] || { echo "usage: $me NAME VERMAGIC_KERNEL OUTFILE [livepatch|kpatch]" >&2; exit 2; }
name=$1 kernel=$2 out=$3 format=${4:-livepatch}
# A module name as the kernel accepts it (MODULE_NAME_LEN is 56 with the terminating NUL).
[[ $name =~ ^[A-Za-z0-9_-]{1,55}$ ]] || { echo "$me: '$name' is not a kernel module name" >&2; exit 2; }
[[ $kernel =~ ^[A-Za-z0-9._+~-]+$ ]] || { echo "$me: '$kernel' is not a kernel release" >&2; exit 2; }
case $format in
  livepatch) format_field='livepatch=Y' kind='live patch' ;;
  kpatch) format_field='depends=kpatch' kind='kpatch-format live patch' ;;
  *) echo "$me: format '$format' is not livepatch or kpatch" >&2; exit 2 ;;
esac

# A real srcversion is 23 upper-case hex digits (an MD4 of the module's sources, scripts/mod/sumversion.c);
# this one only has to be stable for a name and a kernel.
srcversion=$(printf '%s %s' "$name" "$kernel" | sha256sum | cut -c1-23 | tr a-f A-F)

# vermagic as x86_64 TencentOS kernels build it (include/linux/vermagic.h: UTS_RELEASE, then SMP,
# mod_unload, modversions); the simulation compares only its first word with the running kernel.
cat > "$out" <<EOF
# tencentos.fleet TEST FIXTURE: a stand-in for a kernel live patch module (molecule/resources/README.md)
name=$name
vermagic=$kernel SMP mod_unload modversions
$format_field
license=GPL
srcversion=$srcversion
description=tencentos.fleet test fixture: $kind $name for kernel $kernel (patches nothing)
EOF
