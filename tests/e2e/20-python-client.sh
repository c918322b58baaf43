#!/usr/bin/env bash
# The official Python `kubernetes` client against a fresh `skiff server --disable-agent`; then a CustomResourceDefinition
# made with kubectl, its objects driven through kubectl and the Python client, and its deletion taking them along.
source "$(dirname "$0")/lib/common.sh"
python_client
start_server
"$python" "$(dirname "$0")/python_client.py" "$KUBECONFIG"

cat >"$work/crd.yaml" <<'YAML'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.skiff.test}
spec:
  group: skiff.test
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer, description: How many sprockets the widget turns.}
YAML
expect_output "create a CRD" 'customresourcedefinition.apiextensions.k8s.io/widgets.skiff.test created' kubectl apply -f "$work/crd.yaml"
expect_output "it becomes Established" 'condition met' kubectl wait --for=condition=Established crd/widgets.skiff.test --timeout=60s
expect_output "api-resources lists it" '^widgets +wd +skiff\.test/v1 +true +Widget$' kubectl api-resources --api-group=skiff.test
expect_output "explain shows the field's description" '^ +How many sprockets the widget turns\.$' kubectl explain widgets.spec.size

command kubectl --cache-dir "$work/kube-cache" get widgets -w --output-watch-events >"$work/watch.out" 2>&1 &
watch_pid=$!
printf 'apiVersion: skiff.test/v1\nkind: Widget\nmetadata: {name: w1}\nspec: {size: 3}\n' >"$work/w1.yaml"
expect_output "kubectl apply (validating it against the published schema) creates a custom object" 'widget.skiff.test/w1 created' \
  kubectl apply -f "$work/w1.yaml"
expect_output "and reads it" '^w1 3$' kubectl get widget w1 -o jsonpath='{.metadata.name} {.spec.size}'
expect_output "by its short name" '^widget.skiff.test/w1$' kubectl get wd -o name
expect_output "kubectl patches it" 'widget.skiff.test/w1 patched' kubectl patch widget w1 --type=merge -p '{"spec":{"size":4}}'
expect_output "patched" '^4$' kubectl get widget w1 -o jsonpath='{.spec.size}'
expect_output "kubectl creates a second" 'widget.skiff.test/w2 created' kubectl create -f <(sed 's/w1/w2/' "$work/w1.yaml")
expect_output "and deletes it" 'widget.skiff.test "w2" deleted' kubectl delete widget w2
expect_error "which is gone" 'NotFound' kubectl get widget w2
for _ in $(seq 100); do grep -q '^DELETED +w2 ' "$work/watch.out" && break; sleep 0.1; done
kill "$watch_pid" 2>/dev/null || true
for event in 'ADDED +w1 ' 'MODIFIED +w1 ' 'ADDED +w2 ' 'DELETED +w2 '; do
  grep -qE "^$event" "$work/watch.out" || fail "kubectl get widgets -w: no /^$event/ in: $(cat "$work/watch.out")"
done
pass "kubectl get widgets -w sees ADDED, MODIFIED, DELETED"

"$python" "$(dirname "$0")/python_crd.py" "$KUBECONFIG"
expect_output "objects of both clients are listed" '^widget.skiff.test/py-keep widget.skiff.test/w1$' \
  bash -c "KUBECONFIG=$KUBECONFIG command kubectl --cache-dir $work/kube-cache get widgets -o name | sort | xargs"

# Deleting the CRD deletes its objects: the endpoint goes away, and a CRD made again under the name starts empty.
expect_output "delete the CRD" 'customresourcedefinition.apiextensions.k8s.io "widgets.skiff.test" deleted' \
  kubectl delete crd widgets.skiff.test --timeout=60s
expect_error "its objects' endpoint is 404" 'NotFound' kubectl get --raw /apis/skiff.test/v1/namespaces/default/widgets
expect_output "the CRD made again" 'created' kubectl apply -f "$work/crd.yaml"
expect_output "is Established" 'condition met' kubectl wait --for=condition=Established crd/widgets.skiff.test --timeout=60s
expect_output "and has none of the old objects" '^0$' \
  bash -c "KUBECONFIG=$KUBECONFIG command kubectl --cache-dir $work/kube-cache get --raw /apis/skiff.test/v1/widgets | python3 -c 'import json,sys; print(len(json.load(sys.stdin)[\"items\"]))'"
echo "20-python-client: all passed"
