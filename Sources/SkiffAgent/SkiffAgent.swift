/// The kubelet side of skiff: containerd supervisor, pod workers, node status, streaming and local cache.
public enum SkiffAgent {}
