import Foundation
import Logging
import ServiceLifecycle
import SkiffClient
import SkiffModel

/// The kubelet's node half: registers the Node, renews its Lease every `heartbeat`, and posts the node's status when
/// it changes, when the server's copy differs from it (a link blip let the node lifecycle controller mark it
/// Unknown: fixed at the next heartbeat), and at least every `reportInterval` (kubelet's 5 minutes), so an idle
/// node writes little more than its Lease.
public struct NodeStatusReporter: Service {
    public struct Configuration: Sendable {
        public var heartbeat: Duration
        public var reportInterval: Duration
        public var clock: ServiceClock

        public init(
            heartbeat: Duration = .seconds(10), reportInterval: Duration = .seconds(300),
            clock: ServiceClock = .continuous
        ) {
            self.heartbeat = heartbeat
            self.reportInterval = reportInterval
            self.clock = clock
        }
    }

    let api: any ClusterAPI
    let description: NodeDescription
    let health: @Sendable () async -> NodeHealth
    let configuration: Configuration
    let logger: Logger
    let now: @Sendable () -> String

    /// - Parameter health: what the node observes now (the runtime's conditions, pressure).
    public init(
        api: any ClusterAPI, description: NodeDescription, configuration: Configuration = Configuration(),
        logger: Logger, now: @escaping @Sendable () -> String = { KubeTimestamp.string(Date()) },
        health: @escaping @Sendable () async -> NodeHealth
    ) {
        self.api = api
        self.description = description
        self.configuration = configuration
        self.logger = logger
        self.now = now
        self.health = health
    }

    var nodes: ResourceType { api.type("", "v1", "nodes") }
    var leases: ResourceType { api.type("coordination.k8s.io", "v1", "leases") }

    public func run() async throws {
        // A remote server may be down: keep trying until it takes the node, or shutdown comes first.
        guard (try? await cancelWhenGracefulShutdown({ try await registerRetrying() })) != nil else { return }
        logger.info("node registered", metadata: ["node": "\(description.name)", "ip": "\(description.internalIP)"])
        await cancelWhenGracefulShutdown { await heartbeats() }
    }

    /// Registers, retrying until the server takes the node; throws only when cancelled.
    private func registerRetrying() async throws {
        var attempt = 0
        while true {
            do throws(APIError) {
                try await register()
                break
            } catch {
                // Offline (the agent runs from its cache): the link's own log says so; try again soon, quietly.
                if CachedClusterAPI.isOffline(error) {
                    try await configuration.clock.sleep(for: .seconds(1))
                    continue
                }
                attempt += 1
                let delay = Backoff().delay(attempt: attempt)
                logger.warning(
                    "cannot register node, retrying",
                    metadata: ["node": "\(description.name)", "retry.in": "\(delay)", "error": "\(error)"])
                try await configuration.clock.sleep(for: delay)
            }
        }
    }

    /// Every second the node's health is checked (a local CRI `Status` call, no API traffic) and a change is posted at
    /// once; every heartbeat the Lease is renewed and the server's copy compared. The first check compares with the
    /// server's copy: the runtime often turns ready (its CNI config loaded) between registration and this loop, and
    /// that change must not wait for the next heartbeat.
    private func heartbeats() async {
        let clock = configuration.clock
        var lastReport = clock.now
        var lastHeartbeat = clock.now
        var lastHealth: NodeHealth?
        while true {
            do { try await clock.sleep(for: .seconds(1)) } catch { return }
            let current = await health()
            if current != lastHealth {
                let changed = lastHealth != nil
                lastHealth = current
                if await syncStatus(force: changed) { lastReport = clock.now }
            }
            guard clock.now - lastHeartbeat >= configuration.heartbeat else { continue }
            lastHeartbeat = clock.now
            await renewLease()
            if await syncStatus(force: clock.now - lastReport >= configuration.reportInterval) {
                lastReport = clock.now
            }
        }
    }

    /// The labels and annotations the agent brings back at every start.
    var ownedMetadata: JSON {
        var metadata: JSON = ["labels": NodeObject.ownedLabels(description)]
        if !description.annotations.isEmpty { metadata["annotations"] = NodeObject.ownedAnnotations(description) }
        return metadata
    }

    /// Creates the Node (or brings the labels the kubelet owns back onto an existing one) and its Lease.
    func register() async throws(APIError) {
        let node = NodeObject.node(description, health: await health(), now: now())
        do {
            _ = try await api.create(nodes, namespace: nil, object: node, fieldManager: "kubelet")
        } catch {
            guard error.reason == "AlreadyExists" else { throw error }
            _ = try await api.patch(
                nodes, namespace: nil, name: description.name,
                patch: ["metadata": ownedMetadata], patchType: .merge,
                subresource: nil,
                fieldManager: "kubelet")
        }
        _ = await syncStatus(force: true)
        try await createLease()
    }

    private func createLease() async throws(APIError) {
        let lease: JSON = [
            "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": ["name": .string(description.name), "namespace": "kube-node-lease"],
            "spec": [
                "holderIdentity": .string(description.name), "leaseDurationSeconds": 40,
                "renewTime": .string(KubeTimestamp.microString(Date())),
            ],
        ]
        do {
            _ = try await api.create(leases, namespace: "kube-node-lease", object: lease, fieldManager: "kubelet")
        } catch {
            guard error.reason == "AlreadyExists" else { throw error }
            await renewLease()
        }
    }

    /// A missed renewal is retried by the next heartbeat; a Lease deleted meanwhile is created again.
    func renewLease() async {
        do {
            _ = try await api.patch(
                leases, namespace: "kube-node-lease", name: description.name,
                patch: [
                    "spec": [
                        "renewTime": .string(KubeTimestamp.microString(Date())),
                        "holderIdentity": .string(description.name),
                    ]
                ],
                patchType: .merge, subresource: nil, fieldManager: "kubelet")
        } catch  where error.code == 404 {
            do { try await createLease() } catch {
                logger.warning("lease creation failed", metadata: ["error": "\(error)"])
            }
        } catch {
            logger.log(
                level: CachedClusterAPI.isOffline(error) ? .debug : .warning, "lease renewal failed",
                metadata: ["node": "\(description.name)", "error": "\(error)"])
        }
    }

    /// Posts the status when it differs from the server's copy (or `force`); true when it was posted.
    func syncStatus(force: Bool) async -> Bool {
        let health = await health()
        do {
            let server = try await api.get(nodes, namespace: nil, name: description.name)
            let computed = NodeObject.status(description, health: health, now: now(), previous: server["status"])
            guard force || NodeObject.differs(server: server["status"], computed: computed) else { return false }
            _ = try await api.patch(
                nodes, namespace: nil, name: description.name, patch: ["status": computed], patchType: .strategic,
                subresource: "status", fieldManager: "kubelet")
            return true
        } catch  where error.code == 404 {
            // Someone deleted the node: register it again, as kubelet does.
            logger.warning("node object is gone, registering again", metadata: ["node": "\(description.name)"])
            do { try await register() } catch {
                logger.warning("node registration failed", metadata: ["error": "\(error)"])
            }
            return true
        } catch {
            logger.log(
                level: CachedClusterAPI.isOffline(error) ? .debug : .warning, "node status update failed",
                metadata: ["node": "\(description.name)", "error": "\(error)"])
            return false
        }
    }
}
