import Foundation
import SkiffAgent
import SkiffCRI
import SkiffModel

/// What `skiff crictl` prints, as crictl prints it: pure functions from CRI records to lines, plus the filters and
/// ID-prefix matching the subcommands share. No I/O, so every column is unit-tested.
enum CrictlFormat {
    /// crictl shows IDs cut to 13 characters.
    static let truncatedIDLength = 13

    /// `ps`: CONTAINER IMAGE CREATED STATE NAME ATTEMPT POD ID POD, newest first; `quiet`: full IDs only.
    static func containers(_ containers: [ContainerSummary], now: Date, quiet: Bool) -> [String] {
        let sorted = containers.sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
        if quiet { return sorted.map(\.id) }
        var rows = [["CONTAINER", "IMAGE", "CREATED", "STATE", "NAME", "ATTEMPT", "POD ID", "POD"]]
        for container in sorted {
            rows.append([
                truncated(container.id), image(container.image), ago(nanoseconds: container.createdAt, now: now),
                state(container.state), container.metadata.name, "\(container.metadata.attempt)",
                truncated(container.sandboxID), container.labels[CRILabels.podName] ?? "",
            ])
        }
        return table(rows)
    }

    /// `pods`: POD ID CREATED STATE NAME NAMESPACE ATTEMPT RUNTIME, newest first; `quiet`: full IDs only.
    static func pods(_ pods: [PodSandboxStatus], now: Date, quiet: Bool) -> [String] {
        let sorted = pods.sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
        if quiet { return sorted.map(\.id) }
        var rows = [["POD ID", "CREATED", "STATE", "NAME", "NAMESPACE", "ATTEMPT", "RUNTIME"]]
        for pod in sorted {
            rows.append([
                truncated(pod.id), ago(nanoseconds: pod.createdAt, now: now),
                pod.state == .ready ? "Ready" : "NotReady",
                pod.metadata.name, pod.metadata.namespace, "\(pod.metadata.attempt)", "(default)",
            ])
        }
        return table(rows)
    }

    /// `version`: crictl's four lines (its own CRI client version is the API's, 0.1.0, as crictl prints).
    static func version(_ version: RuntimeVersion) -> [String] {
        [
            "Version:  0.1.0", "RuntimeName:  \(version.runtimeName)",
            "RuntimeVersion:  \(version.runtimeVersion)", "RuntimeApiVersion:  \(version.runtimeAPIVersion)",
        ]
    }

    /// `info`: the runtime's conditions as crictl prints its Status answer, `{"status": {"conditions": […]}}`.
    static func info(_ conditions: [RuntimeCondition]) -> JSON {
        [
            "status": [
                "conditions": .array(
                    conditions.map {
                        [
                            "type": .string($0.type), "status": .bool($0.status), "reason": .string($0.reason),
                            "message": .string($0.message),
                        ]
                    })
            ]
        ]
    }

    /// `images`: IMAGE TAG IMAGE ID SIZE, a row per tag (an untagged image shows its digest's repository and
    /// `<none>`), sorted by name; `quiet`: full IDs only, once each.
    static func images(_ images: [ImageSummary], quiet: Bool) -> [String] {
        if quiet { return images.map(\.id).sorted() }
        var rows: [[String]] = []
        for image in images {
            let id = truncated(image.id)
            let size = humanSize(image.size)
            if image.repoTags.isEmpty {
                let repository = image.repoDigests.first.map { String($0.split(separator: "@")[0]) } ?? "<none>"
                rows.append([repository, "<none>", id, size])
            }
            for tag in image.repoTags {
                let (repository, name) = splitTag(tag)
                rows.append([repository, name, id, size])
            }
        }
        rows.sort { ($0[0], $0[1]) < ($1[0], $1[1]) }
        return table([["IMAGE", "TAG", "IMAGE ID", "SIZE"]] + rows)
    }

    /// `repo:tag` → (repo, tag); the colon of a registry's port is not a tag's.
    static func splitTag(_ reference: String) -> (String, String) {
        guard let colon = reference.lastIndex(of: ":"), !reference[colon...].contains("/") else {
            return (reference, "<none>")
        }
        return (String(reference[..<colon]), String(reference[reference.index(after: colon)...]))
    }

    static func state(_ state: ContainerState) -> String {
        switch state {
        case .created: "Created"
        case .running: "Running"
        case .exited: "Exited"
        case .unknown: "Unknown"
        }
    }

    /// An ID without its `sha256:` prefix, cut to 13 characters.
    static func truncated(_ id: String) -> String {
        let bare = id.hasPrefix("sha256:") ? id.dropFirst("sha256:".count) : id[...]
        return String(bare.prefix(truncatedIDLength))
    }

    /// The image column: a name as given, an image ID cut short.
    static func image(_ image: String) -> String {
        image.hasPrefix("sha256:") ? truncated(image) : image
    }

    /// crictl's tabwriter (minimum width 20, padding 3): every column but the last padded to its widest cell.
    static func table(_ rows: [[String]]) -> [String] {
        let columns = rows.map(\.count).max() ?? 0
        let widths = (0..<columns).map { column in
            max(20, rows.map { column < $0.count ? $0[column].count + 3 : 0 }.max() ?? 0)
        }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined()
        }
    }

    /// "5 seconds ago", "About a minute ago", "3 hours ago" (Docker's go-units `HumanDuration`, as crictl uses it).
    static func ago(nanoseconds: Int64, now: Date) -> String {
        let seconds = now.timeIntervalSince1970 - Double(nanoseconds) / 1e9
        return humanDuration(seconds: seconds) + " ago"
    }

    static func humanDuration(seconds duration: Double) -> String {
        let seconds = Int(duration)
        if seconds < 1 { return "Less than a second" }
        if seconds == 1 { return "1 second" }
        if seconds < 60 { return "\(seconds) seconds" }
        let minutes = Int(duration / 60)
        if minutes == 1 { return "About a minute" }
        if minutes < 60 { return "\(minutes) minutes" }
        let hours = Int(duration / 3600 + 0.5)
        if hours == 1 { return "About an hour" }
        if hours < 48 { return "\(hours) hours" }
        if hours < 24 * 7 * 2 { return "\(hours / 24) days" }
        if hours < 24 * 30 * 2 { return "\(hours / 24 / 7) weeks" }
        if hours < 24 * 365 * 2 { return "\(hours / 24 / 30) months" }
        return "\(Int(duration / 3600) / 24 / 365) years"
    }

    /// Decimal units with three significant digits: "4.27MB", "321kB" (go-units `HumanSizeWithPrecision(_, 3)`).
    static func humanSize(_ bytes: UInt64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"]
        var size = Double(bytes)
        var unit = 0
        while size >= 1000, unit < units.count - 1 {
            size /= 1000
            unit += 1
        }
        return String(format: "%.3g", size) + units[unit]
    }

    // MARK: - Selection

    /// The one ID that `query` names: itself, or the only ID it is a prefix of (crictl accepts unique prefixes).
    static func resolve(_ query: String, among ids: [String], kind: String) throws(CrictlError) -> String {
        guard !query.isEmpty else { throw CrictlError("an empty \(kind) ID") }
        if ids.contains(query) { return query }
        let matches = Set(ids.filter { $0.hasPrefix(query) }).sorted()
        guard let only = matches.first else { throw CrictlError("no \(kind) with ID \(query)") }
        guard matches.count == 1 else {
            throw CrictlError("\(kind) ID \(query) is ambiguous: \(matches.joined(separator: ", "))")
        }
        return only
    }

    /// `ps`'s filters: running only unless `all` (or a `state`), names matching `name` (a regular expression, as
    /// crictl's), in the pods whose IDs are `podIDs` (nil: any).
    static func filter(
        _ containers: [ContainerSummary], all: Bool, state: ContainerState?, name: Regex<AnyRegexOutput>?,
        podIDs: Set<String>?, labels: [String: String]
    ) -> [ContainerSummary] {
        containers.filter { container in
            if let state, container.state != state { return false }
            if state == nil, !all, container.state != .running { return false }
            if let name, (try? name.firstMatch(in: container.metadata.name)) == nil { return false }
            if let podIDs, !podIDs.contains(container.sandboxID) { return false }
            return labels.allSatisfy { container.labels[$0.key] == $0.value }
        }
    }

    /// `pods`' filters: names and namespaces matching regular expressions, a state, labels.
    static func filter(
        _ pods: [PodSandboxStatus], name: Regex<AnyRegexOutput>?, namespace: Regex<AnyRegexOutput>?,
        state: SandboxState?, labels: [String: String]
    ) -> [PodSandboxStatus] {
        pods.filter { pod in
            if let state, pod.state != state { return false }
            if let name, (try? name.firstMatch(in: pod.metadata.name)) == nil { return false }
            if let namespace, (try? namespace.firstMatch(in: pod.metadata.namespace)) == nil { return false }
            return labels.allSatisfy { pod.labels[$0.key] == $0.value }
        }
    }

    /// An image named by reference (`busybox`, `docker.io/library/busybox:latest`), ID or ID prefix.
    static func findImage(_ query: String, in images: [ImageSummary]) throws(CrictlError) -> ImageSummary {
        let normalized = normalizedReference(query)
        if let byName = images.first(where: {
            $0.repoTags.contains(normalized) || $0.repoDigests.contains(normalized) || $0.repoTags.contains(query)
        }) {
            return byName
        }
        let bare = query.hasPrefix("sha256:") ? String(query.dropFirst(7)) : query
        let ids = images.map { $0.id.hasPrefix("sha256:") ? String($0.id.dropFirst(7)) : $0.id }
        let id = try resolve(bare, among: ids, kind: "image")
        return images[ids.firstIndex(of: id)!]
    }

    /// Docker's short names: `busybox` → `docker.io/library/busybox:latest`, `x/y:1` → `docker.io/x/y:1`.
    static func normalizedReference(_ reference: String) -> String {
        var name = reference
        let first = name.split(separator: "/", maxSplits: 1).first.map(String.init) ?? name
        let hasRegistry = name.contains("/") && (first.contains(".") || first.contains(":") || first == "localhost")
        if !hasRegistry { name = "docker.io/" + (name.contains("/") ? name : "library/" + name) }
        if !name.contains("@"), splitTag(name).1 == "<none>" { name += ":latest" }
        return name
    }

    // MARK: - Logs

    /// Splits CRI log file bytes into what goes to standard output and standard error: messages only, complete
    /// records only (an incomplete last line waits for the next chunk), `P` records joined with what follows.
    struct LogSplitter {
        enum Stream: Equatable { case stdout, stderr }
        private var pending: [UInt8] = []

        /// The writes for the complete lines in `chunk` (and what was pending), adjacent ones of a stream merged.
        mutating func split(_ chunk: some Sequence<UInt8>) -> [(Stream, [UInt8])] {
            pending.append(contentsOf: chunk)
            guard let lastNewline = pending.lastIndex(of: UInt8(ascii: "\n")) else { return [] }
            var out: [(Stream, [UInt8])] = []
            for line in String(decoding: pending[...lastNewline], as: UTF8.self).split(separator: "\n") {
                guard let record = CRILogRecord(line) else { continue }
                let stream: Stream = record.stream == "stderr" ? .stderr : .stdout
                var bytes = Array(record.message.utf8)
                if !record.partial { bytes.append(UInt8(ascii: "\n")) }
                if let last = out.last, last.0 == stream {
                    out[out.count - 1].1 += bytes
                } else {
                    out.append((stream, bytes))
                }
            }
            pending.removeSubrange(...lastNewline)
            return out
        }
    }
}

/// A one-line error of `skiff crictl`.
struct CrictlError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
