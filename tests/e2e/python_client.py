"""Drives skiff with the official Python kubernetes client: list, create, patch (strategic and JSON),
watch from a resourceVersion, delete a collection. Every step asserts what a user would see."""
import json
import sys
import threading

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

config.load_kube_config(config_file=sys.argv[1])
core = client.CoreV1Api()
apps = client.AppsV1Api()


def check(condition, message):
    if not condition:
        raise SystemExit(f"FAIL: {message}")
    print(f"ok - {message}")


names = [ns.metadata.name for ns in core.list_namespace().items]
check({"default", "kube-system", "kube-public", "kube-node-lease"} <= set(names), f"list namespaces: {names}")

core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="py")))
check(core.read_namespace("py").status.phase == "Active", "namespace created and Active")

for index in range(3):
    core.create_namespaced_config_map(
        "py",
        client.V1ConfigMap(
            metadata=client.V1ObjectMeta(name=f"cm-{index}", labels={"app": "py", "index": str(index)}),
            data={"value": str(index)},
        ),
    )
listed = core.list_namespaced_config_map("py", label_selector="app=py")
check(len(listed.items) == 3, "created three configmaps and listed them by label")
start_rv = listed.metadata.resource_version

page = core.list_namespaced_config_map("py", label_selector="app=py", limit=2)
check(len(page.items) == 2 and page.metadata._continue, "first page of two with a continue token")
rest = core.list_namespaced_config_map("py", label_selector="app=py", limit=2, _continue=page.metadata._continue)
check(len(rest.items) == 1 and not rest.metadata._continue, "second page holds the rest")

deployment = client.V1Deployment(
    metadata=client.V1ObjectMeta(name="web"),
    spec=client.V1DeploymentSpec(
        replicas=1,
        selector=client.V1LabelSelector(match_labels={"app": "web"}),
        template=client.V1PodTemplateSpec(
            metadata=client.V1ObjectMeta(labels={"app": "web"}),
            spec=client.V1PodSpec(containers=[client.V1Container(name="web", image="busybox:1.36")]),
        ),
    ),
)
apps.create_namespaced_deployment("py", deployment)
apps.patch_namespaced_deployment(
    "web", "py", {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "busybox:1.37"}]}}}}
)
patched = apps.read_namespaced_deployment("web", "py")
check(patched.spec.template.spec.containers[0].image == "busybox:1.37", "strategic merge patch updated the image")
check(len(patched.spec.template.spec.containers) == 1, "strategic merge patch merged containers by name")

core.patch_namespaced_config_map(
    "cm-0", "py", [{"op": "replace", "path": "/data/value", "value": "patched"}]
)
check(core.read_namespaced_config_map("cm-0", "py").data["value"] == "patched", "JSON patch applied")

events = []


def follow():
    stream = watch.Watch()
    for event in stream.stream(
        core.list_namespaced_config_map, "py", resource_version=start_rv, timeout_seconds=10
    ):
        events.append((event["type"], event["object"].metadata.name))
        if events[-1] == ("MODIFIED", "cm-0"):
            stream.stop()


watcher = threading.Thread(target=follow)
watcher.start()
watcher.join(15)
check(("MODIFIED", "cm-0") in events, f"watch from resourceVersion {start_rv} replayed the patch: {events}")

before = sorted(item.metadata.name for item in core.list_namespaced_config_map("py", label_selector="app=py").items)
# As upstream, the answer is the list of deleted objects (the client's V1Status model would drop its items: read raw).
answer = json.loads(
    core.delete_collection_namespaced_config_map("py", label_selector="app=py", _preload_content=False).data
)
check(answer["kind"] == "ConfigMapList", f"delete collection answered a ConfigMapList: {answer.get('kind')}")
deleted = sorted(item["metadata"]["name"] for item in answer["items"])
check(before and deleted == before, f"delete collection answered the deleted objects: {deleted} (listed {before})")
remaining = core.list_namespaced_config_map("py", label_selector="app=py").items
check(remaining == [], "collection deleted")

try:
    core.read_namespaced_config_map("cm-1", "py")
    raise SystemExit("FAIL: deleted configmap still readable")
except ApiException as error:
    check(error.status == 404, "deleted configmap reads as 404")

apps.delete_namespaced_deployment("web", "py")
print("python client: all passed")
