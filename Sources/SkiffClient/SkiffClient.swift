/// `ClusterAPI` and its implementations (in-process and HTTP) plus informers; controllers and agents talk to the
/// cluster only through this module.
public enum SkiffClient {}
