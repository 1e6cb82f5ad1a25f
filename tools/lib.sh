# Shared settings of the tools/ scripts; source it, do not run it.
# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables below are used by the scripts that source this file

PROJECT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../molecule/resources/scripts/env.sh
source "$PROJECT_DIR/molecule/resources/scripts/env.sh"

# The oldest supported controller: the last ansible-core that manages Python 2.7 and 3.6 targets.
ANSIBLE_CORE_OLDEST=2.16.19
# The newest controller; it needs Python >= 3.12, taken from pyenv when the system has none.
ANSIBLE_CORE_NEWEST=2.21.5
# The oldest Tencent Cloud SDK the cvm inventory plugin supports (the lower bound of requirements.txt),
# tested on the oldest controller; the newest controller gets requirements-test.txt's pins.
SDK_OLDEST="tencentcloud-sdk-python-common==3.1.1 tencentcloud-sdk-python-cvm==3.1.1"
# Galaxy is out of reach: containers.podman, ansible.posix and awx.awx (whose modules apply the AWX definitions
# of extensions/awx) come out of this pinned `ansible` community package (only their folders of its wheel are unpacked).
COLLECTIONS_BUNDLE=ansible==12.3.0
BUNDLED_COLLECTIONS="containers/podman ansible/posix awx/awx"

VENV=$PROJECT_DIR/.venv
VENV_OLDEST=$PROJECT_DIR/.venv-2.16
VENV_NEWEST=$PROJECT_DIR/.venv-newest
# The collections the tools see: this checkout (a link) and the bundled ones. It is also
# ANSIBLE_HOME's collection directory, where ansible-lint and molecule would install a copy of this
# collection: finding a link to the checkout there, they leave it alone.
ANSIBLE_HOME=$PROJECT_DIR/.ansible
COLLECTIONS_DIR=$ANSIBLE_HOME/collections

export ANSIBLE_HOME ANSIBLE_COLLECTIONS_PATH=$COLLECTIONS_DIR

# Make tencentos.fleet in COLLECTIONS_DIR a link to this checkout (replacing any installed copy).
link_this_collection() {
    local link=$COLLECTIONS_DIR/ansible_collections/tencentos/fleet
    if [ "$(readlink "$link" 2>/dev/null)" != "$PROJECT_DIR" ]; then
        rm -rf "$link"
        mkdir -p "$(dirname "$link")"
        ln -s "$PROJECT_DIR" "$link"
    fi
}
if [ -n "${CI:-}" ]; then
    # CI logs are plain text: no colour codes from ansible, molecule or pytest.
    export ANSIBLE_NOCOLOR=1 NO_COLOR=1 PY_COLORS=0
fi

step() { printf '\n=== %s  (%s)\n' "$*" "$(date +%T)"; }

# Print the path of a working interpreter for Python version $1 (e.g. 3.6), or nothing.
# Looks on PATH, then in pyenv's versions (pyenv shims fail for versions not selected).
find_python() {
    local version=$1 candidate
    for candidate in "$(command -v "python$version" 2>/dev/null)" \
                     "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$version".*/bin/"python$version"; do
        if [ -n "$candidate" ] && [ -x "$candidate" ] && "$candidate" -c 'import sys' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

# Target Pythons the modules must run on.
TARGET_PYTHONS="2.7 3.6 3.7 3.8 3.9 3.10 3.11 3.12 3.13"

# The newest Python >= 3.12 for the newest controller.
find_newest_controller_python() {
    find_python 3.13 || find_python 3.12
}
