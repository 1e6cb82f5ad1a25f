#!/usr/bin/env bash
# Set up everything the demo and the tests need, idempotently:
#   - the machine: Debian packages (podman, rpm, createrepo-c, debootstrap, ...) and our own
#     podman configuration file (the machine's /etc/containers is left alone);
#   - .venv (Python 3.11, pinned test tools from requirements-test.txt), .venv-2.16 (the oldest
#     controller, with the oldest supported Tencent Cloud SDK) and .venv-newest (the newest controller,
#     Python >= 3.12, with the SDK pinned in requirements-test.txt);
#   - the collections the tests use (this one, containers.podman, ansible.posix);
#   - the simulated fleet's images and the local signed RPM mirror.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

step "machine packages and podman configuration"
bash "$PROJECT_DIR/molecule/resources/scripts/prepare-machine.sh"

make_venv() {  # make_venv DIR PYTHON PIP-ARGS...
    local dir=$1 python=$2 stamp
    shift 2
    stamp=$(printf '%s\n' "$python" "$@" | cat - "$PROJECT_DIR/requirements-test.txt" | sha256sum | cut -c1-16)
    if [ -f "$dir/.stamp-$stamp" ]; then
        return 0
    fi
    rm -rf "$dir"
    "$python" -m venv "$dir"
    "$dir/bin/pip" install -q --disable-pip-version-check --upgrade pip
    "$dir/bin/pip" install -q --disable-pip-version-check "$@"
    touch "$dir/.stamp-$stamp"
}

# The python3 on PATH, the project's own virtual environments left out: with one of them first on PATH (a shell
# that activated it), make_venv would remove that environment and then run its deleted interpreter.
base_python3() {
    local dir
    while IFS= read -r -d: dir; do
        case $dir in "$PROJECT_DIR"/.venv*) continue ;; esac
        if [ -x "$dir/python3" ]; then
            echo "$dir/python3"
            return 0
        fi
    done <<< "$PATH:"
    echo "setup: no python3 on PATH outside $PROJECT_DIR/.venv*" >&2
    return 1
}

step "Python virtual environments"
# ansible-runner, as requirements-test.txt pins it: the AWX job tests run each controller's ansible-playbook through it.
ANSIBLE_RUNNER=$(grep -E '^ansible-runner==' "$PROJECT_DIR/requirements-test.txt")
# The audit's outputs are validated in the controller plugin tests too (tests/unit/plugins/filter), as pinned there.
SCHEMA_CHECKERS=$(grep -E '^(xmlschema|jsonschema)==' "$PROJECT_DIR/requirements-test.txt" | tr '\n' ' ')
python3_path=$(base_python3)
make_venv "$VENV" "$python3_path" -r "$PROJECT_DIR/requirements-test.txt"
# shellcheck disable=SC2086 # one argument per pin
make_venv "$VENV_OLDEST" "$python3_path" "ansible-core==$ANSIBLE_CORE_OLDEST" pytest==8.4.2 "$ANSIBLE_RUNNER" $SCHEMA_CHECKERS $SDK_OLDEST
newest_python=$(find_newest_controller_python) || newest_python=
if [ -n "$newest_python" ]; then
    mapfile -t sdk_newest < <(grep -E '^tencentcloud-sdk-python-' "$PROJECT_DIR/requirements-test.txt")
    # shellcheck disable=SC2086 # one argument per pin
    make_venv "$VENV_NEWEST" "$newest_python" "ansible-core==$ANSIBLE_CORE_NEWEST" pytest==8.4.2 "$ANSIBLE_RUNNER" $SCHEMA_CHECKERS \
        "${sdk_newest[@]}"
else
    echo "no Python >= 3.12 here: the newest controller is the one in .venv"
    rm -rf "$VENV_NEWEST" && ln -s "$VENV" "$VENV_NEWEST"
fi
for dir in "$VENV" "$VENV_OLDEST" "$VENV_NEWEST"; do
    # The version from the package itself: `ansible --version | head -1` dies of a broken pipe on 2.16.
    printf '%-14s ansible-core %s\n' "$(basename "$dir")" \
        "$("$dir/bin/python" -c 'from ansible.release import __version__; print(__version__)')"
done

step "collections"
link_this_collection
bundle_stamp=$COLLECTIONS_DIR/.bundle-$(echo "$COLLECTIONS_BUNDLE $BUNDLED_COLLECTIONS" | sha256sum | cut -c1-16)
if [ ! -f "$bundle_stamp" ]; then
    wheel_dir=$(mktemp -d)
    "$VENV/bin/pip" download -q --disable-pip-version-check --no-deps -d "$wheel_dir" "$COLLECTIONS_BUNDLE"
    for collection in $BUNDLED_COLLECTIONS; do
        rm -rf "$COLLECTIONS_DIR/ansible_collections/$collection"
        "$VENV/bin/python" - "$wheel_dir"/*.whl "$COLLECTIONS_DIR" "ansible_collections/$collection/" <<'PY'
import sys, zipfile
wheel, target, prefix = sys.argv[1:]
with zipfile.ZipFile(wheel) as archive:
    archive.extractall(target, [name for name in archive.namelist() if name.startswith(prefix)])
PY
    done
    rm -rf "$wheel_dir"
    touch "$bundle_stamp"
fi
"$VENV/bin/ansible-galaxy" collection list 2>/dev/null | grep -E '^(tencentos\.fleet|containers\.podman|ansible\.posix|awx\.awx) '

step "simulated fleet images"
bash "$PROJECT_DIR/molecule/resources/scripts/build-images.sh"

step "local signed RPM mirror"
bash "$PROJECT_DIR/molecule/resources/scripts/build-repo.sh"
bash "$PROJECT_DIR/molecule/resources/scripts/serve-repo.sh" start
