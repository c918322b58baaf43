import Foundation
import Logging
import ServiceLifecycle

/// Scheduled online snapshots (k3s' `--etcd-snapshot-schedule-cron` and `--etcd-snapshot-retention`): at each time
/// of the schedule, a consistent copy of the datastore goes into the snapshots folder, and the scheduled snapshots
/// beyond the newest `retention` are deleted. A failed snapshot is logged and the schedule goes on.
struct SnapshotScheduler: Service {
    let schedule: CronSchedule
    let retention: Int
    let database: String
    let folder: SnapshotFolder
    let node: String
    let logger: Logger

    func run() async throws {
        // A graceful shutdown cancels the wait; the service then ends without an error.
        try? await cancelWhenGracefulShutdown {
            var previous = Date()
            while true {
                guard let next = schedule.next(after: previous) else {
                    logger.warning("the snapshot schedule never fires", metadata: ["schedule": "\(schedule)"])
                    return
                }
                let wait = next.timeIntervalSinceNow
                if wait > 0 { try await Task.sleep(for: .milliseconds(Int64(wait * 1000))) }
                previous = next
                await snapshot(at: next)
            }
        }
    }

    func snapshot(at date: Date) async {
        let name = SnapshotFolder.name(prefix: SnapshotFolder.scheduledPrefix, node: node, at: date)
        let (folder, database, retention, node) = (folder, database, retention, node)
        // SQLite's backup reads and writes files: on a thread of its own, not the cooperative pool.
        let result: Result<(String, [String]), any Error> = await withCheckedContinuation { continuation in
            Thread {
                continuation.resume(
                    returning: Result {
                        let path = try folder.save(database: database, name: name)
                        let pruned = try folder.prune(
                            prefix: "\(SnapshotFolder.scheduledPrefix)-\(node)", retention: retention)
                        return (path, pruned)
                    })
            }.start()
        }
        switch result {
        case .success(let (path, pruned)):
            logger.info(
                "scheduled snapshot saved",
                metadata: ["path": "\(path)", "pruned": .array(pruned.map { .string($0) })])
        case .failure(let error):
            logger.error("scheduled snapshot failed: \(error)", metadata: ["name": "\(name)"])
        }
    }
}
