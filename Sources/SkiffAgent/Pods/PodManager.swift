import Foundation
import Logging
import ServiceLifecycle
import SkiffCRI
import SkiffClient
import SkiffControllers
import SkiffModel

/// The kubelet's pod side: watches the pods bound to this node and drives each through the container runtime
/// (sandbox, images, volumes, containers, restarts with back-off, probes, graceful termination), reporting
/// `pods/status` as kubelet does. One key per pod (`namespace/name`), reconciled one at a time by the controller
/// runtime; a relist of the runtime every second notices containers that exited (kubelet's PLEG).
public struct PodManager: Service {
    public struct Configuration: Sendable {
        public var nodeName: String
        /// `status.hostIP(s)`, and the pod IP of hostNetwork pods.
        public var nodeIP: String
        /// Root of the container logs: `<root>/<ns>_<name>_<uid>/<container>/<restartCount>.log`.
        public var podLogDirectory: String
        /// `<data-dir>/agent/pods`: volumes live in `<podsDirectory>/<uid>/volumes/<plugin>/<name>`.
        public var podsDirectory: String
        /// Nameservers for dnsPolicy ClusterFirst; empty: the host's (non-loopback) nameservers.
        public var clusterDNS: [String]
        public var clusterDomain: String
        public var clock: ServiceClock
        /// Wall time for timestamps and back-offs (tests derive it from their manual clock).
        public var now: @Sendable () -> Date
        /// The host's resolv.conf, read for dnsPolicy Default and as the ClusterFirst fallback.
        public var resolvConf: String
        /// Requests a service-account token (POST `serviceaccounts/<name>/token`): (namespace, service account,
        /// TokenRequest) → the TokenRequest answered. `ClusterAPI.post` returns no body, so the caller wires this;
        /// nil: projected token volumes fail to mount.
        public var requestToken: (@Sendable (String, String, JSON) async throws -> JSON)?
        /// Probes over the network (httpGet, tcpSocket).
        public var prober: any Prober
        /// How often the runtime is relisted for container changes.
        public var relistPeriod: Duration
        /// How often every pod is synced again (data volumes refreshed, statuses re-checked).
        public var resyncPeriod: Duration
        /// Pod syncs at once.
        public var workers: Int
        /// Container log rotation: size in bytes and files kept (kubelet's containerLogMaxSize/MaxFiles).
        public var containerLogMaxSize: Int
        public var containerLogMaxFiles: Int

        public init(
            nodeName: String, nodeIP: String, podLogDirectory: String = "/var/log/pods", podsDirectory: String,
            clusterDNS: [String] = [], clusterDomain: String = "cluster.local", clock: ServiceClock = .continuous,
            now: @escaping @Sendable () -> Date = { Date() }, resolvConf: String = "/etc/resolv.conf",
            requestToken: (@Sendable (String, String, JSON) async throws -> JSON)? = nil,
            prober: any Prober = NetworkProber(), relistPeriod: Duration = .seconds(1),
            resyncPeriod: Duration = .seconds(60), workers: Int = 4, containerLogMaxSize: Int = 10 * 1024 * 1024,
            containerLogMaxFiles: Int = 5
        ) {
            self.nodeName = nodeName
            self.nodeIP = nodeIP
            self.podLogDirectory = podLogDirectory
            self.podsDirectory = podsDirectory
            self.clusterDNS = clusterDNS
            self.clusterDomain = clusterDomain
            self.clock = clock
            self.now = now
            self.resolvConf = resolvConf
            self.requestToken = requestToken
            self.prober = prober
            self.relistPeriod = relistPeriod
            self.resyncPeriod = resyncPeriod
            self.workers = workers
            self.containerLogMaxSize = containerLogMaxSize
            self.containerLogMaxFiles = containerLogMaxFiles
        }
    }

    let api: any ClusterAPI
    let runtime: any ContainerRuntime
    let configuration: Configuration
    let logger: Logger

    public init(api: any ClusterAPI, runtime: any ContainerRuntime, configuration: Configuration, logger: Logger) {
        self.api = api
        self.runtime = runtime
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        let pods = Informer(
            api: api, type: api.type("", "v1", "pods"),
            options: ListOptions(fieldSelector: "spec.nodeName=\(configuration.nodeName)"), clock: configuration.clock,
            logger: logger)
        let recorder = EventRecorder(api: api, component: "kubelet", host: configuration.nodeName, logger: logger)
        let worker = PodWorker(
            api: api, runtime: runtime, configuration: configuration, pods: pods, recorder: recorder, logger: logger)
        let controller = Controller(
            Controller.Configuration(
                name: "pods", workers: configuration.workers,
                retry: RetryPolicy(initial: .seconds(1), maximum: .seconds(30)), resync: configuration.resyncPeriod,
                clock: configuration.clock, cancelInFlightAtShutdown: true),
            watches: [
                Controller.Watch(pods) { event, queue in queue.add(Informer.key(event.object)) }
            ],
            companions: [{ await recorder.run() }],
            resyncKeys: { pods.objects.map(Informer.key) },
            logger: logger,
            reconcile: { key, queue in try await worker.sync(key, queue: queue) })
        let relist = RuntimeRelist(runtime: runtime, logger: logger)
        let probes = ProbeManager(worker: worker, prober: configuration.prober, queue: controller.queue)
        let logs = LogRotation(
            runtime: runtime, statusCache: worker.statusCache, maxSize: configuration.containerLogMaxSize,
            maxFiles: configuration.containerLogMaxFiles,
            now: configuration.now, logger: logger)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await controller.run() }
            group.addTask {
                await cancelWhenGracefulShutdown {
                    await pods.waitUntilSynced()
                    await configuration.clock.repeating(every: configuration.relistPeriod) {
                        for key in await relist.changedKeys() { controller.queue.add(key) }
                    }
                }
            }
            group.addTask {
                await cancelWhenGracefulShutdown {
                    await configuration.clock.repeating(every: .seconds(10)) { await logs.rotateAll() }
                }
            }
            group.addTask {
                await cancelWhenGracefulShutdown { await probes.run(pods: pods, clock: configuration.clock) }
            }
        }
    }
}

extension PodManager {
    /// Runs `body` until it returns or graceful shutdown begins.
    fileprivate func cancelWhenGracefulShutdown(_ body: @escaping @Sendable () async -> Void) async {
        _ = await ServiceLifecycle.cancelWhenGracefulShutdown { await body() }
    }
}
