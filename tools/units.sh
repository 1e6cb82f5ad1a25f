#!/usr/bin/env bash
# Unit tests on every target Python this machine has (2.7, 3.6 ... 3.13).
# Module utilities are standard library only; module tests import ansible-core's
# module_utils, taken from the oldest controller for Pythons it supports and from the
# newest one for the others, as a controller would ship them to a target. The tests of the controller's
# plugins are not collected here (tests/unit/conftest.py): tools/test.sh runs them on both controllers.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# pytest releases that still run on each Python. Python 3.6's pip (18.1) does not go back to an
# older release of a dependency that refuses it, so its dependencies are pinned too.
pytest_for() {
    case $1 in
        2.7) echo pytest==4.6.11 ;;
        3.6) echo pytest==7.0.1 iniconfig==1.1.1 tomli==1.2.3 packaging==21.3 pluggy==1.0.0 py==1.11.0 \
                  attrs==22.2.0 importlib-metadata==4.8.3 zipp==3.6.0 typing-extensions==4.1.1 pyparsing==3.0.9 ;;
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
    pins=$(pytest_for "$version")
    stamp=$deps/.installed-$(echo "$pins" | sha256sum | cut -c1-16)
    if [ ! -f "$stamp" ]; then
        rm -rf "$deps"
        # shellcheck disable=SC2086 # one argument per pin
        "$python" -m pip install -q --disable-pip-version-check --target "$deps" $pins 2>&1 | grep -v 'is ignored' || true
        touch "$stamp"
    fi
    # Only the ansible package of the controller venv goes on the path, not its other packages.
    ansible_only=$TENCENTOS_FLEET_WORKDIR/units/ansible-for-py$version
    mkdir -p "$ansible_only"
    ln -sfn "$(ansible_lib_for "$version")/ansible" "$ansible_only/ansible"
    step "unit tests on Python $version ($python)"
    # PYTEST_DISABLE_PLUGIN_AUTOLOAD: an interpreter may carry pytest plugins of its own (pyenv).
    if (cd "$PROJECT_DIR" && PYTHONDONTWRITEBYTECODE=1 PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 \
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
