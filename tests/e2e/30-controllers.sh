#!/usr/bin/env bash
# Scheduler, Deployment/ReplicaSet controllers and node lifecycle (with edge autonomy) on simulated nodes,
# driven by the real kubectl.
source "$(dirname "$0")/lib/common.sh"
start_server --simulate 3 --node-monitor-grace-period 15s  # 15 s: above a remote agent's 10 s heartbeat

expect_output "simulated nodes are Ready" 'sim-2 +Ready' kubectl get nodes
# A CronJob due every minute, made first so that its first run falls while the checks below go on.
expect_output "create a CronJob due every minute" 'cronjob.batch/every created' kubectl create cronjob every --image=busybox --schedule='* * * * *'
expect_output "create deployment" 'deployment.apps/web created' kubectl create deployment web --image=busybox:1.36 --replicas=3
expect_output "rollout status returns" 'successfully rolled out' kubectl rollout status deployment/web --timeout=60s
expect_output "3/3 available" '^3/3$' kubectl get deployment web -o jsonpath='{.status.availableReplicas}/{.status.replicas}'
expect_output "pods spread over the nodes" '^3$' bash -c "KUBECONFIG=$KUBECONFIG command kubectl --cache-dir $work/kube-cache get pods -l app=web -o jsonpath='{range .items[*]}{.spec.nodeName}{\"\\n\"}{end}' | sort -u | wc -l"
expect_output "set image" 'image updated' kubectl set image deployment/web busybox=busybox:1.37
expect_output "rolling update completes" 'successfully rolled out' kubectl rollout status deployment/web --timeout=60s
expect_output "all pods run the new image" '^busybox:1.37 busybox:1.37 busybox:1.37$' kubectl get pods -l app=web -o jsonpath='{.items[*].spec.containers[0].image}'
expect_output "two revisions" '^2 +<none>' kubectl rollout history deployment/web
expect_output "rollout undo" 'rolled back' kubectl rollout undo deployment/web
expect_output "undo completes" 'successfully rolled out' kubectl rollout status deployment/web --timeout=60s
expect_output "template is back" '^busybox:1.36$' kubectl get deployment web -o jsonpath='{.spec.template.spec.containers[0].image}'
expect_output "scale" 'scaled' kubectl scale deployment web --replicas=5
expect_output "scaled out" 'successfully rolled out' kubectl rollout status deployment/web --timeout=60s
expect_output "5 pods" '^5$' bash -c "KUBECONFIG=$KUBECONFIG command kubectl --cache-dir $work/kube-cache get pods -l app=web --no-headers | grep -c Running"

# rollout restart: a new ReplicaSet whose template carries kubectl.kubernetes.io/restartedAt rolls out.
replica_sets() { KUBECONFIG=$KUBECONFIG command kubectl --cache-dir "$work/kube-cache" get rs -l app=web --no-headers | wc -l; }
observed() {  # waits until the Deployment controller has seen the latest spec
  for _ in $(seq 100); do
    [ "$(kubectl get deployment web -o jsonpath='{.metadata.generation}/{.status.observedGeneration}' | awk -F/ '{print ($1==$2)}')" = 1 ] && return 0
    sleep 0.1
  done
  fail "deployment web: generation never observed"
}
before=$(replica_sets)
expect_output "rollout restart" 'deployment.apps/web restarted' kubectl rollout restart deployment/web
expect_output "restart rolls out" 'successfully rolled out' kubectl rollout status deployment/web --timeout=60s
expect_output "template has restartedAt" '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$' kubectl get deployment web -o jsonpath='{.spec.template.metadata.annotations.kubectl\.kubernetes\.io/restartedAt}'
[ "$(replica_sets)" -eq $((before + 1)) ] || fail "rollout restart: expected a new ReplicaSet ($before before, $(replica_sets) after)"
pass "rollout restart made a new ReplicaSet"
expect_output "its pods carry restartedAt" '^20[0-9]{2}-' bash -c "KUBECONFIG=$KUBECONFIG command kubectl --cache-dir $work/kube-cache get pods -l app=web -o jsonpath='{.items[0].metadata.annotations.kubectl\.kubernetes\.io/restartedAt}'"

# rollout pause: template changes make no ReplicaSet; status says paused; resume rolls the change out.
expect_output "rollout pause" 'deployment.apps/web paused' kubectl rollout pause deployment/web
before=$(replica_sets)
expect_output "set image while paused" 'image updated' kubectl set image deployment/web busybox=busybox:1.38
observed
expect_output "paused: Progressing is DeploymentPaused" '^Unknown DeploymentPaused Deployment is paused$' kubectl get deployment web -o jsonpath='{.status.conditions[?(@.type=="Progressing")].status} {.status.conditions[?(@.type=="Progressing")].reason} {.status.conditions[?(@.type=="Progressing")].message}'
[ "$(replica_sets)" -eq "$before" ] || fail "paused deployment created a ReplicaSet"
pass "paused: no new ReplicaSet"
# kubectl has no paused message: it reports no updated replicas (and --watch would wait for resume).
expect_output "paused: rollout status shows nothing updated" 'Waiting for deployment "web" rollout to finish: 0 out of 5 new replicas have been updated' kubectl rollout status deployment/web --watch=false
expect_output "paused: pods keep the old image" '^busybox:1.36 busybox:1.36 busybox:1.36 busybox:1.36 busybox:1.36$' kubectl get pods -l app=web -o jsonpath='{.items[*].spec.containers[0].image}'
expect_error "paused: undo is refused" 'cannot rollback a paused deployment' kubectl rollout undo deployment/web
expect_output "rollout resume" 'deployment.apps/web resumed' kubectl rollout resume deployment/web
expect_output "resumed rollout completes" 'successfully rolled out' kubectl rollout status deployment/web --timeout=60s
[ "$(replica_sets)" -eq $((before + 1)) ] || fail "resume: expected one new ReplicaSet"
expect_output "resumed: all pods run the new image" '^busybox:1.38 busybox:1.38 busybox:1.38 busybox:1.38 busybox:1.38$' kubectl get pods -l app=web -o jsonpath='{.items[*].spec.containers[0].image}'
web_pod=$(kubectl get pods -l app=web -o jsonpath='{.items[0].metadata.name}')
expect_output "describe pod shows the Scheduled event" "Normal +Scheduled +[0-9a-z]+ +default-scheduler +Successfully assigned default/$web_pod to sim-[0-9]" kubectl describe pod "$web_pod"

# Garbage collection: background deletion removes ReplicaSets and pods; orphaning keeps them.
expect_output "delete deployment" 'deleted' kubectl delete deployment web
for _ in $(seq 60); do [ -z "$(KUBECONFIG=$KUBECONFIG command kubectl --cache-dir $work/kube-cache get rs,pods -l app=web -o name)" ] && break; sleep 0.5; done
expect_output "its ReplicaSets and pods are gone" '^$' kubectl get rs,pods -l app=web -o name

# Networking: the kubernetes Service, node pod CIDRs, cluster IPs, Endpoints and EndpointSlices.
expect_output "kubernetes Service has the first service IP" '^10\.43\.0\.1$' kubectl get svc kubernetes -o jsonpath='{.spec.clusterIP}'
expect_output "kubernetes Endpoints point at the API port" '^kubernetes +[0-9.]+:[0-9]+ ' kubectl get endpoints kubernetes --no-headers
expect_output "nodes have distinct /24 pod CIDRs" '^3$' bash -c "KUBECONFIG=$KUBECONFIG command kubectl --cache-dir $work/kube-cache get nodes -o jsonpath='{range .items[*]}{.spec.podCIDR}{\"\\n\"}{end}' | grep -E '^10\.42\.[0-9]+\.0/24$' | sort -u | wc -l"
kubectl create deployment web --image=nginx --replicas=2 >/dev/null
expect_output "web rolls out" 'successfully rolled out' kubectl rollout status deployment/web --timeout=60s
expect_output "expose" 'service/web exposed' kubectl expose deployment web --port=80
expect_output "service has a cluster IP in the service CIDR" '^web +ClusterIP +10\.43\.[0-9]+\.[0-9]+ +<none> +80/TCP' kubectl get svc web --no-headers
for _ in $(seq 60); do [ "$(kubectl get endpoints web -o jsonpath='{.subsets[0].addresses[*].ip}' 2>/dev/null | wc -w)" = 2 ] && break; sleep 0.5; done
expect_output "endpoints list both pods" '^web +10\.42\.[0-9]+\.[0-9]+:80,10\.42\.[0-9]+\.[0-9]+:80 ' kubectl get endpoints web --no-headers
expect_output "pod IPs are the endpoint addresses" "^$(kubectl get pods -l app=web -o jsonpath='{.items[*].status.podIP}' | tr ' ' '\n' | sort | xargs)\$" bash -c "KUBECONFIG=$KUBECONFIG command kubectl --cache-dir $work/kube-cache get endpoints web -o jsonpath='{.subsets[0].addresses[*].ip}' | tr ' ' '\n' | sort | xargs"
expect_output "one EndpointSlice with both" '^web-[a-z0-9]+ +IPv4 +80 +10\.42\.[0-9.]+,10\.42\.[0-9.]+ ' kubectl get endpointslices -l kubernetes.io/service-name=web --no-headers
web_ip=$(kubectl get svc web -o jsonpath='{.spec.clusterIP}')
# kubectl prints a 422 with field causes as `The Service "x" is invalid: …`, as it does against upstream.
expect_error "a taken cluster IP is refused" "The Service \"dup\" is invalid: spec.clusterIPs: Invalid value: \\[\"$web_ip\"\\]: failed to allocate IP $web_ip: provided IP is already allocated" \
  bash -c "printf 'apiVersion: v1\nkind: Service\nmetadata: {name: dup}\nspec: {clusterIP: $web_ip, ports: [{port: 80}]}\n' | KUBECONFIG=$KUBECONFIG command kubectl --cache-dir $work/kube-cache create -f -"
expect_error "an IP outside the range is refused" 'Service "far" is invalid: .*not in the valid range. The range of valid IPs is 10\.43\.0\.0/16' kubectl create service clusterip far --tcp=80 --clusterip=10.0.0.1
expect_error "the cluster IP is immutable" 'The Service "web" is invalid: spec.clusterIPs\[0\]: Invalid value: \["10\.43\.200\.200"\]: may not change once set' kubectl patch svc web -p '{"spec":{"clusterIP":"10.43.200.200"}}'
expect_output "node port service" 'service/np created' kubectl create service nodeport np --tcp=80 --node-port=30080
expect_error "a taken node port is refused" 'spec.ports\[0\].nodePort: Invalid value: 30080: provided port is already allocated' kubectl create service nodeport np2 --tcp=80 --node-port=30080
expect_output "scale web to 3" 'scaled' kubectl scale deployment web --replicas=3
for _ in $(seq 60); do [ "$(kubectl get endpoints web -o jsonpath='{.subsets[0].addresses[*].ip}' 2>/dev/null | wc -w)" = 3 ] && break; sleep 0.5; done
expect_output "endpoints follow the scale" '^3$' bash -c "KUBECONFIG=$KUBECONFIG command kubectl --cache-dir $work/kube-cache get endpoints web -o jsonpath='{.subsets[0].addresses[*].ip}' | wc -w"
expect_output "delete the service" 'deleted' kubectl delete svc web np
for _ in $(seq 60); do kubectl get endpoints web >/dev/null 2>&1 || break; sleep 0.5; done
expect_error "its Endpoints are gone" 'NotFound' kubectl get endpoints web
expect_output "its node port is free again" 'service/np2 created' kubectl create service nodeport np2 --tcp=80 --node-port=30080
expect_output "delete the kubernetes Service" 'deleted' kubectl delete svc kubernetes
for _ in $(seq 30); do kubectl get svc kubernetes >/dev/null 2>&1 && break; sleep 0.5; done
expect_output "it comes back with the same IP" '^10\.43\.0\.1$' kubectl get svc kubernetes -o jsonpath='{.spec.clusterIP}'
kubectl delete deployment web >/dev/null
for _ in $(seq 60); do [ -z "$(KUBECONFIG=$KUBECONFIG command kubectl --cache-dir $work/kube-cache get pods -l app=web -o name)" ] && break; sleep 0.5; done
kubectl create deployment keep --image=busybox --replicas=2 >/dev/null
kubectl rollout status deployment/keep --timeout=60s >/dev/null
expect_output "delete --cascade=orphan" 'deleted' kubectl delete deployment keep --cascade=orphan
expect_error "the deployment is gone" 'NotFound' kubectl get deployment keep
expect_output "its ReplicaSet stays, without owner" '^keep-[a-z0-9]+ *$' kubectl get rs -l app=keep -o jsonpath='{.items[0].metadata.name} {.items[0].metadata.ownerReferences}'
expect_output "and its pods keep running" '^2$' bash -c "KUBECONFIG=$KUBECONFIG command kubectl --cache-dir $work/kube-cache get pods -l app=keep --no-headers | grep -c Running"

# DaemonSet, StatefulSet, Job.
cat <<'YAML' | kubectl apply -f - >/dev/null
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: c, image: busybox}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: c, image: busybox}]}
YAML
expect_output "DaemonSet rolls out" 'successfully rolled out' kubectl rollout status ds/agent --timeout=60s
expect_output "one DaemonSet pod per node" '^sim-0 sim-1 sim-2$' bash -c "KUBECONFIG=$KUBECONFIG command kubectl --cache-dir $work/kube-cache get pods -l app=agent -o jsonpath='{range .items[*]}{.spec.nodeName}{\"\\n\"}{end}' | sort | xargs"
expect_output "StatefulSet rolls out" 'roll out complete' kubectl rollout status sts/db --timeout=60s
expect_output "with stable names" '^db-0 db-1$' kubectl get pods -l app=db -o jsonpath='{.items[*].metadata.name}'
expect_output "create job" 'job.batch/once created' kubectl create job once --image=busybox
expect_output "job completes" 'condition met' kubectl wait --for=condition=complete job/once --timeout=60s
expect_output "cronjob accepted" 'cronjob.batch/tick created' kubectl create cronjob tick --image=busybox --schedule='*/5 * * * *'
# The CronJob made first fires: within 90 s of its creation it records a schedule time and owns the Job for it.
for _ in $(seq 180); do [ -n "$(kubectl get cronjob every -o jsonpath='{.status.lastScheduleTime}')" ] && break; sleep 0.5; done
scheduled=$(kubectl get cronjob every -o jsonpath='{.status.lastScheduleTime}')
created=$(kubectl get cronjob every -o jsonpath='{.metadata.creationTimestamp}')
[[ "$scheduled" =~ ^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:00Z$ ]] || fail "CronJob every: no lastScheduleTime on a minute within 90 s (got '$scheduled')"
[ "$(date -ud "$scheduled" +%s)" -gt "$(date -ud "$created" +%s)" ] || fail "CronJob every: lastScheduleTime $scheduled is not after its creation $created"
pass "the every-minute CronJob fired: lastScheduleTime $scheduled"
job="every-$(( $(date -ud "$scheduled" +%s) / 60 ))"
expect_output "its Job $job is controlled by the CronJob" "^CronJob/every/$(kubectl get cronjob every -o jsonpath='{.metadata.uid}')/true$" \
  kubectl get job "$job" -o jsonpath='{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}/{.metadata.ownerReferences[0].uid}/{.metadata.ownerReferences[0].controller}'
expect_output "and carries the scheduled time" "^$scheduled$" kubectl get job "$job" -o jsonpath='{.metadata.annotations.batch\.kubernetes\.io/cronjob-scheduled-timestamp}'

kubectl run stuck --image=busybox --overrides='{"spec":{"nodeSelector":{"disk":"ssd"}}}' >/dev/null
# The scheduler's FailedScheduling event shows it has tried the pod; only then does Pending mean something.
for _ in $(seq 60); do [[ "$(kubectl describe pod stuck)" == *FailedScheduling* ]] && break; sleep 0.5; done
expect_output "impossible nodeSelector: a clear event" "0/3 nodes are available: 3 node\(s\) didn't match Pod's node affinity/selector" kubectl describe pod stuck
expect_output "and the pod stays Pending, unbound" '^Pending $' kubectl get pod stuck -o jsonpath='{.status.phase} {.spec.nodeName}'

# Edge autonomy: a remote agent's two simulated nodes stop heartbeating (the agent is frozen with SIGSTOP); only the
# pod of the node that is not autonomous is evicted.
"$SKIFF_BIN" agent --server "https://127.0.0.1:$port" --token "$(cat "$work/data/server/node-token")" --simulate 2 --data-dir "$work/agent-edge" \
  --node-name edge >"$work/agent.log" 2>&1 &
agent_pid=$!
trap 'status=$?; set +e; kill -9 "$agent_pid" 2>/dev/null; wait "$agent_pid" 2>/dev/null
  if [ $status -ne 0 ]; then echo "--- agent log (last 20 lines) ---"; tail -n 20 "$work/agent.log"; fi
  (exit $status); cleanup' EXIT
for _ in $(seq 120); do [ "$(kubectl get nodes --no-headers 2>/dev/null | grep -cE '^edge-[01] +Ready ')" = 2 ] && break; sleep 0.5; done
expect_output "the agent's nodes edge-0 and edge-1 are Ready" '^2$' bash -c "KUBECONFIG=$KUBECONFIG command kubectl --cache-dir $work/kube-cache get nodes --no-headers | grep -cE '^edge-[01] +Ready '"
kubectl annotate node edge-0 node.skiff.io/autonomy=true >/dev/null
tolerated=2  # seconds both pods tolerate the unreachable taint
on_node() {  # on_node POD NODE SECONDS: a pod bound to NODE that tolerates the unreachable taint SECONDS
  cat <<YAML | KUBECONFIG=$KUBECONFIG command kubectl --cache-dir "$work/kube-cache" apply -f - >/dev/null
apiVersion: v1
kind: Pod
metadata: {name: $1}
spec:
  nodeName: $2
  tolerations: [{key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: $3}]
  containers: [{name: c, image: busybox}]
YAML
}
gone() {  # gone POD: waits (90 s at most, to stop a hang) until POD no longer exists
  for _ in $(seq 180); do kubectl get pod "$1" >/dev/null 2>&1 || return 0; sleep 0.5; done
  fail "pod $1 still exists after 90 s"
}
on_node on-edge-0 edge-0 "$tolerated"
on_node on-edge-1 edge-1 "$tolerated"
kill -STOP "$agent_pid"
gone on-edge-1
expect_output "unreachable node is NotReady" 'edge-1 +NotReady' kubectl get nodes
expect_output "and tainted" 'node.kubernetes.io/unreachable' kubectl get node edge-1 -o jsonpath='{.spec.taints}'
pass "its pod was evicted after the toleration"
expect_output "autonomous node is NotReady too" 'edge-0 +NotReady' kubectl get nodes
# on-edge-0 still being there proves nothing yet: its eviction may only be slower. The node controller decides about
# every node in passes (one each 5 s), each from its caches taken at the pass's start. A probe pod on edge-1 that
# tolerates nothing is evicted by the first pass that sees it; a second probe, made once the first is gone, is
# evicted only by a later pass. So when it is gone, the whole pass that evicted the first probe is over, and that pass
# began after the first probe was made, itself made once edge-0 had been NotReady past on-edge-0's toleration (+1 s:
# the timestamp is in whole seconds). Had edge-0's autonomy not held, that pass would have evicted on-edge-0.
since=$(kubectl get node edge-0 -o jsonpath='{.status.conditions[?(@.type=="Ready")].lastTransitionTime}')
[ -n "$since" ] || fail "edge-0 has no Ready lastTransitionTime"
since=$(date -ud "$since" +%s)
while [ "$(date +%s)" -le $((since + tolerated + 1)) ]; do sleep 0.2; done
on_node probe-1 edge-1 0
gone probe-1
on_node probe-2 edge-1 0
gone probe-2
pass "two later eviction passes on edge-1 have run"
expect_output "but the autonomous node keeps its pod" '^on-edge-0 $' kubectl get pod on-edge-0 -o jsonpath='{.metadata.name} {.metadata.deletionTimestamp}'
expect_output "and is tainted NoSchedule only (no new pods), not NoExecute" '^NoSchedule$' \
  kubectl get node edge-0 -o jsonpath='{.spec.taints[*].effect}'
echo "30-controllers: all passed"
