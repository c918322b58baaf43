#!/usr/bin/env bash
# Runs every end-to-end script in tests/e2e against the built binary. Scripts that need root say so and are
# skipped (loudly) when not root; CI runs as root.
set -euo pipefail
bin=$(realpath "${1:-.build/debug/skiff}")
here=$(dirname "$0")
failed=0
for script in "$here"/[0-9]*.sh; do
  [ -e "$script" ] || continue
  name=$(basename "$script")
  echo "=== e2e $name"
  if SKIFF_BIN="$bin" bash "$script"; then
    echo "=== e2e $name: ok"
  else
    echo "=== e2e $name: FAILED"
    failed=1
  fi
done
exit $failed
