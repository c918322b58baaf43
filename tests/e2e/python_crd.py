"""Custom objects of the `widgets.skiff.test` CRD (made by 20-python-client.sh) through the official Python client's
CustomObjectsApi: create, get, list, patch, watch (kubernetes.watch.Watch) and delete. Leaves one object, py-keep,
for the script to see removed with its CRD."""
import sys
import threading

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

config.load_kube_config(config_file=sys.argv[1])
custom = client.CustomObjectsApi()
widgets = ("skiff.test", "v1", "default", "widgets")


def check(condition, message):
    if not condition:
        raise SystemExit(f"FAIL: {message}")
    print(f"ok - {message}")


def widget(name, size):
    return {
        "apiVersion": "skiff.test/v1",
        "kind": "Widget",
        "metadata": {"name": name, "labels": {"made-by": "python"}},
        "spec": {"size": size},
    }


start_rv = custom.list_namespaced_custom_object(*widgets)["metadata"]["resourceVersion"]
events = []


def follow():
    stream = watch.Watch()
    for event in stream.stream(
        custom.list_namespaced_custom_object, *widgets, resource_version=start_rv, timeout_seconds=30
    ):
        item = event["object"]
        events.append((event["type"], item["metadata"]["name"], item.get("spec", {}).get("size")))
        if event["type"] == "DELETED":
            stream.stop()


watcher = threading.Thread(target=follow)
watcher.start()

created = custom.create_namespaced_custom_object(*widgets, widget("py-1", 1))
check(created["metadata"]["uid"] and created["spec"] == {"size": 1}, "create_namespaced_custom_object")
read = custom.get_namespaced_custom_object(*widgets, "py-1")
check(read["kind"] == "Widget" and read["spec"]["size"] == 1, "get_namespaced_custom_object reads it back")
custom.patch_namespaced_custom_object(*widgets, "py-1", {"spec": {"size": 2}})
check(custom.get_namespaced_custom_object(*widgets, "py-1")["spec"]["size"] == 2, "patch_namespaced_custom_object")
listed = custom.list_namespaced_custom_object(*widgets, label_selector="made-by=python")
check([item["metadata"]["name"] for item in listed["items"]] == ["py-1"], "list by label finds it")
custom.delete_namespaced_custom_object(*widgets, "py-1")
try:
    custom.get_namespaced_custom_object(*widgets, "py-1")
    raise SystemExit("FAIL: deleted custom object still readable")
except ApiException as error:
    check(error.status == 404, "delete_namespaced_custom_object: it reads as 404")

watcher.join(40)
check(
    events == [("ADDED", "py-1", 1), ("MODIFIED", "py-1", 2), ("DELETED", "py-1", 2)],
    f"watch.Watch on the custom objects saw ADDED, MODIFIED, DELETED: {events}",
)

custom.create_namespaced_custom_object(*widgets, widget("py-keep", 7))
everything = custom.list_cluster_custom_object("skiff.test", "v1", "widgets")
check("py-keep" in [item["metadata"]["name"] for item in everything["items"]], "list_cluster_custom_object")
print("python custom objects: all passed")
