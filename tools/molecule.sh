#!/usr/bin/env bash
# Run every molecule scenario under molecule/, one after the other (two podman scenarios at
# once are too many for two cores). molecule 26 looks for a collection's scenarios under
# extensions/molecule/; MOLECULE_GLOB points it at molecule/ instead.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
export MOLECULE_GLOB='molecule/*/molecule.yml'

bash "$PROJECT_DIR/molecule/resources/scripts/serve-repo.sh" start
cd "$PROJECT_DIR"
for scenario in molecule/*/molecule.yml; do
    name=$(basename "$(dirname "$scenario")")
    step "molecule scenario $name"
    link_this_collection
    PATH="$VENV/bin:$PATH" molecule test -s "$name" "$@"
done
