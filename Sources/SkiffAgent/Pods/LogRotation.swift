import Foundation
import Logging
import SkiffCRI

/// kubelet's container log rotation: a log over `maxSize` is renamed `<n>.log.<timestamp>` and the runtime told to
/// reopen it; at most `maxFiles` files are kept per container (the live one included), oldest removed first.
struct LogRotation: Sendable {
    let runtime: any ContainerRuntime
    /// The pod workers' cache: a running container's log path is asked once.
    let statusCache: RuntimeStatusCache
    let maxSize: Int
    let maxFiles: Int
    let now: @Sendable () -> Date
    let logger: Logger

    func rotateAll() async {
        guard let containers = try? await runtime.listContainers(sandboxID: nil) else { return }
        for container in containers where container.state == .running {
            var status = statusCache.container(container)
            if status == nil {
                status = try? await runtime.containerStatus(id: container.id)
                if let status { statusCache.store(status) }
            }
            guard let status, !status.logPath.isEmpty else { continue }
            await rotate(id: container.id, logPath: status.logPath)
        }
    }

    func rotate(id: String, logPath: String) async {
        let manager = FileManager.default
        let directory = (logPath as NSString).deletingLastPathComponent
        let base = (logPath as NSString).lastPathComponent
        removeExcess(directory: directory, base: base, keep: maxFiles - 1)
        guard let size = (try? manager.attributesOfItem(atPath: logPath))?[.size] as? Int, size > maxSize else {
            return
        }
        let rotated = "\(logPath).\(Self.stamp(now()))"
        do {
            try manager.moveItem(atPath: logPath, toPath: rotated)
        } catch {
            logger.warning("cannot rotate container log", metadata: ["path": "\(logPath)", "error": "\(error)"])
            return
        }
        do {
            try await runtime.reopenContainerLog(id: id)
        } catch {
            // The runtime keeps writing to the renamed file: move it back so nothing is lost.
            try? manager.moveItem(atPath: rotated, toPath: logPath)
            logger.warning("cannot reopen container log", metadata: ["id": "\(id)", "error": "\(error)"])
            return
        }
        removeExcess(directory: directory, base: base, keep: maxFiles - 1)
    }

    /// Keeps the newest `keep` rotated files of `base`.
    private func removeExcess(directory: String, base: String, keep: Int) {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let rotated = entries.filter { $0.hasPrefix(base + ".") }.sorted()
        guard rotated.count > keep else { return }
        for entry in rotated.prefix(rotated.count - max(0, keep)) {
            try? FileManager.default.removeItem(atPath: directory + "/" + entry)
        }
    }

    /// `20060102-150405` as kubelet stamps rotated logs.
    static func stamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return formatter.string(from: date)
    }
}
