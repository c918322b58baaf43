#!/usr/bin/env bash
# ServiceAccount tokens: `kubectl create token` (TokenRequest), then authenticating with the token through kubectl,
# curl and the Python client. There is no RBAC yet: any authenticated user may do everything.
source "$(dirname "$0")/lib/common.sh"
start_server

server=$(command kubectl config view --raw -o jsonpath='{.clusters[0].cluster.server}')
command kubectl config view --raw -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' | base64 -d >"$work/ca.crt"
[ -f "$work/data/server/tls/service.key" ] || fail "service.key was not created"
pass "service account signing key at server/tls/service.key"

for _ in $(seq 50); do kubectl get sa default >/dev/null 2>&1 && break; sleep 0.1; done
token=$(kubectl create token default) || fail "create token: $token"
[[ "$token" =~ ^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$ ]] || fail "create token printed no JWT: $token"
pass "kubectl create token prints a JWT"
claims=$(python3 - "$token" <<'PY'
import base64, json, sys
payload = sys.argv[1].split(".")[1]
print(json.dumps(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))), sort_keys=True))
PY
)
grep -q '"sub": "system:serviceaccount:default:default"' <<<"$claims" || fail "sub claim: $claims"
grep -q '"iss": "https://kubernetes.default.svc.cluster.local"' <<<"$claims" || fail "iss claim: $claims"
grep -q '"aud": \["https://kubernetes.default.svc.cluster.local", "k3s"\]' <<<"$claims" || fail "aud claim: $claims"
pass "token claims: $claims"

long=$(kubectl create token default --duration=2h -o jsonpath='{.status.expirationTimestamp}')
python3 - "$long" <<'PY' || fail "--duration=2h expiration $long"
import datetime, sys
left = datetime.datetime.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc) - datetime.datetime.now(datetime.timezone.utc)
assert 7100 < left.total_seconds() <= 7200, left
PY
pass "create token --duration=2h expires in two hours"
expect_error "a duration under 10 minutes is refused" 'may not specify a duration less than 10 minutes' kubectl create token default --duration=5m
expect_error "a missing ServiceAccount is 404" 'serviceaccounts "ghost" not found' kubectl create token ghost
expect_output "audiences can be chosen" '"vault"' kubectl create token default --audience=vault -o json

as_sa() { command kubectl --kubeconfig=/dev/null --server="$server" --certificate-authority="$work/ca.crt" "$@"; }
# RBAC: the token authenticates, but the account holds nothing until a binding grants it something.
expect_error "the ServiceAccount may list nothing before a binding" \
  'namespaces is forbidden: User "system:serviceaccount:default:default" cannot list resource "namespaces" in API group "" at the cluster scope' \
  as_sa --token="$token" get ns
kubectl create clusterrolebinding default-sa-view --clusterrole=view --serviceaccount=default:default >/dev/null
kubectl create rolebinding default-sa-edit --clusterrole=edit --serviceaccount=default:default -n default >/dev/null
for _ in $(seq 50); do as_sa --token="$token" get ns >/dev/null 2>&1 && break; sleep 0.1; done
expect_output "kubectl --token authenticates as the ServiceAccount" 'kube-system +Active' as_sa --token="$token" get ns
expect_output "auth whoami names the ServiceAccount" 'Username +system:serviceaccount:default:default' as_sa --token="$token" auth whoami
expect_output "with its groups" 'Groups +\[system:serviceaccounts system:serviceaccounts:default system:authenticated\]' as_sa --token="$token" auth whoami
expect_output "the admin is system:admin" 'Username +system:admin' kubectl auth whoami
code=$(curl -s -o "$work/curl.json" -w '%{http_code}' --cacert "$work/ca.crt" -H "Authorization: Bearer $token" "$server/api/v1/namespaces")
[ "$code" = 200 ] || fail "curl with the token: $code $(cat "$work/curl.json")"
pass "curl with the bearer token lists namespaces"

tampered="${token%?????}AAAAA"
code=$(curl -s -o "$work/curl.json" -w '%{http_code}' --cacert "$work/ca.crt" -H "Authorization: Bearer $tampered" "$server/api/v1/namespaces")
[ "$code" = 401 ] && grep -q '"reason":"Unauthorized"' "$work/curl.json" || fail "tampered token: $code $(cat "$work/curl.json")"
pass "a tampered token is 401 Unauthorized"
expect_error "kubectl with a tampered token is refused" 'Unauthorized|must be logged in' as_sa --token="$tampered" get ns
foreign=$(kubectl create token default --audience=vault)
expect_error "a token for another audience is refused" 'Unauthorized|must be logged in' as_sa --token="$foreign" get ns

python_client
"$python" - "$server" "$work/ca.crt" "$token" <<'PY' || fail "python client with the token"
import sys
from kubernetes import client
configuration = client.Configuration()
configuration.host, configuration.ssl_ca_cert = sys.argv[1], sys.argv[2]
configuration.api_key = {"authorization": "Bearer " + sys.argv[3]}
names = [n.metadata.name for n in client.CoreV1Api(client.ApiClient(configuration)).list_namespace().items]
assert "kube-system" in names, names
# The client can also request tokens (authenticated by the token itself, which `edit` allows).
request = client.AuthenticationV1TokenRequest(spec=client.V1TokenRequestSpec(audiences=[], expiration_seconds=1200))
answer = client.CoreV1Api(client.ApiClient(configuration)).create_namespaced_service_account_token("default", "default", request)
assert answer.status.token.count(".") == 2 and answer.spec.audiences == ["https://kubernetes.default.svc.cluster.local", "k3s"], answer
PY
pass "python client authenticates with the token and requests one"

# Deleting the ServiceAccount revokes its tokens; a recreated one (new uid) does not bring them back.
expect_output "create sa builder" 'serviceaccount/builder created' kubectl create sa builder
builder=$(kubectl create token builder)
expect_output "builder token works" 'system:serviceaccount:default:builder' as_sa --token="$builder" auth whoami
expect_output "delete sa builder" 'deleted' kubectl delete sa builder
expect_error "token of a deleted ServiceAccount is refused" 'Unauthorized|must be logged in' as_sa --token="$builder" get ns
expect_output "recreate sa builder" 'serviceaccount/builder created' kubectl create sa builder
expect_error "old token does not work for the recreated ServiceAccount" 'Unauthorized|must be logged in' as_sa --token="$builder" get ns

# Tokens survive a restart: the key is reused from disk.
stop_server
start_server
expect_output "token still valid after a restart" 'kube-system +Active' as_sa --token="$token" get ns
echo "15-serviceaccount-token: all passed"
