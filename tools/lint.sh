#!/usr/bin/env bash
# yamllint (strict) and ansible-lint (profile: production, see .ansible-lint).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$PROJECT_DIR"
step "yamllint"
"$VENV/bin/yamllint" --strict .
step "ansible-lint"
link_this_collection
"$VENV/bin/ansible-lint" --offline
