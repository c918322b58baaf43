/// Generated CRI v1 protobuf and gRPC client code (committed, never regenerated in CI).
public enum SkiffCRI {}
