/// Websocket reverse tunnel between agents and the server: frame codec, stream multiplexer and transport adapters.
/// The agent dials out, the server opens streams to kubelet endpoints through it (docs/architecture.md).
public enum SkiffTunnel {}
