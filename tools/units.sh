#!/usr/bin/env bash
# Unit tests on every target Python this machine has (2.7, 3.6 ... 3.13).
# Module utilities are standard library only; module tests import ansible-core's
# module_utils, taken from the oldest controller for Pythons it supports and from the
# newest one for the others, as a controller would ship them to a target.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# pytest releases that still run on each Python.
pytest_for() {
    case $1 in
        2.7) echo pytest==4.6.11 ;;
        3.6) echo pytest==7.0.1 ;;
        3.7) echo pytest==7.4.4 ;;
        3.8) echo pytest==8.3.5 ;;
        *) echo pytest==8.4.2 ;;
    esac
}

ansible_lib_for() {
    case $1 in
        3.13) "$VENV_NEWEST/bin/python" -c 'import ansible, os; print(os.path.dirname(os.path.dirname(ansible.__file__)))' ;;
        *) "$VENV_OLDEST/bin/python" -c 'import ansible, os; print(os.path.dirname(os.path.dirname(ansible.__file__)))' ;;
    esac
}

ran=() missing=() failed=()
for version in $TARGET_PYTHONS; do
    python=$(find_python "$version") || { missing+=("$version"); continue; }
    deps=$TENCENTOS_FLEET_WORKDIR/units/py$version
    pin=$(pytest_for "$version")
    if [ ! -f "$deps/.installed-$pin" ]; then
        rm -rf "$deps"
        "$python" -m pip install -q --disable-pip-version-check --target "$deps" "$pin" >/dev/null
        touch "$deps/.installed-$pin"
    fi
    # Only the ansible package of the controller venv goes on the path, not its other packages.
    ansible_only=$TENCENTOS_FLEET_WORKDIR/units/ansible-for-py$version
    mkdir -p "$ansible_only"
    ln -sfn "$(ansible_lib_for "$version")/ansible" "$ansible_only/ansible"
    step "unit tests on Python $version ($python)"
    if (cd "$PROJECT_DIR" && PYTHONDONTWRITEBYTECODE=1 \
        PYTHONPATH="$deps:$COLLECTIONS_DIR:$ansible_only" \
        "$python" -m pytest -p no:cacheprovider -q tests/unit); then
        ran+=("$version")
    else
        failed+=("$version")
    fi
done

echo
echo "unit tests passed on Python: ${ran[*]:-none}"
[ ${#missing[@]} -eq 0 ] || echo "not on this machine, skipped: ${missing[*]}"
[ ${#failed[@]} -eq 0 ] || { echo "FAILED on Python: ${failed[*]}"; exit 1; }
[ ${#ran[@]} -gt 0 ] || { echo "no target Python found"; exit 1; }
