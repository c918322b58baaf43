#!/usr/bin/env bash
# The real system kubectl (v1.32) against a fresh `skiff server --disable-agent`.
source "$(dirname "$0")/lib/common.sh"
start_server
# Its output goes to a file here (as to journald under systemd): the how-to line must arrive while it runs.
wait_for "the server says how to use it while it runs (output to a file)" 5 grep -q "skiff is running" "$work/server.log"

expect_output "version reports server 1.32" 'Server Version: v1\.32' kubectl version
# Built from a git checkout (CI's fresh clone), /version names the commit the binary was built from.
if commit=$(git -C "$(dirname "$0")" rev-parse HEAD 2>/dev/null); then
  expect_output "version names the commit the server was built from" "\"gitCommit\": \"$commit\"" kubectl version -o json
fi
expect_output "api-resources lists deployments" 'deployments +deploy +apps/v1 +true +Deployment' kubectl api-resources
expect_output "seeded namespaces" 'kube-system +Active' kubectl get ns
expect_output "create namespace (protobuf body)" 'namespace/e2e created' kubectl create namespace e2e
expect_output "create configmap" 'configmap/settings created' kubectl -n e2e create configmap settings --from-literal=color=blue
expect_output "configmap data" '"color": "blue"' kubectl -n e2e get configmap settings -o json
expect_output "create deployment (protobuf body)" 'deployment.apps/web created' kubectl -n e2e create deployment web --image=busybox --replicas=2
expect_output "deployment defaults" '"progressDeadlineSeconds": 600' kubectl -n e2e get deployment web -o json

cat >"$work/app.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  namespace: e2e
  labels: {tier: backend}
spec:
  replicas: 1
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      containers:
      - name: main
        image: busybox:1.36
        args: ["sleep", "3600"]
      - name: side
        image: busybox:1.36
YAML
expect_output "apply creates" 'deployment.apps/app created' kubectl apply -f "$work/app.yaml"
sed -i 's/busybox:1.36$/busybox:1.37/; s/replicas: 1/replicas: 3/' "$work/app.yaml"
expect_output "apply updates (strategic merge patch)" 'deployment.apps/app configured' kubectl apply -f "$work/app.yaml"
expect_output "apply merged containers by name: main, side, both at 1.37" '^busybox:1\.37 busybox:1\.37 main side$' \
  kubectl -n e2e get deployment app -o jsonpath='{.spec.template.spec.containers[*].image} {.spec.template.spec.containers[*].name}'
expect_output "apply set replicas" '^3$' kubectl -n e2e get deployment app -o jsonpath='{.spec.replicas}'
expect_output "generation bumped" '^2$' kubectl -n e2e get deployment app -o jsonpath='{.metadata.generation}'

cat >"$work/ssa.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: ssa, namespace: e2e}
data: {mode: server-side}
YAML
expect_output "apply --server-side creates" 'configmap/ssa serverside-applied' kubectl apply --server-side -f "$work/ssa.yaml"
expect_output "apply --server-side again" 'configmap/ssa serverside-applied' kubectl apply --server-side -f "$work/ssa.yaml"

expect_output "get -o yaml" 'name: settings' kubectl -n e2e get configmap settings -o yaml
expect_output "get -o wide shows images" 'CONTAINERS +IMAGES +SELECTOR' kubectl -n e2e get deployments -o wide
expect_output "get table columns" 'NAME +READY +UP-TO-DATE +AVAILABLE +AGE' kubectl -n e2e get deployments

# Watch: ADDED, MODIFIED, DELETED arrive while kubectl get -w runs.
command kubectl --cache-dir "$work/kube-cache" -n e2e get configmaps -w --output-watch-events >"$work/watch.out" 2>&1 &
watch_pid=$!
sleep 1
kubectl -n e2e create configmap watched --from-literal=a=1 >/dev/null
kubectl -n e2e label configmap watched stage=one >/dev/null
kubectl -n e2e delete configmap watched >/dev/null
sleep 1
kill $watch_pid 2>/dev/null || true
grep -qE '^EVENT +NAME +DATA +AGE' "$work/watch.out" || fail "watch table header: $(cat "$work/watch.out")"
grep -qE '^ADDED +watched +1 ' "$work/watch.out" || fail "watch ADDED: $(cat "$work/watch.out")"
grep -qE '^MODIFIED +watched +1 ' "$work/watch.out" || fail "watch MODIFIED: $(cat "$work/watch.out")"
grep -qE '^DELETED +watched +1 ' "$work/watch.out" || fail "watch DELETED: $(cat "$work/watch.out")"
pass "get -w sees ADDED/MODIFIED/DELETED"

expect_output "label" 'configmap/settings labeled' kubectl -n e2e label configmap settings team=edge
expect_output "label selector" 'settings' kubectl -n e2e get configmaps -l 'team in (edge,core)'
expect_output "annotate" 'configmap/settings annotated' kubectl -n e2e annotate configmap settings note=hello
expect_output "scale" 'deployment.apps/web scaled' kubectl -n e2e scale deployment web --replicas=5
expect_output "scaled" '^5$' kubectl -n e2e get deployment web -o jsonpath='{.spec.replicas}'
expect_output "patch --type=merge" 'patched' kubectl -n e2e patch configmap settings --type=merge -p '{"data":{"size":"L"}}'
expect_output "patch --type=json" 'patched' kubectl -n e2e patch configmap settings --type=json -p '[{"op":"replace","path":"/data/size","value":"XL"}]'
expect_output "patch --type=strategic" 'patched' kubectl -n e2e patch deployment app --type=strategic \
  -p '{"spec":{"template":{"spec":{"containers":[{"name":"side","image":"busybox:1.38"}]}}}}'
expect_output "strategic patch merged by name" 'busybox:1.37 busybox:1.38' \
  kubectl -n e2e get deployment app -o jsonpath='{.spec.template.spec.containers[*].image}'
expect_output "patched values" '"size": "XL"' kubectl -n e2e get configmap settings -o json

cat >"$work/editor.sh" <<'SH'
#!/bin/sh
sed -i 's/color: blue/color: green/' "$1"
SH
chmod +x "$work/editor.sh"
expect_output "edit via KUBE_EDITOR" 'configmap/settings edited' env KUBE_EDITOR="$work/editor.sh" kubectl -n e2e edit configmap settings
expect_output "edit applied" '^green$' kubectl -n e2e get configmap settings -o jsonpath='{.data.color}'
expect_output "describe" 'Replicas: +3 desired' kubectl -n e2e describe deployment app
expect_output "explain" 'replicas' kubectl explain deployment.spec.replicas
expect_output "get all" 'deployment.apps/web' kubectl -n e2e get all

expect_error "NotFound" 'Error from server \(NotFound\): configmaps "nope" not found' kubectl -n e2e get configmap nope
kubectl -n e2e get configmap settings -o yaml >"$work/settings.yaml"
expect_error "AlreadyExists" 'Error from server \(AlreadyExists\): error when creating ".*": configmaps "settings" already exists' \
  kubectl create -f "$work/settings.yaml"
expect_error "AlreadyExists from a generator" 'configmaps "settings" already exists' kubectl -n e2e create configmap settings
rv=$(kubectl -n e2e get configmap settings -o jsonpath='{.metadata.resourceVersion}')
kubectl -n e2e get configmap settings -o json >"$work/stale.json"
kubectl -n e2e label configmap settings bump=1 >/dev/null
expect_error "Conflict" 'Error from server \(Conflict\).*the object has been modified' kubectl replace -f "$work/stale.json"
expect_error "Invalid" 'is invalid: .*metadata.name' kubectl -n e2e create configmap Bad_Name
cat >"$work/typo.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: typo, namespace: e2e}
dataa: {a: b}
YAML
expect_error "unknown field with strict validation" 'BadRequest.*unknown field "dataa"' kubectl apply -f "$work/typo.yaml"
# A file of kind: List (what `kubectl get -o yaml` writes): kubectl checks it against /openapi/v2 first.
cat >"$work/list.yaml" <<'YAML'
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: ConfigMap, metadata: {name: listed-1, namespace: e2e}, data: {count: "1"}}
- {apiVersion: v1, kind: ConfigMap, metadata: {name: listed-2, namespace: e2e}, data: {count: "2"}}
YAML
expect_output "apply of a kind: List creates every item" 'configmap/listed-2 created' kubectl apply -f "$work/list.yaml"
v=$(kubectl -n e2e get configmap listed-1 -o jsonpath="{.data.count}" 2>&1) && [ "$v" = 1 ] || fail "listed-1 was not created: $v"
sed -i 's/data: {count: "2"}/datum: {count: "2"}/' "$work/list.yaml"
expect_error "an item of a List is validated strictly by the server" 'strict decoding error: unknown field "datum"' \
  kubectl apply -f "$work/list.yaml"

expect_output "delete waits until gone" 'configmap "settings" deleted' kubectl -n e2e delete configmap settings
expect_error "deleted object is gone" 'NotFound' kubectl -n e2e get configmap settings
expect_output "delete namespace" 'namespace "e2e" deleted' kubectl delete namespace e2e --timeout=60s
expect_error "namespace contents removed" 'NotFound' kubectl get namespace e2e
# Graceful shutdown ends open watches instead of hanging on them.
command kubectl --cache-dir "$work/kube-cache" get namespaces -w >"$work/shutdown-watch.out" 2>&1 &
shutdown_watch=$!
for _ in $(seq 100); do grep -q '^kube-system ' "$work/shutdown-watch.out" && break; sleep 0.1; done
grep -q '^kube-system ' "$work/shutdown-watch.out" || fail "kubectl get -w listed nothing: $(cat "$work/shutdown-watch.out")"
stop_server
for _ in $(seq 50); do kill -0 "$shutdown_watch" 2>/dev/null || break; sleep 0.1; done
kill -0 "$shutdown_watch" 2>/dev/null && fail "kubectl get -w still waiting after the server stopped"
pass "SIGTERM with a watch open: server exits 0, the watch ends"
echo "10-kubectl: all passed"
