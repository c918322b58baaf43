import Foundation
import Logging
import SkiffCRI
import SkiffModel

/// The agent's kubelet API, transport-free (`KubeletEndpoint`): today `/containerLogs/<ns>/<pod>/<container>`.
/// Logs are read from kubelet's layout, `<podLogDirectory>/<ns>_<pod>_<uid>/<container>/<restartCount>.log`.
public struct KubeletServer: KubeletEndpoint {
    let podLogDirectory: String
    let runtime: any ContainerRuntime
    let clock: ServiceClock
    let logger: Logger

    public init(
        podLogDirectory: String, runtime: any ContainerRuntime, clock: ServiceClock = .continuous, logger: Logger
    ) {
        self.podLogDirectory = podLogDirectory
        self.runtime = runtime
        self.clock = clock
        self.logger = logger
    }

    public func serve(_ request: KubeletRequest) async -> KubeletResponse {
        let parts = request.path.split(separator: "/").map(String.init)
        guard request.method == "GET", parts.count == 4, parts[0] == "containerLogs" else {
            return .text(404, "404 page not found")
        }
        return await containerLogs(namespace: parts[1], pod: parts[2], container: parts[3], request)
    }

    func containerLogs(namespace: String, pod: String, container: String, _ request: KubeletRequest) async
        -> KubeletResponse
    {
        let query: LogQuery
        do { query = try LogQuery(request, now: Date()) } catch { return .text(400, error.description) }
        guard let podDirectory = podDirectory(namespace: namespace, pod: pod, uid: request.value("podUID")) else {
            return .text(404, "pod \(namespace)/\(pod) has no logs on this node")
        }
        let files = Self.logFiles(in: "\(podDirectory)/\(container)")
        let chosen = query.previous ? files.dropLast().last : files.last
        guard let file = chosen else {
            return query.previous
                ? .text(400, "previous terminated container \"\(container)\" in pod \"\(pod)\" not found")
                : .text(404, "container \"\(container)\" in pod \"\(pod)\" has no log yet")
        }
        let uid = Self.uid(ofPodDirectory: podDirectory)
        let attempt = file.restartCount
        let runtime = runtime
        do {
            let stream = try ContainerLogStream(
                path: file.path,
                query: LogQuery(
                    follow: query.follow && !query.previous, previous: query.previous, timestamps: query.timestamps,
                    tailLines: query.tailLines, since: query.since, limitBytes: query.limitBytes),
                clock: clock,
                isRunning: { await Self.isRunning(runtime, podUID: uid, container: container, attempt: attempt) })
            return KubeletResponse(status: 200, body: stream.body)
        } catch {
            return .text(500, "\(error)")
        }
    }

    /// `<root>/<ns>_<pod>_<uid>`: the given uid's, or the newest one of that pod.
    func podDirectory(namespace: String, pod: String, uid: String?) -> String? {
        if let uid, !uid.isEmpty {
            let path = "\(podLogDirectory)/\(namespace)_\(pod)_\(uid)"
            return FileManager.default.fileExists(atPath: path) ? path : nil
        }
        let prefix = "\(namespace)_\(pod)_"
        let candidates = ((try? FileManager.default.contentsOfDirectory(atPath: podLogDirectory)) ?? [])
            .filter { $0.hasPrefix(prefix) && !$0.dropFirst(prefix.count).contains("_") }
            .map { "\(podLogDirectory)/\($0)" }
        return candidates.max { Self.modified($0) < Self.modified($1) }
    }

    static func uid(ofPodDirectory path: String) -> String {
        String(path.split(separator: "/").last?.split(separator: "_").last ?? "")
    }

    static func modified(_ path: String) -> Date {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date) ?? .distantPast
    }

    /// `<n>.log` files of a container directory, by restart count.
    static func logFiles(in directory: String) -> [(restartCount: Int, path: String)] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .compactMap { name -> (Int, String)? in
                guard name.hasSuffix(".log"), let count = Int(name.dropLast(4)) else { return nil }
                return (count, "\(directory)/\(name)")
            }
            .sorted { $0.0 < $1.0 }
            .map { (restartCount: $0.0, path: $0.1) }
    }

    /// Whether the container writing `<attempt>.log` still runs.
    static func isRunning(_ runtime: any ContainerRuntime, podUID: String, container: String, attempt: Int) async
        -> Bool
    {
        guard let containers = try? await runtime.listContainers(sandboxID: nil) else { return true }
        return containers.contains { summary in
            summary.labels[CRILabels.podUID] == podUID && summary.labels[CRILabels.containerName] == container
                && Int(summary.metadata.attempt) == attempt && summary.state == .running
        }
    }
}

/// The labels kubelet puts on sandboxes and containers, by which it finds them again.
public enum CRILabels {
    public static let podName = "io.kubernetes.pod.name"
    public static let podNamespace = "io.kubernetes.pod.namespace"
    public static let podUID = "io.kubernetes.pod.uid"
    public static let containerName = "io.kubernetes.container.name"
}
