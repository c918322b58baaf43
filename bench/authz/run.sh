#!/usr/bin/env bash
# Authorization benchmark: one RBAC decision from the in-memory index with 1 000 Roles and 2 000 bindings (plus the
# bootstrap policy), against one SQLite point read measured in the same run. Release build; < 1 min.
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product skiff-bench >/dev/null
work=$(mktemp -d /var/tmp/skiff-bench-authz.XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "skiff $(git rev-parse --short HEAD 2>/dev/null), $(nproc) cores, $(date -u +%FT%TZ)"
.build/release/skiff-bench authz --dir "$work" "$@"
