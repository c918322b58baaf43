import Foundation
import Logging
import SkiffCRI
import SkiffModel
import Synchronization

/// Sets up and tears down a pod's volumes under `<podsDirectory>/<uid>/volumes/<plugin>/<name>`, and turns a
/// container's `volumeMounts` into runtime mounts. Data volumes (configMap, secret, downwardAPI, projected) are
/// rewritten atomically whenever their source changed; projected service-account tokens are re-requested at 80 %
/// of their lifetime.
final class VolumeManager: Sendable {
    /// Requests a token: (namespace, service account, TokenRequest body) → the TokenRequest with `status.token`.
    typealias TokenRequester = @Sendable (String, String, JSON) async throws -> JSON

    let podsDirectory: String
    let requestToken: TokenRequester?
    let now: @Sendable () -> Date
    let logger: Logger

    private struct Token {
        var token: String
        var refreshAt: Date
    }

    private let tokens = Mutex<[String: Token]>([:])

    init(podsDirectory: String, requestToken: TokenRequester?, now: @escaping @Sendable () -> Date, logger: Logger) {
        self.podsDirectory = podsDirectory
        self.requestToken = requestToken
        self.now = now
        self.logger = logger
    }

    func podDirectory(_ uid: String) -> String { "\(podsDirectory)/\(uid)" }

    static func plugin(of volume: JSON) -> String? {
        if !volume["emptyDir"].isNull { return "kubernetes.io~empty-dir" }
        if !volume["configMap"].isNull { return "kubernetes.io~configmap" }
        if !volume["secret"].isNull { return "kubernetes.io~secret" }
        if !volume["downwardAPI"].isNull { return "kubernetes.io~downward-api" }
        if !volume["projected"].isNull { return "kubernetes.io~projected" }
        return nil
    }

    /// Where volume `name` of the pod lives on the node.
    func hostPath(of volume: JSON, uid: String) -> String? {
        if let path = volume["hostPath"]["path"].stringValue { return path }
        guard let plugin = Self.plugin(of: volume), let name = volume["name"].stringValue else { return nil }
        return "\(podDirectory(uid))/volumes/\(plugin)/\(name)"
    }

    /// Makes every volume of `pod` ready (idempotent; data volumes are refreshed).
    func setUp(pod: JSON, payload: VolumePayload) async throws(VolumeError) {
        let uid = pod.uid ?? ""
        var payload = payload
        for volume in pod["spec"]["volumes"].arrayValue ?? [] {
            let name = volume["name"].stringValue ?? ""
            guard let path = hostPath(of: volume, uid: uid) else {
                throw VolumeError(message: "volume \"\(name)\": unsupported volume type")
            }
            if !volume["hostPath"].isNull {
                try HostPathCheck.check(path, type: volume["hostPath"]["type"].stringValue ?? "")
            } else if !volume["emptyDir"].isNull {
                try makeDirectory(path, mode: 0o777)
                if volume["emptyDir"]["medium"].stringValue == "Memory" {
                    try mountTmpfs(path, sizeLimit: volume["emptyDir"]["sizeLimit"])
                }
            } else {
                let files: [VolumeFile]
                if !volume["configMap"].isNull {
                    files = try payload.configMap(volume["configMap"], volumeName: name)
                } else if !volume["secret"].isNull {
                    files = try payload.secret(volume["secret"])
                } else if !volume["downwardAPI"].isNull {
                    files = try payload.downwardAPI(volume["downwardAPI"])
                } else {
                    try await fetchTokens(pod: pod, volume: volume, into: &payload)
                    files = try payload.projected(volume["projected"], volumeName: name)
                }
                try AtomicWriter(directory: path, now: now).write(files)
            }
        }
    }

    private func fetchTokens(pod: JSON, volume: JSON, into payload: inout VolumePayload) async throws(VolumeError) {
        let name = volume["name"].stringValue ?? ""
        for source in volume["projected"]["sources"].arrayValue ?? [] where !source["serviceAccountToken"].isNull {
            let tokenSource = source["serviceAccountToken"]
            let path = tokenSource["path"].stringValue ?? "token"
            let key = "\(pod.uid ?? "")/\(name)/\(path)"
            let current = now()
            if let cached = tokens.withLock({ $0[key] }), cached.refreshAt > current {
                payload.tokens["\(name)/\(path)"] = cached.token
                continue
            }
            guard let requestToken else {
                throw VolumeError(message: "no token requester: cannot fetch token for volume \(name)")
            }
            let expiration = tokenSource["expirationSeconds"].int64Value ?? 3607
            var spec: JSON = [
                "expirationSeconds": .int(expiration),
                "boundObjectRef": [
                    "kind": "Pod", "apiVersion": "v1", "name": .string(pod.name ?? ""), "uid": .string(pod.uid ?? ""),
                ],
            ]
            if let audience = tokenSource["audience"].stringValue { spec["audiences"] = [.string(audience)] }
            let body: JSON = ["apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec]
            let serviceAccount = pod["spec"]["serviceAccountName"].stringValue ?? "default"
            let response: JSON
            do {
                response = try await requestToken(pod.namespace ?? "default", serviceAccount, body)
            } catch {
                throw VolumeError(message: "failed to fetch token: \(error)")
            }
            guard let token = response["status"]["token"].stringValue else {
                throw VolumeError(message: "failed to fetch token: the response has no token")
            }
            var lifetime = Double(expiration)
            if let expires = response["status"]["expirationTimestamp"].stringValue.flatMap(KubeTimestamp.date) {
                lifetime = max(1, expires.timeIntervalSince(current))
            }
            tokens.withLock { $0[key] = Token(token: token, refreshAt: current.addingTimeInterval(lifetime * 0.8)) }
            payload.tokens["\(name)/\(path)"] = token
        }
    }

    /// The earliest moment a cached token of `uid` is due for renewal.
    func nextTokenRefresh(uid: String) -> Date? {
        tokens.withLock { tokens in tokens.filter { $0.key.hasPrefix(uid + "/") }.map(\.value.refreshAt).min() }
    }

    /// The runtime mounts of one container: its volumeMounts, `/etc/hosts` and the termination-message file.
    func mounts(pod: JSON, container: JSON, restartCount: Int) throws(VolumeError) -> [Mount] {
        let uid = pod.uid ?? ""
        let volumes = pod["spec"]["volumes"].arrayValue ?? []
        var mounts: [Mount] = []
        for mount in container["volumeMounts"].arrayValue ?? [] {
            let name = mount["name"].stringValue ?? ""
            guard let volume = volumes.first(where: { $0["name"].stringValue == name }),
                var path = hostPath(of: volume, uid: uid)
            else {
                throw VolumeError(message: "unable to find volume \"\(name)\"")
            }
            if let sub = mount["subPath"].stringValue, !sub.isEmpty {
                guard !sub.hasPrefix("/"), !sub.split(separator: "/").contains("..") else {
                    throw VolumeError(message: "invalid subPath \(sub)")
                }
                path += "/" + sub
                if !FileManager.default.fileExists(atPath: path) { try makeDirectory(path, mode: 0o755) }
            }
            let dataVolume = [
                "kubernetes.io~configmap", "kubernetes.io~secret", "kubernetes.io~downward-api",
                "kubernetes.io~projected",
            ]
            .contains(Self.plugin(of: volume) ?? "")
            let propagation: MountPropagation =
                switch mount["mountPropagation"].stringValue {
                case "HostToContainer": .hostToContainer
                case "Bidirectional": .bidirectional
                default: .private
                }
            mounts.append(
                Mount(
                    containerPath: mount["mountPath"].stringValue ?? "", hostPath: path,
                    readOnly: (mount["readOnly"].boolValue ?? false) || dataVolume, propagation: propagation))
        }
        let hostNetwork = pod["spec"]["hostNetwork"].boolValue ?? false
        if !hostNetwork, !mounts.contains(where: { $0.containerPath == "/etc/hosts" }) {
            mounts.append(Mount(containerPath: "/etc/hosts", hostPath: "\(podDirectory(uid))/etc-hosts"))
        }
        let messagePath = container["terminationMessagePath"].stringValue ?? "/dev/termination-log"
        if !messagePath.isEmpty, let name = container["name"].stringValue {
            let file = terminationMessageFile(uid: uid, container: name, restartCount: restartCount)
            try makeDirectory((file as NSString).deletingLastPathComponent, mode: 0o755)
            if !FileManager.default.fileExists(atPath: file) {
                _ = FileManager.default.createFile(atPath: file, contents: nil, attributes: [.posixPermissions: 0o666])
            }
            mounts.append(Mount(containerPath: messagePath, hostPath: file))
        }
        return mounts
    }

    func terminationMessageFile(uid: String, container: String, restartCount: Int) -> String {
        "\(podDirectory(uid))/containers/\(container)/\(restartCount)"
    }

    /// What the container wrote to its termination-message file (at most 4 KiB, as kubelet), or nil.
    func terminationMessage(uid: String, container: String, restartCount: Int) -> String? {
        guard
            let data = FileManager.default.contents(
                atPath: terminationMessageFile(uid: uid, container: container, restartCount: restartCount)),
            !data.isEmpty
        else { return nil }
        return String(decoding: data.prefix(4096), as: UTF8.self)
    }

    /// Writes the kubelet-managed hosts file of a pod (not for hostNetwork pods, which see the node's).
    func writeHostsFile(pod: JSON, podIP: String, hostname: String) {
        let uid = pod.uid ?? ""
        var text = "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
        text += "fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n"
        if !podIP.isEmpty {
            var names = hostname
            if let subdomain = pod["spec"]["subdomain"].stringValue, !subdomain.isEmpty {
                names = "\(hostname).\(subdomain).\(pod.namespace ?? "default").svc.cluster.local\t\(hostname)"
            }
            text += "\(podIP)\t\(names)\n"
        }
        for alias in pod["spec"]["hostAliases"].arrayValue ?? [] {
            let names = (alias["hostnames"].arrayValue ?? []).compactMap(\.stringValue).joined(separator: "\t")
            if let ip = alias["ip"].stringValue { text += "\n# Entries added by HostAliases.\n\(ip)\t\(names)\n" }
        }
        try? makeDirectory(podDirectory(uid), mode: 0o750)
        _ = FileManager.default.createFile(
            atPath: "\(podDirectory(uid))/etc-hosts", contents: Data(text.utf8), attributes: [.posixPermissions: 0o644])
    }

    /// Unmounts tmpfs volumes and removes the pod's directory.
    func tearDown(uid: String) {
        let directory = podDirectory(uid)
        guard FileManager.default.fileExists(atPath: directory) else { return }
        for mountPoint in Self.mountPoints(under: directory) {
            run("/bin/umount", [mountPoint])
        }
        tokens.withLock { tokens in tokens = tokens.filter { !$0.key.hasPrefix(uid + "/") } }
        do {
            try FileManager.default.removeItem(atPath: directory)
        } catch {
            logger.warning("cannot remove pod directory", metadata: ["uid": "\(uid)", "error": "\(error)"])
        }
    }

    /// The uids of pod directories present on disk.
    func podDirectories() -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: podsDirectory)) ?? [] }

    private func makeDirectory(_ path: String, mode: Int) throws(VolumeError) {
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: mode])
        } catch {
            throw VolumeError(message: "cannot create \(path): \(error)")
        }
    }

    private func mountTmpfs(_ path: String, sizeLimit: JSON) throws(VolumeError) {
        guard !Self.mountPoints(under: path).contains(path) else { return }
        var options = "mode=0777"
        if !sizeLimit.isNull, let size = try? Quantity(json: sizeLimit), size.value > 0 {
            options += ",size=\(size.value)"
        }
        guard run("/bin/mount", ["-t", "tmpfs", "-o", options, "tmpfs", path]) else {
            throw VolumeError(message: "mount tmpfs at \(path) failed")
        }
    }

    static func mountPoints(under prefix: String) -> [String] {
        guard let text = try? String(contentsOfFile: "/proc/mounts", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count > 1 else { return nil }
            let point = String(fields[1]).replacingOccurrences(of: "\\040", with: " ")
            return point == prefix || point.hasPrefix(prefix + "/") ? point : nil
        }.sorted { $0.count > $1.count }
    }

    @discardableResult
    private func run(_ tool: String, _ arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        do {
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus == 0
        } catch {
            logger.warning("cannot run tool", metadata: ["tool": "\(tool)", "error": "\(error)"])
            return false
        }
    }
}
