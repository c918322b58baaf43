import Foundation
import SkiffModel

/// Which API servers the `kubernetes` Endpoints list, when several servers share one datastore (upstream's lease
/// endpoint reconciler). Every server keeps a Lease of its own in `kube-system` (`skiff-apiserver-<ip>-<port>`,
/// labelled `skiff.io/apiserver-endpoint`, holder `ip:port`) renewed well within its duration; the members are the
/// servers whose lease has not expired, and every server writes the same Endpoints from them. A server that dies
/// drops out `leaseDuration` after its last renewal; one that stops cleanly deletes its lease and drops out at once.
///
/// Expiry compares the lease's `renewTime` with the local clock, as upstream's apiserver-identity leases do: the
/// servers' clocks must agree to within a fraction of the lease duration (they do with NTP).
public enum APIServerMembership {
    public static let namespace = "kube-system"
    public static let label = "skiff.io/apiserver-endpoint"

    /// One API server: the address and port clients reach it on.
    public struct Member: Sendable, Hashable, Comparable {
        public var address: String
        public var port: Int

        public init(address: String, port: Int) {
            self.address = address
            self.port = port
        }

        /// `ip:port`, IPv6 in brackets: the lease's holder.
        public var identity: String { address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)" }

        init?(identity: String) {
            guard let colon = identity.lastIndex(of: ":"), let port = Int(identity[identity.index(after: colon)...])
            else { return nil }
            var address = identity[..<colon]
            if address.hasPrefix("["), address.hasSuffix("]") { address = address.dropFirst().dropLast() }
            guard !address.isEmpty, (1...65535).contains(port) else { return nil }
            self.init(address: String(address), port: port)
        }

        public static func < (lhs: Member, rhs: Member) -> Bool {
            (lhs.port, lhs.address) < (rhs.port, rhs.address)
        }
    }

    /// The member's lease name: `skiff-apiserver-` and the address and port, every other character a dash.
    public static func leaseName(_ member: Member) -> String {
        let text = "\(member.address)-\(member.port)".lowercased()
        return "skiff-apiserver-" + String(text.map { $0.isLetter || $0.isNumber ? $0 : "-" })
    }

    /// The member's lease, renewed at `now`; `current` is the stored one (its metadata is kept).
    public static func lease(_ member: Member, current: JSON?, now: Date, duration: Duration) -> JSON {
        var lease = current ?? ["metadata": ["name": .string(leaseName(member)), "namespace": .string(namespace)]]
        lease["metadata"]["labels"][label] = "true"
        lease["spec"]["holderIdentity"] = .string(member.identity)
        lease["spec"]["leaseDurationSeconds"] = .int(Int(duration.components.seconds))
        lease["spec"]["renewTime"] = .string(KubeTimestamp.microString(now))
        if lease["spec"]["acquireTime"].isNull { lease["spec"]["acquireTime"] = lease["spec"]["renewTime"] }
        return lease
    }

    /// Whether the member's lease should be written now: missing, another holder, or a third of its duration old.
    public static func needsRenewal(_ current: JSON?, member: Member, now: Date, duration: Duration) -> Bool {
        guard let current, current["spec"]["holderIdentity"].stringValue == member.identity,
            current["metadata"]["labels"][label].stringValue == "true",
            let renewed = current["spec"]["renewTime"].stringValue.flatMap(KubeTimestamp.date)
        else { return true }
        return now.timeIntervalSince(renewed) >= Double(duration.components.seconds) / 3
    }

    /// The live members among `leases` (any order), with `own` always in: sorted by port, then address.
    public static func members(leases: [JSON], own: Member, now: Date) -> [Member] {
        var members: Set<Member> = [own]
        for lease in leases where lease["metadata"]["labels"][label].stringValue == "true" {
            guard let identity = lease["spec"]["holderIdentity"].stringValue, let member = Member(identity: identity),
                let renewed = lease["spec"]["renewTime"].stringValue.flatMap(KubeTimestamp.date),
                let seconds = lease["spec"]["leaseDurationSeconds"].intValue
            else { continue }
            if now.timeIntervalSince(renewed) < Double(seconds) { members.insert(member) }
        }
        return members.sorted()
    }

    /// The Endpoints' subsets: one per port (servers normally share one), addresses sorted.
    public static func subsets(_ members: [Member]) -> JSON {
        let ports = Set(members.map(\.port)).sorted()
        return .array(
            ports.map { port in
                [
                    "addresses": .array(
                        members.filter { $0.port == port }.map(\.address).sorted().map { ["ip": .string($0)] }),
                    "ports": [["name": "https", "port": .int(port), "protocol": "TCP"]],
                ]
            })
    }

    /// The EndpointSlice holds one port: the one most servers listen on (the lowest on a tie), with their addresses.
    public static func slice(_ members: [Member]) -> (addresses: [String], port: Int)? {
        let byPort = Dictionary(grouping: members, by: \.port)
        guard let port = byPort.keys.max(by: { (byPort[$0]!.count, -$0) < (byPort[$1]!.count, -$1) }) else {
            return nil
        }
        return (byPort[port]!.map(\.address).sorted(), port)
    }
}
