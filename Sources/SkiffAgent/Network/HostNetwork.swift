import Foundation
import Logging
import Subprocess

/// The host changes the pod network needs, behind a protocol so the planner can be tested without root.
public protocol HostNetwork: Sendable {
    /// Routes a peer's pod CIDR via its node IP (`ip route replace`).
    func replaceRoute(_ route: PodNetworkPlan.Route) async throws(HostNetworkError)
    func deleteRoute(_ route: PodNetworkPlan.Route) async throws(HostNetworkError)
    /// Masquerades traffic from the cluster CIDR that leaves it, lets pod traffic through FORWARD, and turns IPv4
    /// forwarding on (off by default in a fresh network namespace; k3s turns it on too).
    func ensureMasquerade(clusterCIDR: String) async throws(HostNetworkError)
    /// Puts `address` (/32) on the loopback interface, where the node's own services answer on it (the cluster DNS).
    func ensureLocalAddress(_ address: String) async throws(HostNetworkError)
}

public struct HostNetworkError: Error, Sendable, CustomStringConvertible {
    public var command: [String]
    public var message: String

    public var description: String { "\(command.joined(separator: " ")): \(message)" }
}

/// `HostNetwork` with iproute2 and iptables, as child processes (nothing else on a Debian box speaks netlink and
/// nftables for us; both are one-shot calls at CIDR changes, not on any hot path).
public struct IPCommandHostNetwork: HostNetwork {
    let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    public func replaceRoute(_ route: PodNetworkPlan.Route) async throws(HostNetworkError) {
        try await run(["ip", "route", "replace", route.destination, "via", route.gateway])
    }

    public func deleteRoute(_ route: PodNetworkPlan.Route) async throws(HostNetworkError) {
        try await run(["ip", "route", "del", route.destination, "via", route.gateway])
    }

    public func ensureMasquerade(clusterCIDR: String) async throws(HostNetworkError) {
        let forwarding = "/proc/sys/net/ipv4/ip_forward"
        if (try? String(contentsOfFile: forwarding, encoding: .utf8))?.hasPrefix("1") != true {
            do { try "1\n".write(toFile: forwarding, atomically: false, encoding: .utf8) } catch {
                throw HostNetworkError(command: ["write", forwarding], message: "\(error)")
            }
            logger.info("IPv4 forwarding turned on", metadata: ["sysctl": "net.ipv4.ip_forward"])
        }
        for (table, chain, hook) in [
            ("nat", "SKIFF-POSTROUTING", "POSTROUTING"), ("filter", "SKIFF-FORWARD", "FORWARD"),
        ] {
            _ = try? await run(["iptables", "-w", "-t", table, "-N", chain], quiet: true)  // exists after a restart
            try await run(["iptables", "-w", "-t", table, "-F", chain])
            do {
                try await run(["iptables", "-w", "-t", table, "-C", hook, "-j", chain], quiet: true)
            } catch {
                try await run(["iptables", "-w", "-t", table, "-I", hook, "-j", chain])
            }
        }
        try await run([
            "iptables", "-w", "-t", "nat", "-A", "SKIFF-POSTROUTING", "-s", clusterCIDR, "-d", clusterCIDR, "-j",
            "RETURN",
        ])
        try await run([
            "iptables", "-w", "-t", "nat", "-A", "SKIFF-POSTROUTING", "-s", clusterCIDR, "!", "-d", "224.0.0.0/4",
            "-j", "MASQUERADE",
        ])
        try await run(["iptables", "-w", "-t", "filter", "-A", "SKIFF-FORWARD", "-s", clusterCIDR, "-j", "ACCEPT"])
        try await run(["iptables", "-w", "-t", "filter", "-A", "SKIFF-FORWARD", "-d", clusterCIDR, "-j", "ACCEPT"])
    }

    public func ensureLocalAddress(_ address: String) async throws(HostNetworkError) {
        try await run(["ip", "address", "replace", "\(address)/32", "dev", "lo"])
    }

    private func run(_ command: [String], quiet: Bool = false) async throws(HostNetworkError) {
        do {
            try await HostCommand.run(command)
        } catch {
            if !quiet {
                logger.debug(
                    "host network command failed", metadata: ["command": "\(command)", "error": "\(error.message)"])
            }
            throw error
        }
    }
}

/// A host command (iproute2, iptables, nft) as a child process, its standard input given or empty; a failure
/// carries the command and its standard error (or its exit status when it said nothing).
enum HostCommand {
    static func run(_ command: [String], input: String? = nil) async throws(HostNetworkError) {
        let arguments = Arguments(Array(command.dropFirst()))
        let status: TerminationStatus
        let standardError: String
        do {
            if let input {
                let result = try await Subprocess.run(
                    .name(command[0]), arguments: arguments, input: .string(input), output: .discarded,
                    error: .string(limit: 256 * 1024))
                (status, standardError) = (result.terminationStatus, result.standardError)
            } else {
                let result = try await Subprocess.run(
                    .name(command[0]), arguments: arguments, output: .discarded, error: .string(limit: 256 * 1024))
                (status, standardError) = (result.terminationStatus, result.standardError)
            }
        } catch {
            throw HostNetworkError(command: command, message: "\(error)")
        }
        guard status.isSuccess else {
            let message = standardError.trimmingCharacters(in: .whitespacesAndNewlines)
            throw HostNetworkError(
                command: command, message: message.isEmpty ? "\(status)" : String(message.prefix(2000)))
        }
    }
}
