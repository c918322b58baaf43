#!/usr/bin/env bash
# The official Python `kubernetes` client against a fresh `skiff server --disable-agent`.
source "$(dirname "$0")/lib/common.sh"
venv=/var/tmp/skiff-e2e-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import kubernetes' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'kubernetes>=32,<33'
fi
start_server
"$venv/bin/python" "$(dirname "$0")/python_client.py" "$KUBECONFIG"
echo "20-python-client: all passed"
