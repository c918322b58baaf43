import Hummingbird
import NIOCore
import SkiffModel
import SkiffStore
import SkiffTunnel

/// `GET pods/<name>/log`: upstream's checks (which container, scheduled yet, started yet), then the pod's kubelet
/// answers `/containerLogs` and its body streams to the client for as long as the client reads (`follow`).
extension ResourceHandler {
    static let logOptions = [
        "follow", "tailLines", "sinceSeconds", "sinceTime", "timestamps", "previous", "limitBytes",
    ]

    func podLog(_ name: String) async throws -> Response {
        let pod = try StoredBytes.decode(try await registry.get(type, namespace: namespace, name: name))
        let container = try Self.logContainer(pod, requested: query["container"])
        let node = try Self.podNode(pod)
        if !(try query.bool("previous")), let waiting = Self.waitingReason(pod, container: container) {
            throw APIError.badRequest("container \"\(container)\" in pod \"\(name)\" is waiting to start: \(waiting)")
        }
        let endpoint = try kubelet(of: node, pod: name)
        var forwarded: [(name: String, value: String)] = [("podUID", pod.uid ?? "")]
        for option in Self.logOptions {
            if let value = query[option] { forwarded.append((option, value)) }
        }
        let answer = await endpoint.serve(
            KubeletRequest(path: "/containerLogs/\(namespace ?? "")/\(name)/\(container)", query: forwarded))
        guard answer.status == 200 else {
            var message: [UInt8] = []
            for try await chunk in answer.body { message += chunk }
            throw APIError(
                code: answer.status,
                reason: answer.status == 404 ? "NotFound" : answer.status == 400 ? "BadRequest" : "InternalError",
                message: String(decoding: message, as: UTF8.self))
        }
        let connection = connection ?? APIConnection()
        return Response(
            status: .ok, headers: [.contentType: "text/plain"],
            body: ResponseBody { writer in
                // The kubelet's body is pumped by a child task, so a client that goes away (the connection closes)
                // ends the response even while no log line arrives.
                let (relay, feed) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
                try await connection.whileOpen(onClose: { feed.finish() }) {
                    try await withThrowingDiscardingTaskGroup { group in
                        group.addTask {
                            do {
                                for try await chunk in answer.body { feed.yield(chunk) }
                                feed.finish()
                            } catch {
                                feed.finish(throwing: error)
                            }
                        }
                        for try await chunk in relay { try await writer.write(ByteBuffer(bytes: chunk)) }
                        group.cancelAll()
                    }
                }
                try await writer.finish(nil)
            })
    }

    /// The node the pod is bound to; 400 while it is not scheduled, as upstream says it.
    static func podNode(_ pod: JSON) throws(APIError) -> String {
        guard let node = pod["spec"]["nodeName"].stringValue, !node.isEmpty else {
            throw APIError.badRequest("pod \(pod.name ?? "") does not have a host assigned")
        }
        return node
    }

    /// `node`'s kubelet, reached through its tunnel; 503 naming the node while it has none.
    func kubelet(of node: String, pod: String) throws(APIError) -> TunnelKubeletEndpoint {
        guard let endpoint = kubelets?.endpoint(for: node) else {
            throw APIError(
                code: 503, reason: "ServiceUnavailable",
                message: "no connection to the kubelet of node \"\(node)\" (pod \(namespace ?? "")/\(pod))")
        }
        return endpoint
    }

    /// The container whose log is asked for: the one named, the pod's only one, or the default-container annotation.
    static func logContainer(_ pod: JSON, requested: String?) throws(APIError) -> String {
        let name = pod.name ?? ""
        let containers = (pod["spec"]["containers"].arrayValue ?? []).compactMap { $0["name"].stringValue }
        let all =
            (pod["spec"]["initContainers"].arrayValue ?? []).compactMap { $0["name"].stringValue } + containers
            + (pod["spec"]["ephemeralContainers"].arrayValue ?? []).compactMap { $0["name"].stringValue }
        if let requested, !requested.isEmpty {
            guard all.contains(requested) else {
                throw APIError.badRequest("container \(requested) is not valid for pod \(name)")
            }
            return requested
        }
        if containers.count == 1 { return containers[0] }
        if let preferred = pod["metadata"]["annotations"]["kubectl.kubernetes.io/default-container"].stringValue,
            containers.contains(preferred)
        {
            return preferred
        }
        throw APIError.badRequest(
            "a container name must be specified for pod \(name), choose one of: [\(containers.joined(separator: " "))]")
    }

    /// Why the container has not started yet (`ContainerCreating`, `PodInitializing`), or nil once it has.
    static func waitingReason(_ pod: JSON, container: String) -> String? {
        let statuses =
            (pod["status"]["containerStatuses"].arrayValue ?? [])
            + (pod["status"]["initContainerStatuses"].arrayValue ?? [])
        guard let status = statuses.first(where: { $0["name"].stringValue == container }) else {
            return "ContainerCreating"
        }
        guard status["state"]["waiting"].objectValue != nil, status["lastState"]["terminated"].objectValue == nil,
            (status["restartCount"].intValue ?? 0) == 0
        else { return nil }
        return status["state"]["waiting"]["reason"].stringValue ?? "ContainerCreating"
    }
}
