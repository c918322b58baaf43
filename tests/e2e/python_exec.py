"""exec through the official Python client (`kubernetes.stream`, WebSocket v4.channel.k8s.io) into POD: prints the
command's output, then `exit N` with the exit code the client read from the error channel's Status."""
import sys

from kubernetes import client, config
from kubernetes.stream import stream

config.load_kube_config()
api = client.CoreV1Api()
pod = sys.argv[1]
output = stream(api.connect_get_namespaced_pod_exec, pod, "default",
                command=["sh", "-c", "echo py-out"], stderr=True, stdin=False, stdout=True, tty=False)
print(output.strip())
session = stream(api.connect_get_namespaced_pod_exec, pod, "default",
                 command=["sh", "-c", "exit 5"], stderr=True, stdin=False, stdout=True, tty=False,
                 _preload_content=False)
session.run_forever(timeout=20)
print(f"exit {session.returncode}")
