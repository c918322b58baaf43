/// Test kit: in-process clusters, temporary stores.
public enum SkiffTesting {}
