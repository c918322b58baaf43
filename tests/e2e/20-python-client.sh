#!/usr/bin/env bash
# The official Python `kubernetes` client against a fresh `skiff server --disable-agent`.
source "$(dirname "$0")/lib/common.sh"
python=$(python_client)
start_server
"$python" "$(dirname "$0")/python_client.py" "$KUBECONFIG"
echo "20-python-client: all passed"
