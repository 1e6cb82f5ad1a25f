#!/usr/bin/env bash
# The release artifact as Galaxy and Automation Hub see it:
#   - the collection built with ansible-galaxy (galaxy.yml's build_ignore says what it leaves out);
#   - galaxy-importer on it, configured as Automation Hub runs it (ansible-doc, ansible-lint, flake8 on every plugin,
#     a changelog, a required tag), except ansible-test in a container; any WARNING or ERROR it logs fails;
#   - antsibull-docs lint-collection-docs --plugin-docs on it, installed in a collections path of its own: every
#     plugin's and role's documentation against the schema, its markup, its references (ansible.posix's too), the RST.
# galaxy-importer and antsibull-docs are pinned in requirements-test.txt. What the artifact holds, and that its pages
# link to nothing it lacks, is tests/project/test_release_artifact.py's.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

started=$(date +%s)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0

step "build the artifact"
"$VENV/bin/ansible-galaxy" collection build --output-path "$work" "$PROJECT_DIR"
artifacts=("$work"/tencentos-fleet-*.tar.gz)
artifact=${artifacts[0]}

step "galaxy-importer on $(basename "$artifact"), flake8 on, as Automation Hub runs it"
mkdir -p "$work/importer/tmp"
cat > "$work/importer/galaxy-importer.cfg" <<CFG
[galaxy-importer]
# On, as Automation Hub runs the importer: every plugin's documentation through ansible-doc; ansible-lint (profile
# production, offline); flake8 on every plugin with galaxy-importer's own settings (E, F and W selected, E402
# ignored, lines up to 160, any configuration file of the collection ignored); a changelog; one of its required tags.
RUN_ANSIBLE_DOC = True
RUN_ANSIBLE_LINT = True
OFFLINE_ANSIBLE_LINT = True
RUN_FLAKE8 = True
CHECK_CHANGELOG = True
CHECK_REQUIRED_TAGS = True
# Off: ansible-test sanity in a container (Automation Hub runs it in a pod of its own; tools/sanity.sh runs
# ansible-test sanity on the oldest and the newest controller instead), and with it the container engines.
RUN_ANSIBLE_TEST = False
ANSIBLE_TEST_LOCAL_IMAGE = False
LOCAL_IMAGE_DOCKER = False
INFRA_OSD = False
# Certified content on Automation Hub must be 1.0.0 or newer; galaxy.yml's version is the release's to set.
REQUIRE_V1_OR_GREATER = True
# Everything it unpacks and caches stays in this run's directory.
TMP_ROOT_DIR = $work/importer/tmp
ANSIBLE_LOCAL_TMP = $work/importer/tmp/ansible
LOG_LEVEL_MAIN = INFO
CFG
# galaxy-importer finds flake8, ansible-lint and ansible-doc on PATH, and writes importer_result.json to the
# current directory. It sets the collections path of ansible-doc and ansible-lint itself; the checkout's is unset,
# so that nothing but the artifact is read.
importer_status=0
(cd "$work/importer" && env -u ANSIBLE_HOME -u ANSIBLE_COLLECTIONS_PATH PATH="$VENV/bin:$PATH" \
    GALAXY_IMPORTER_CONFIG="$work/importer/galaxy-importer.cfg" \
    "$VENV/bin/python" -m galaxy_importer.main "$artifact") > "$work/importer/log" 2>&1 || importer_status=$?
# The log's "Loading ..." and "Linting ..." lines, one per plugin and role, say only what is being read.
grep -v -E '^(Loading|Linting) ' "$work/importer/log" || true
findings=$(grep -c -E '^(WARNING|ERROR|CRITICAL): ' "$work/importer/log" || true)
if [ "$importer_status" -ne 0 ] || [ "$findings" -ne 0 ]; then
    echo "release checks: galaxy-importer exited $importer_status and reported $findings warning(s) or error(s)" >&2
    failed=1
fi

step "antsibull-docs lint-collection-docs --plugin-docs on the installed artifact"
collections=$work/collections
ANSIBLE_COLLECTIONS_PATH=$collections "$VENV/bin/ansible-galaxy" collection install --offline -p "$collections" "$artifact"
# The documentation refers to ansible.posix (sysctl_profile's seealso): the bundled copy, so that the reference
# is checked, not just allowed.
if [ ! -d "$COLLECTIONS_DIR/ansible_collections/ansible/posix" ]; then
    echo "release checks: no ansible.posix in $COLLECTIONS_DIR: run tools/setup.sh" >&2
    exit 1
fi
mkdir -p "$collections/ansible_collections/ansible"
cp -r "$COLLECTIONS_DIR/ansible_collections/ansible/posix" "$collections/ansible_collections/ansible/"
if ! (cd "$work" && env -u ANSIBLE_HOME ANSIBLE_COLLECTIONS_PATH="$collections" PATH="$VENV/bin:$PATH" \
        "$VENV/bin/antsibull-docs" lint-collection-docs --plugin-docs \
        --validate-collection-refs all --disallow-unknown-collection-refs \
        "$collections/ansible_collections/tencentos/fleet"); then
    echo "release checks: antsibull-docs found errors in the collection's documentation" >&2
    failed=1
fi

echo
if [ "$failed" -ne 0 ]; then
    echo "release checks FAILED in $(( $(date +%s) - started )) s"
    exit 1
fi
echo "release checks passed in $(( $(date +%s) - started )) s: galaxy-importer and antsibull-docs report nothing"
