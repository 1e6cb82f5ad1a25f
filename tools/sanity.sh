#!/usr/bin/env bash
# ansible-test sanity on the oldest and the newest controller, with the ignore files empty.
# ansible-test wants the collection at .../ansible_collections/tencentos/fleet, so the
# working tree's files (tracked and new, not ignored) are copied there first.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# ansible-test bootstraps pip in its virtual environments with a script it downloads from a
# host out of reach here; give it our stand-in under the name of its cached copy.
offer_pip_bootstrap() {  # offer_pip_bootstrap VENV
    local version
    mkdir -p ~/.ansible/test/cache
    grep -ho "pip='[0-9.]*'" "$1"/lib/python3*/site-packages/ansible_test/_internal/python_requirements.py \
        | grep -o "[0-9.]*[0-9]" | sort -u | while read -r version; do
        cp "$PROJECT_DIR/tools/get_pip_offline.py" ~/.ansible/test/cache/get_pip_"${version//./_}".py
    done
}

sanity() {  # sanity VENV
    local venv=$1 version tree
    version=$("$venv/bin/python" -c 'from ansible.release import __version__; print(__version__)')
    tree=$TENCENTOS_FLEET_WORKDIR/sanity/$version/ansible_collections/tencentos/fleet
    rm -rf "$tree" && mkdir -p "$tree"
    (cd "$PROJECT_DIR" && git ls-files -z --cached --others --exclude-standard \
        | xargs -0 -I{} sh -c 'test -e "{}" && printf "%s\0" "{}"' \
        | tar --null -T - -cf -) | tar -C "$tree" -xf -
    offer_pip_bootstrap "$venv"
    step "ansible-test sanity with ansible-core $version"
    (cd "$tree" && PATH="$venv/bin:$PATH" ansible-test sanity --requirements --python \
        "$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" --color no)
}

sanity "$VENV_OLDEST"
sanity "$VENV_NEWEST"
