#!/usr/bin/env bash
# Authorization as users meet it: RBAC with a ServiceAccount's token through kubectl, `kubectl auth can-i` (also
# --as and --list), escalation prevention, ClusterRole aggregation, Pod Security admission, malformed RBAC objects,
# anonymous access, the audit log, the Python client and helm with a non-admin kubeconfig, and --anonymous-auth=false.
source "$(dirname "$0")/lib/common.sh"
python_client
expect_error "a bad --pod-security-default-level is one line naming the flag" \
  'pod-security-default-level must be privileged, baseline or restricted, not "strict"' \
  "$SKIFF_BIN" server --pod-security-default-level strict --data-dir "$work/unused"
expect_error "so is a bad --anonymous-auth" 'anonymous-auth' "$SKIFF_BIN" server --anonymous-auth maybe --data-dir "$work/unused"
start_server --audit-log-path "$work/audit/audit.log"
server=$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}')
kubectl config view --raw --minify -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' | base64 -d >"$work/ca.crt"

# kubeconfig_for NAME NAMESPACE TOKEN: a kubeconfig that authenticates with TOKEN only (no admin certificate).
kubeconfig_for() {
  local file="$work/$1.kubeconfig"
  KUBECONFIG=$file kubectl config set-cluster skiff --server="$server" --certificate-authority="$work/ca.crt" \
    --embed-certs >/dev/null
  KUBECONFIG=$file kubectl config set-credentials "$1" --token="$3" >/dev/null
  KUBECONFIG=$file kubectl config set-context "$1" --cluster=skiff --user="$1" --namespace="$2" >/dev/null
  KUBECONFIG=$file kubectl config use-context "$1" >/dev/null
  echo "$file"
}
# until_ok COMMAND…: retries for up to 5 s (the RBAC index follows a new binding by watch, in milliseconds).
until_ok() { for _ in $(seq 50); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done; "$@"; }

kubectl create namespace a >/dev/null && kubectl create namespace b >/dev/null
kubectl -n a create serviceaccount viewer >/dev/null
kubectl -n a create rolebinding viewer --clusterrole=view --serviceaccount=a:viewer >/dev/null
viewer=$(kubeconfig_for viewer a "$(kubectl -n a create token viewer)")
until_ok kubectl --kubeconfig "$viewer" get pods >/dev/null
expect_output "a ServiceAccount bound to view lists pods in its namespace" 'No resources found in a namespace' \
  kubectl --kubeconfig "$viewer" get pods
expect_error "and gets 403 in another namespace" \
  'Error from server \(Forbidden\): pods is forbidden: User "system:serviceaccount:a:viewer" cannot list resource "pods" in API group "" in the namespace "b"' \
  kubectl --kubeconfig "$viewer" get pods -n b
expect_error "and on secrets" \
  'secrets is forbidden: User "system:serviceaccount:a:viewer" cannot list resource "secrets" in API group "" in the namespace "a"' \
  kubectl --kubeconfig "$viewer" get secrets
expect_output "auth can-i --as the ServiceAccount: list pods" '^yes$' \
  kubectl auth can-i --as system:serviceaccount:a:viewer list pods -n a
[ "$(kubectl auth can-i --as system:serviceaccount:a:viewer delete pods -n a 2>&1)" = "no" ] \
  || fail "auth can-i delete pods should answer no"
pass "auth can-i --as the ServiceAccount: delete pods answers no"
expect_output "auth can-i --list with the ServiceAccount's own token" '^pods +\[\] +\[\] +\[get list watch\]' \
  kubectl --kubeconfig "$viewer" auth can-i --list
expect_output "auth whoami with the token" 'system:serviceaccount:a:viewer' kubectl --kubeconfig "$viewer" auth whoami
# A binding to a role that does not exist grants nothing and breaks nothing.
kubectl -n a create rolebinding ghost --clusterrole=no-such-role --serviceaccount=a:viewer >/dev/null
expect_output "a binding to a missing role leaves the other grants working" 'No resources found' \
  kubectl --kubeconfig "$viewer" get pods

# Aggregation: a ClusterRole labelled aggregate-to-view joins view at once.
kubectl create -f - >/dev/null <<'YAML'
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: secret-reader
  labels: {rbac.authorization.k8s.io/aggregate-to-view: "true"}
rules:
- {apiGroups: [""], resources: [secrets], verbs: [get, list]}
YAML
start=$(date +%s%N)   # the ClusterRole is stored: from here the aggregation controller has to react
for _ in $(seq 100); do
  kubectl get clusterrole view -o jsonpath='{.rules[*].resources}' | grep -q secrets && break
  sleep 0.01
done
elapsed=$((($(date +%s%N) - start) / 1000000))
kubectl get clusterrole view -o jsonpath='{.rules[*].resources}' | grep -q secrets || fail "view did not aggregate"
[ "$elapsed" -le 1000 ] || fail "aggregation took ${elapsed} ms (over 1 s)"
pass "a ClusterRole labelled aggregate-to-view is in view after ${elapsed} ms"
until_ok kubectl --kubeconfig "$viewer" get secrets >/dev/null
expect_output "the viewer now reads secrets" '^yes$' kubectl --kubeconfig "$viewer" auth can-i list secrets

# Escalation: alice (impersonated by the admin) holds edit and may manage RoleBindings in a, but not grant admin.
kubectl -n a create rolebinding alice-edit --clusterrole=edit --user=alice >/dev/null
kubectl -n a create role binding-manager --verb=create,get,list --resource=rolebindings >/dev/null
kubectl -n a create rolebinding alice-manager --role=binding-manager --user=alice >/dev/null
until_ok kubectl --as alice -n a get rolebindings >/dev/null
expect_error "a user with edit cannot bind admin" \
  'rolebindings.rbac.authorization.k8s.io "bob-admin" is forbidden: user "alice" \(groups=\["system:authenticated"\]\) is attempting to grant RBAC permissions not currently held' \
  kubectl --as alice -n a create rolebinding bob-admin --clusterrole=admin --user=bob
expect_output "but binds view, which edit covers" 'created' \
  kubectl --as alice -n a create rolebinding bob-view --clusterrole=view --user=bob
kubectl create clusterrole admin-binder --verb=bind --resource=clusterroles --resource-name=admin >/dev/null
kubectl -n a create rolebinding alice-binder --clusterrole=admin-binder --user=alice >/dev/null
until_ok kubectl --as alice -n a create rolebinding bob-admin --clusterrole=admin --user=bob --dry-run=server
expect_output "with bind on admin she can" 'rolebinding.rbac.authorization.k8s.io/bob-admin created' \
  kubectl --as alice -n a create rolebinding bob-admin --clusterrole=admin --user=bob
expect_error "impersonating takes the impersonate verb" \
  'users "bob" is forbidden: User "system:serviceaccount:a:viewer" cannot impersonate resource "users" in API group "" at the cluster scope' \
  kubectl --kubeconfig "$viewer" --as bob get pods

# kubectl auth reconcile: creates what is missing, then adds missing rules to what exists.
cat >"$work/reconcile.yaml" <<'YAML'
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reconciled, namespace: a}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: reconciled, namespace: a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reconciled}
subjects: [{kind: User, name: carol, apiGroup: rbac.authorization.k8s.io}]
YAML
expect_output "auth reconcile creates a Role and its binding" 'rolebinding.rbac.authorization.k8s.io/reconciled reconciled' \
  kubectl auth reconcile -f "$work/reconcile.yaml"
sed -i 's/verbs: \[get\]}/verbs: [get, list]}/' "$work/reconcile.yaml"
expect_output "and adds the rules a second run brings" 'missing rules added' kubectl auth reconcile -f "$work/reconcile.yaml"
until_ok bash -c '[ "$(kubectl auth can-i --as carol list configmaps -n a)" = yes ]'
pass "carol may list configmaps in a after the reconcile"

# Malformed RBAC objects: 422 with upstream's field paths.
cat >"$work/bad.yaml" <<'YAML'
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: bad, namespace: a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Team, name: view}
subjects: [{kind: Robot, name: r2}]
YAML
expect_output "a malformed RoleBinding is refused with its field paths" 'roleRef.kind: Unsupported value: "Team": supported values: "Role", "ClusterRole"' \
  bash -c "kubectl create -f '$work/bad.yaml' 2>&1 || true"
expect_error "naming each bad field" \
  'subjects\[0\].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"' \
  kubectl create -f "$work/bad.yaml"

# Pod Security admission.
kubectl create namespace locked >/dev/null
kubectl label namespace locked pod-security.kubernetes.io/enforce=restricted >/dev/null
cat >"$work/privileged.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: root, namespace: locked}
spec:
  containers:
  - {name: c, image: busybox, securityContext: {privileged: true}}
YAML
expect_error "a restricted namespace refuses a privileged pod in upstream's words" \
  'pods "root" is forbidden: violates PodSecurity "restricted:latest": privileged \(container "c" must not set securityContext.privileged=true\), allowPrivilegeEscalation != false' \
  kubectl create -f "$work/privileged.yaml"
kubectl create namespace watched >/dev/null
kubectl label namespace watched pod-security.kubernetes.io/warn=baseline >/dev/null
sed 's/namespace: locked/namespace: watched/' "$work/privileged.yaml" >"$work/warned.yaml"
expect_output "a warn namespace admits it with a warning kubectl prints" \
  'Warning: would violate PodSecurity "baseline:latest": privileged' kubectl create -f "$work/warned.yaml"
expect_error "an unknown level on the namespace label is refused" \
  'metadata.labels\[pod-security.kubernetes.io/enforce\]: Invalid value: "strict"' \
  kubectl label namespace watched pod-security.kubernetes.io/enforce=strict

# Anonymous requests: health and version only.
code() { curl -s -o /dev/null -w '%{http_code}' --cacert "$work/ca.crt" "$server$1"; }
[ "$(code /healthz)" = 200 ] && [ "$(code /version)" = 200 ] || fail "anonymous /healthz or /version refused"
[ "$(code /api)" = 401 ] && [ "$(code /api/v1/namespaces)" = 401 ] || fail "anonymous /api was not 401"
pass "anonymous: /healthz and /version 200, /api 401"

# The Python client with the non-admin kubeconfig: an editor in namespace a.
kubectl -n a create serviceaccount editor >/dev/null
kubectl -n a create rolebinding editor --clusterrole=edit --serviceaccount=a:editor >/dev/null
editor=$(kubeconfig_for editor a "$(kubectl -n a create token editor)")
until_ok kubectl --kubeconfig "$editor" get configmaps >/dev/null
"$python" - "$editor" <<'PY' || fail "python client under RBAC"
import json, sys
from kubernetes import client, config
from kubernetes.client.rest import ApiException
config.load_kube_config(config_file=sys.argv[1])
core = client.CoreV1Api()
core.create_namespaced_config_map("a", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="from-python"), data={"k": "v"}))
assert core.read_namespaced_config_map("from-python", "a").data == {"k": "v"}
try:
    core.list_namespaced_pod("b")
    raise SystemExit("listing pods in b should be forbidden")
except ApiException as error:
    assert error.status == 403, error
    message = json.loads(error.body)["message"]
    assert message.endswith('cannot list resource "pods" in API group "" in the namespace "b"'), message
review = client.AuthorizationV1Api().create_self_subject_access_review(
    client.V1SelfSubjectAccessReview(spec=client.V1SelfSubjectAccessReviewSpec(
        resource_attributes=client.V1ResourceAttributes(namespace="a", verb="delete", resource="deployments", group="apps"))))
assert review.status.allowed, review
PY
pass "the Python client works as an editor in a and gets 403 in b"

# helm with the editor's kubeconfig: a chart without RBAC objects installs with edit; one with its own Role and
# RoleBinding needs admin in the namespace (edit grants no RBAC writes, as upstream).
helm_bin=/var/tmp/skiff-e2e-helm/helm
if [ -x "$helm_bin" ]; then
  (cd "$work" && "$helm_bin" create demo >/dev/null) || fail "helm create"
  sed -i 's/^replicaCount: .*/replicaCount: 1/' "$work/demo/values.yaml"
  expect_output "helm install as an editor" 'STATUS: deployed' "$helm_bin" --kubeconfig "$editor" install demo "$work/demo"
  cat >"$work/demo/templates/rbac.yaml" <<'YAML'
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: {{ include "demo.fullname" . }}-reader}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [get, list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: {{ include "demo.fullname" . }}-reader}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: {{ include "demo.fullname" . }}-reader}
subjects:
- {kind: ServiceAccount, name: {{ include "demo.serviceAccountName" . }}}
YAML
  expect_error "a chart with a Role needs more than edit" 'roles.rbac.authorization.k8s.io "withrbac-demo-reader" is forbidden: User "system:serviceaccount:a:editor"' \
    "$helm_bin" --kubeconfig "$editor" install withrbac "$work/demo"
  "$helm_bin" --kubeconfig "$editor" uninstall withrbac >/dev/null 2>&1 || true
  kubectl -n a create rolebinding editor-admin --clusterrole=admin --serviceaccount=a:editor >/dev/null
  until_ok kubectl --kubeconfig "$editor" get roles >/dev/null
  expect_output "helm install of a chart with its ServiceAccount, Role and RoleBinding as namespace admin" \
    'STATUS: deployed' "$helm_bin" --kubeconfig "$editor" install withrbac "$work/demo"
  expect_output "the chart's ServiceAccount may read configmaps" '^yes$' \
    kubectl auth can-i --as system:serviceaccount:a:withrbac-demo list configmaps -n a
  expect_output "helm uninstall as the editor" 'uninstalled' "$helm_bin" --kubeconfig "$editor" uninstall withrbac
else
  echo "skip - helm is fetched by 25-helm.sh; run it first"
fi

# The audit log: who did what, with the answer.
"$python" - "$work/audit/audit.log" <<'PY' || fail "audit log"
import json, sys
events = [json.loads(line) for line in open(sys.argv[1])]
assert all(e["apiVersion"] == "audit.k8s.io/v1" and e["level"] == "Metadata" for e in events)
refused = [e for e in events if e["user"].get("username") == "system:serviceaccount:a:viewer"
           and e.get("objectRef", {}).get("namespace") == "b" and e["responseStatus"]["code"] == 403]
assert refused and refused[0]["annotations"]["authorization.k8s.io/decision"] == "forbid", refused
assert any(e.get("impersonatedUser", {}).get("username") == "alice" for e in events)
PY
pass "the audit log records the viewer's refusal and alice's impersonated requests"

stop_server
start_server --anonymous-auth=false --pod-security-default-level baseline
[ "$(code /healthz)" = 401 ] || fail "/healthz without credentials under --anonymous-auth=false: $(code /healthz)"
pass "--anonymous-auth=false: /healthz needs credentials too"
kubectl create namespace unlabelled >/dev/null
sed 's/namespace: locked/namespace: unlabelled/' "$work/privileged.yaml" >"$work/default-level.yaml"
expect_error "--pod-security-default-level baseline applies to namespaces without labels" \
  'violates PodSecurity "baseline:latest": privileged' kubectl create -f "$work/default-level.yaml"
echo "35-rbac: all passed"
