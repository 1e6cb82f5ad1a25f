#!/usr/bin/env bash
# yamllint (strict) and ansible-lint (profile: production, see .ansible-lint).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$PROJECT_DIR"
step "yamllint"
"$VENV/bin/yamllint" --strict .
step "ansible-lint"
# ansible-lint installs this collection into $ANSIBLE_HOME/collections before linting and may keep
# an older copy there: give it a home of its own in the project and start it afresh each time.
rm -rf "$PROJECT_DIR/.ansible"
ANSIBLE_HOME=$PROJECT_DIR/.ansible "$VENV/bin/ansible-lint" --offline
