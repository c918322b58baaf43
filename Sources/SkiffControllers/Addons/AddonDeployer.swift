import Foundation
import Logging
import ServiceLifecycle
import SkiffClient
import SkiffModel

/// Auto-deploy manifests (k3s' `server/manifests`): every manifest in the folder is applied with server-side apply
/// under its own field manager at start and whenever it changes; objects whose file, or document, went away are
/// deleted; `X.yaml.skip` disables `X.yaml` (its objects are then removed like a deleted file's). Each file is tracked
/// by an `Addon` in `kube-system` (``AddonResource``), with an `Applied` condition and an Event when it fails. A file
/// that does not parse or apply is reported and retried, keeps what it applied before, and does not hold up the
/// others.
///
/// The folder is polled (a `stat` per file each second; k3s rescans every 15 s): a changed file is read once its
/// size and modification time have held still for one poll, so a file being written is not applied half-way.
public struct AddonDeployer: Service {
    public struct Configuration: Sendable {
        public var directory: String
        public var namespace = "kube-system"
        public var pollInterval: Duration = .seconds(1)
        /// How soon a file that failed is tried again although it did not change.
        public var retryInterval: Duration = .seconds(5)
        public var fieldManager = "skiff-deploy"

        public init(directory: String) { self.directory = directory }
    }

    let api: any ClusterAPI
    let configuration: Configuration
    let logger: Logger

    public init(api: any ClusterAPI, configuration: Configuration, logger: Logger) {
        self.api = api
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        let recorder = EventRecorder(api: api, component: configuration.fieldManager, logger: logger)
        await withDiscardingTaskGroup { group in
            group.addTask { await recorder.run() }
            await cancelWhenGracefulShutdown {
                do {
                    try await deploy(recorder: recorder)
                } catch {
                    // Only cancellation ends the loop.
                }
            }
            recorder.finish()
        }
    }

    /// A manifest as last seen: its fingerprint, the content applied (or tried), and when to try again.
    struct Tracked {
        var fingerprint: ManifestFolder.Fingerprint
        var checksum: String?
        var retryAt: ContinuousClock.Instant?
    }

    func deploy(recorder: EventRecorder) async throws {
        let addons = try await addonType()
        let folder = ManifestFolder(directory: configuration.directory)
        // Addons of files removed while the server was down go first.
        var known: [String: String] = [:]  // addon name → relative path
        var tracked: [String: Tracked] = [:]
        var pending: [String: ManifestFolder.Fingerprint] = [:]
        let present = folder.scan()
        let presentNames = Set(present.keys.map(AddonName.forManifest))
        for addon in try await listAddons(addons) where !presentNames.contains(addon.name ?? "") {
            await remove(addon, type: addons, recorder: recorder)
        }
        // Every manifest at start (what changed while the server was down, and objects deleted by hand come back).
        for (path, fingerprint) in present.sorted(by: { $0.key < $1.key }) {
            tracked[path] = await reconcile(
                path, fingerprint: fingerprint, folder: folder, type: addons, recorder: recorder)
            known[AddonName.forManifest(path)] = path
        }
        while true {
            try await Task.sleep(for: configuration.pollInterval)
            let listing = folder.scan()
            let now = ContinuousClock.now
            for (path, fingerprint) in listing.sorted(by: { $0.key < $1.key }) {
                let current = tracked[path]
                if current?.fingerprint != fingerprint {
                    // Changed: wait until it holds still for a poll.
                    if pending[path] != fingerprint {
                        pending[path] = fingerprint
                        continue
                    }
                } else if let retryAt = current?.retryAt, retryAt <= now {
                    // Failed before: try again.
                } else {
                    continue
                }
                pending[path] = nil
                tracked[path] = await reconcile(
                    path, fingerprint: fingerprint, folder: folder, type: addons, recorder: recorder,
                    unchangedSince: current?.checksum)
                known[AddonName.forManifest(path)] = path
            }
            for path in Set(pending.keys).subtracting(listing.keys) { pending[path] = nil }
            let names = Set(listing.keys.map(AddonName.forManifest))
            for (name, path) in known where !names.contains(name) {
                tracked[path] = nil
                known[name] = nil
                do {
                    let addon = try await api.get(addons, namespace: configuration.namespace, name: name)
                    await remove(addon, type: addons, recorder: recorder)
                } catch {
                    if error.code != 404 { logger.warning("addon not removed", metadata: ["error": "\(error)"]) }
                }
            }
        }
    }

    /// Applies one manifest: the Addon's spec, the objects, the pruning of what it no longer declares, the status.
    func reconcile(
        _ path: String, fingerprint: ManifestFolder.Fingerprint, folder: ManifestFolder, type addons: ResourceType,
        recorder: EventRecorder, unchangedSince previousChecksum: String? = nil
    ) async -> Tracked {
        let name = AddonName.forManifest(path)
        let source = "\(configuration.directory)/\(path)"
        guard let manifest = folder.read(path) else { return Tracked(fingerprint: fingerprint) }
        let metadata: Logger.Metadata = ["manifest": "\(source)", "addon": "\(name)"]
        let addon: JSON
        let previous: [AddonObjectReference]
        do {
            addon = try await api.apply(
                addons, namespace: configuration.namespace,
                object: AddonResource.addon(
                    name: name, namespace: configuration.namespace, source: source, checksum: manifest.checksum),
                fieldManager: configuration.fieldManager, force: true)
            previous = AddonResource.appliedObjects(addon)
        } catch {
            logger.error("auto-deploy manifest not tracked: \(error.message)", metadata: metadata)
            return Tracked(fingerprint: fingerprint, checksum: manifest.checksum, retryAt: retry())
        }
        let documents: ManifestDocuments
        switch manifest.documents {
        case .success(let parsed): documents = parsed
        case .failure(let invalid):
            await fail(
                addon, type: addons, objects: previous, reason: "InvalidManifest",
                message: "\(source): \(invalid.message)", recorder: recorder, metadata: metadata)
            // A broken file is tried again only when it changes.
            return Tracked(fingerprint: fingerprint, checksum: manifest.checksum)
        }
        var applied: [AddonObjectReference] = []
        var failures: [String] = []
        for object in documents.objects {
            switch await apply(object, addon: name) {
            case .success(let reference): applied.append(reference)
            case .failure(let message): failures.append(message)
            }
        }
        guard failures.isEmpty else {
            // Nothing is pruned while the manifest does not apply whole; the status keeps every object it may own.
            let owned = Array(Set(previous).union(applied)).sorted()
            await fail(
                addon, type: addons, objects: owned, reason: "ApplyFailed",
                message: "\(source): " + failures.joined(separator: "; "), recorder: recorder, metadata: metadata)
            return Tracked(fingerprint: fingerprint, checksum: manifest.checksum, retryAt: retry())
        }
        var remaining = applied
        var pruned = 0
        for reference in AddonPruning.stale(previous: previous, current: Set(applied)) {
            if await delete(reference, addon: name) { pruned += 1 } else { remaining.append(reference) }
        }
        let message =
            "applied \(applied.count) object\(applied.count == 1 ? "" : "s")"
            + (pruned == 0 ? "" : ", pruned \(pruned)")
        await writeStatus(
            addon, type: addons,
            status: AddonResource.status(
                objects: remaining.sorted(), applied: true, reason: "Applied", message: message, now: timestamp()))
        if previousChecksum != manifest.checksum {
            logger.info("auto-deploy manifest applied", metadata: metadata.merging(["result": "\(message)"]) { $1 })
            await recorder.record(addon, reason: "AppliedManifest", message: "\(source): \(message)")
        }
        return Tracked(
            fingerprint: fingerprint, checksum: manifest.checksum,
            retryAt: remaining.count > applied.count ? retry() : nil)
    }

    enum ApplyResult {
        case success(AddonObjectReference)
        case failure(String)
    }

    /// Server-side apply of one object, in the Addon's namespace when it names none, marked with its Addon.
    func apply(_ object: JSON, addon: String) async -> ApplyResult {
        let (apiVersion, kind, name) = (object.apiVersion ?? "", object.kind ?? "", object.name ?? "")
        guard let type = api.resources.lookup(apiVersion: apiVersion, kind: kind) else {
            return .failure("\(kind)/\(name): no kind \(kind) is served in \(apiVersion)")
        }
        var object = object
        let namespace = type.namespaced ? (object.namespace ?? configuration.namespace) : nil
        if let namespace {
            object["metadata"]["namespace"] = .string(namespace)
        } else {
            _ = object["metadata"].removeValue(forKey: "namespace")
        }
        object["metadata"]["annotations"][AddonResource.sourceAnnotation] = .string(
            "\(configuration.namespace)/\(addon)")
        let reference = AddonObjectReference(apiVersion: apiVersion, kind: kind, namespace: namespace, name: name)
        do {
            _ = try await api.apply(
                type, namespace: namespace, object: object, fieldManager: configuration.fieldManager, force: true)
            return .success(reference)
        } catch {
            return .failure("\(reference): \(error.message)")
        }
    }

    /// Deletes an object the Addon applied, if it still carries the Addon's mark; true when it is gone.
    func delete(_ reference: AddonObjectReference, addon: String) async -> Bool {
        guard let type = api.resources.lookup(apiVersion: reference.apiVersion, kind: reference.kind) else {
            return true  // its type is gone, and with it the object
        }
        do {
            let live = try await api.get(type, namespace: reference.namespace, name: reference.name)
            guard
                live["metadata"]["annotations"][AddonResource.sourceAnnotation].stringValue
                    == "\(configuration.namespace)/\(addon)"
            else { return true }  // taken over by someone else: not ours to delete
            try await api.delete(
                type, namespace: reference.namespace, name: reference.name,
                options: ["preconditions": ["uid": .string(live.uid ?? "")], "propagationPolicy": "Background"])
            logger.info("auto-deploy object pruned", metadata: ["object": "\(reference)", "addon": "\(addon)"])
            return true
        } catch {
            if error.code == 404 { return true }
            logger.warning(
                "auto-deploy object not pruned", metadata: ["object": "\(reference)", "error": "\(error.message)"])
            return false
        }
    }

    /// A file that went away (or got a `.skip` twin): its objects are deleted, then its Addon.
    func remove(_ addon: JSON, type addons: ResourceType, recorder: EventRecorder) async {
        let name = addon.name ?? ""
        var kept: [AddonObjectReference] = []
        for reference in AddonPruning.stale(previous: AddonResource.appliedObjects(addon), current: [])
        where !(await delete(reference, addon: name)) {
            kept.append(reference)
        }
        guard kept.isEmpty else {
            await writeStatus(
                addon, type: addons,
                status: AddonResource.status(
                    objects: kept.sorted(), applied: false, reason: "RemoveFailed",
                    message: "the manifest is gone; \(kept.count) object(s) could not be deleted", now: timestamp()))
            return
        }
        do {
            try await api.delete(addons, namespace: configuration.namespace, name: name, options: [:])
            logger.info("auto-deploy manifest removed", metadata: ["addon": "\(name)"])
        } catch {
            if error.code != 404 { logger.warning("addon not deleted", metadata: ["error": "\(error.message)"]) }
        }
    }

    private func fail(
        _ addon: JSON, type addons: ResourceType, objects: [AddonObjectReference], reason: String, message: String,
        recorder: EventRecorder, metadata: Logger.Metadata
    ) async {
        logger.error("auto-deploy manifest failed: \(message)", metadata: metadata)
        await writeStatus(
            addon, type: addons,
            status: AddonResource.status(
                objects: objects, applied: false, reason: reason, message: message, now: timestamp()))
        await recorder.record(addon, type: "Warning", reason: "ApplyManifestFailed", message: message)
    }

    private func writeStatus(_ addon: JSON, type addons: ResourceType, status: JSON) async {
        do {
            _ = try await api.patch(
                addons, namespace: configuration.namespace, name: addon.name ?? "", patch: ["status": status],
                patchType: .merge, subresource: "status", fieldManager: configuration.fieldManager)
        } catch {
            logger.warning("addon status not written", metadata: ["addon": "\(addon.name ?? "")", "error": "\(error)"])
        }
    }

    /// Creates the Addon type and waits until the server serves it.
    func addonType() async throws -> ResourceType {
        let definitions = api.type("apiextensions.k8s.io", "v1", "customresourcedefinitions")
        while true {
            do {
                _ = try await api.apply(
                    definitions, namespace: nil, object: AddonResource.definition,
                    fieldManager: configuration.fieldManager, force: true)
                break
            } catch {
                logger.warning("the Addon type is not created yet", metadata: ["error": "\(error.message)"])
                try await Task.sleep(for: configuration.retryInterval)
            }
        }
        while true {
            if let type = api.resources.lookup(apiVersion: AddonResource.apiVersion, kind: AddonResource.kind) {
                return type
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    private func listAddons(_ type: ResourceType) async throws -> [JSON] {
        while true {
            do {
                return try await api.list(type, namespace: configuration.namespace, options: ListOptions()).items
            } catch {
                logger.warning("addons not listed", metadata: ["error": "\(error.message)"])
                try await Task.sleep(for: configuration.retryInterval)
            }
        }
    }

    private func retry() -> ContinuousClock.Instant { .now + configuration.retryInterval }
    private func timestamp() -> String { KubeTimestamp.string(Date()) }
}
