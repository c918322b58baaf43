"""port-forward through the official Python client (`kubernetes.stream.portforward`, WebSocket v4.channel.k8s.io):
sends an HTTP/1.0 GET to PORT of POD and prints what came back."""
import sys

from kubernetes import client, config
from kubernetes.stream import portforward

config.load_kube_config()
api = client.CoreV1Api()
pod, port = sys.argv[1], int(sys.argv[2])
forward = portforward(api.connect_get_namespaced_pod_portforward, pod, "default", ports=str(port))
sock = forward.socket(port)
sock.setblocking(True)
sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
received = b""
while True:
    chunk = sock.recv(4096)
    if not chunk:
        break
    received += chunk
sock.close()
print(received.decode(errors="replace"))
error = forward.error(port)
if error:
    print(f"error: {error}")
