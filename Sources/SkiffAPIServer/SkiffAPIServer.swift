/// The Kubernetes API served over HTTPS from a `KeyValueStore`.
public enum SkiffAPIServer {}
