import SkiffModel

/// A host port a pod's container binds (`ports[].hostPort`), with upstream's defaults filled in.
public struct HostPort: Sendable, Hashable, CustomStringConvertible {
    /// The host IP; `0.0.0.0` (every address) when the pod leaves it empty.
    public var hostIP: String
    /// `TCP`, `UDP` or `SCTP`; `TCP` when empty.
    public var `protocol`: String
    /// The port number (> 0).
    public var port: Int32

    /// The address that binds every interface.
    public static let anyAddress = "0.0.0.0"

    /// A host port; empty IP and protocol take their defaults.
    public init(hostIP: String = "", protocol: String = "", port: Int32) {
        self.hostIP = hostIP.isEmpty ? Self.anyAddress : hostIP
        self.protocol = `protocol`.isEmpty ? "TCP" : `protocol`
        self.port = port
    }

    /// Whether binding both would clash: same protocol and port on the same IP, or either on every address.
    public func conflicts(with other: HostPort) -> Bool {
        port == other.port && self.protocol == other.protocol
            && (hostIP == other.hostIP || hostIP == Self.anyAddress || other.hostIP == Self.anyAddress)
    }

    /// `hostIP:port/protocol`.
    public var description: String { "\(hostIP):\(port)/\(self.protocol)" }
}

/// The owner reference marked `controller: true`, which the scheduler spreads replicas by.
public struct ControllerReference: Sendable, Hashable {
    /// The owner's uid.
    public var uid: String
    /// The owner's kind (`ReplicaSet`, `StatefulSet`, …).
    public var kind: String
    /// The owner's name.
    public var name: String

    /// A controller reference.
    public init(uid: String, kind: String, name: String) {
        self.uid = uid
        self.kind = kind
        self.name = name
    }
}
