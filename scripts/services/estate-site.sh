#!/usr/bin/env bash
# Installs the example estate's site packages (examples/estate/frontend has its own lockfile),
# for the tests that build it. Idempotent: nothing to do when node_modules matches the lockfile.
set -euo pipefail
cd "$(dirname "$0")/../../examples/estate/frontend"
installed=node_modules/.package-lock.json
if [ -f "$installed" ] && [ "$installed" -nt package-lock.json ]; then
  exit 0
fi
echo "estate-site.sh: npm ci in examples/estate/frontend" >&2
npm ci --no-audit --no-fund --loglevel=error >&2
