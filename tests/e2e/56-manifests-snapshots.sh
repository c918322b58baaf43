#!/usr/bin/env bash
# Operating a server as k3s users do: auto-deploy manifests in server/manifests (applied at start and on change,
# pruned, .skip, a broken file reported while the others apply), then scheduled snapshots with retention, the
# `skiff snapshot` commands, and a restore from a scheduled snapshot. One server (no agent) throughout.
source "$(dirname "$0")/lib/common.sh"

manifests="$work/data/server/manifests"
snapshots="$work/data/server/db/snapshots"
node=$(hostname | tr '[:upper:]' '[:lower:]')
mkdir -p "$manifests"
# isn NAMESPACE OBJECT JSONPATH VALUE: the namespaced object's field equals VALUE.
isn() { [ "$(kubectl get -n "$1" "$2" -o jsonpath="$3" 2>/dev/null)" = "$4" ]; }
cat >"$manifests/early.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: early, namespace: default}
data: {at: start}
YAML
start_server --snapshot-schedule-cron "@every 1s" --snapshot-retention 2
wait_for "a manifest present at start is applied" 10 kubectl get configmap early

# --- Auto-deploy ---------------------------------------------------------------------------------------------------
# A new file: a namespace, objects in it and (no namespace given) in kube-system, within 5 s.
cat >"$manifests/line.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: factory}
data: {speed: "10"}
---
apiVersion: v1
kind: Namespace
metadata: {name: factory}
---
apiVersion: v1
kind: Service
metadata: {name: line-api}
spec:
  ports: [{port: 8080}]
  selector: {app: line}
YAML
wait_for "a manifest dropped in appears within 5 s" 5 isn factory configmap/settings '{.data.speed}' 10
wait_for "its namespace-less objects go to kube-system" 5 kubectl get -n kube-system service line-api
isn factory configmap/settings '{.metadata.managedFields[0].manager}' skiff-deploy ||
  fail "the manifest's objects are not applied under the skiff-deploy field manager"
pass "applied with server-side apply under the skiff-deploy field manager"
wait_for "its Addon says Applied" 5 isn kube-system addon/line '{.status.conditions[?(@.type=="Applied")].status}' True
expect_output "kubectl get addons shows the file" "line +$manifests/line.yaml +True" kubectl get addons -n kube-system

# Edited: the change applies; the document taken out is pruned.
cat >"$manifests/line.yaml" <<'YAML'
apiVersion: v1
kind: Namespace
metadata: {name: factory}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: factory}
data: {speed: "25"}
YAML
wait_for "an edit reaches the object" 5 isn factory configmap/settings '{.data.speed}' 25
wait_for "a document removed from the file is pruned" 5 \
  bash -c "! kubectl --cache-dir '$work/kube-cache' get -n kube-system service line-api"

# .skip: written before its twin, which never applies; the file written with it (later in the scan) proves the pass.
touch "$manifests/off.yaml.skip"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: skipped, namespace: default}\n' >"$manifests/off.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: witness, namespace: default}\n' >"$manifests/zz-witness.yaml"
wait_for "the file beside the skipped one applies" 5 kubectl get configmap witness
if kubectl get configmap skipped >/dev/null 2>&1; then fail "off.yaml applied despite off.yaml.skip"; fi
pass "X.yaml.skip keeps X.yaml from being applied"

# A broken file: an error line and a Warning Event on its Addon; a good file written with it still applies.
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [broken\n' >"$manifests/broken.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fine, namespace: default}\n' >"$manifests/fine.yaml"
wait_for "a good file beside a broken one applies" 5 kubectl get configmap fine
wait_for "the broken file's Addon says why" 5 \
  isn kube-system addon/broken '{.status.conditions[?(@.type=="Applied")].reason}' InvalidManifest
wait_for "the broken file gets a Warning Event" 5 bash -c \
  "kubectl --cache-dir '$work/kube-cache' get events -n kube-system -o jsonpath='{range .items[*]}{.type} {.reason} {.involvedObject.name}{\"\\n\"}{end}' | grep -qx 'Warning ApplyManifestFailed broken'"
grep -q "auto-deploy manifest failed: $manifests/broken.yaml: not valid YAML" "$work/server.log" ||
  fail "no error line for the broken manifest in the server log"
pass "the broken file has an error line in the server log"

# Removed: the file's objects go, then its Addon; taking the .skip away applies the twin.
rm "$manifests/line.yaml"
wait_for "a removed file's objects are deleted" 5 bash -c "! kubectl --cache-dir '$work/kube-cache' get configmap -n factory settings"
wait_for "a removed file's Addon is deleted" 5 bash -c "! kubectl --cache-dir '$work/kube-cache' get addon -n kube-system line"
rm "$manifests/off.yaml.skip"
wait_for "without its .skip the twin applies" 5 kubectl get configmap skipped

# --- Snapshots -----------------------------------------------------------------------------------------------------
kubectl create configmap before-snapshot --from-literal=made=before >/dev/null
created=$(date +%s)
scheduled() { ls "$snapshots" 2>/dev/null | grep -c "^skiff-snapshot-$node-" || true; }
saved() { grep -c "scheduled snapshot saved" "$work/server.log" || true; }
# A snapshot named after a later second was started after the object existed.
after_create() {
  local name
  for name in $(ls "$snapshots" 2>/dev/null | grep "^skiff-snapshot-$node-"); do
    [ "${name##*-}" -gt "$created" ] && return 0
  done
  return 1
}
wait_for "scheduled snapshots are taken (@every 1s)" 10 after_create
wait_for "more snapshots than the retention were taken" 10 bash -c "[ \$(grep -c 'scheduled snapshot saved' '$work/server.log') -ge 4 ]"
[ "$(scheduled)" = 2 ] || fail "retention 2 keeps $(scheduled) scheduled snapshots: $(ls "$snapshots")"
pass "retention keeps the newest 2 of $(saved) scheduled snapshots"
stop_server  # no more snapshots from here
newest=$(ls "$snapshots" | grep "^skiff-snapshot-$node-" | sort -t- -k4 -n | tail -1)
expect_output "snapshot ls lists them with location and size" "^$newest +file://$snapshots/$newest +[0-9]+ +20" \
  "$SKIFF_BIN" snapshot ls --data-dir "$work/data"
expect_output "snapshot save without a file goes into the folder" "saved to $snapshots/on-demand-$node-[0-9]+$" \
  "$SKIFF_BIN" snapshot save --data-dir "$work/data"
expect_output "snapshot prune keeps the newest N scheduled ones" "deleted 1$" \
  "$SKIFF_BIN" snapshot prune --data-dir "$work/data" --snapshot-retention 1
expect_output "prune left the newest scheduled and the on-demand snapshot" "^$newest$" \
  "$SKIFF_BIN" snapshot ls --data-dir "$work/data" -q
[ "$("$SKIFF_BIN" snapshot ls --data-dir "$work/data" -q | wc -l)" = 2 ] || fail "prune removed the on-demand snapshot"
ondemand=$("$SKIFF_BIN" snapshot ls --data-dir "$work/data" -q | grep on-demand)
expect_output "snapshot delete by name" "deleted $ondemand" "$SKIFF_BIN" snapshot delete --data-dir "$work/data" "$ondemand"
expect_error "deleting a missing snapshot names it" "no snapshot $ondemand in $snapshots" \
  "$SKIFF_BIN" snapshot delete --data-dir "$work/data" "$ondemand"
expect_error "a bad schedule names the flag" 'snapshot-schedule-cron: "61 \* \* \* \*": minute field "61": 61 is outside 0-59' \
  "$SKIFF_BIN" server --disable-agent --data-dir "$work/data" --snapshot-schedule-cron "61 * * * *"

# After the snapshot: the object is deleted and another made (no snapshots now), then the snapshot is restored.
start_server --disable-snapshots
kubectl delete configmap before-snapshot >/dev/null
kubectl create configmap after-snapshot --from-literal=made=after >/dev/null
stop_server
[ "$(ls "$snapshots" | wc -l)" = 1 ] || fail "--disable-snapshots still took snapshots: $(ls "$snapshots")"
expect_output "restore a scheduled snapshot by name" "restored $snapshots/$newest into" \
  "$SKIFF_BIN" snapshot restore --data-dir "$work/data" "$newest"
start_server --disable-snapshots
wait_for "the object created before the snapshot is back" 5 is configmap/before-snapshot '{.data.made}' before
if kubectl get configmap after-snapshot >/dev/null 2>&1; then fail "an object made after the snapshot survived the restore"; fi
pass "the object made after the snapshot is gone"
stop_server
