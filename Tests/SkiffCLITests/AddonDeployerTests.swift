import Foundation
import Logging
import SkiffAPIServer
import SkiffClient
import SkiffControllers
import SkiffModel
import SkiffStore
import SkiffTesting
import Testing

/// Auto-deploy manifests against the real registry in process: apply at start and on change, prune, `.skip`, a
/// broken file reported beside working ones, removal.
@Suite struct AddonDeployerTests {
    static let logger = Logger(label: "test")

    /// Polls `read` every 20 ms until it returns true (20 s only stop a hang).
    static func eventually(_ read: () async -> Bool) async throws -> Bool {
        for _ in 0..<1000 {
            if await read() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    static func write(_ text: String, to path: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    static func isFailureEvent(for addon: String) -> (JSON) -> Bool {
        { event in
            let reason: String? = event["reason"].stringValue
            let name: String? = event["involvedObject"]["name"].stringValue
            let type: String? = event["type"].stringValue
            return reason == "ApplyManifestFailed" && name == addon && type == "Warning"
        }
    }

    @Test func manifestsAreAppliedUpdatedPrunedSkippedAndReported() async throws {
        let registry = ObjectRegistry(store: MemoryStore(), logger: Self.logger, garbageCollection: true)
        try await registry.seed()
        let api = InProcessClusterAPI(registry: registry)
        let folder = try TemporaryDirectory("skiff-manifests")
        defer { folder.remove() }
        let configMaps = api.type("", "v1", "configmaps")
        let namespaces = api.type("", "v1", "namespaces")
        let events = api.type("", "v1", "events")
        func configMap(_ namespace: String, _ name: String) async -> JSON? {
            try? await api.get(configMaps, namespace: namespace, name: name)
        }
        func addon(_ name: String) async -> JSON? {
            guard let type = api.resources.lookup(apiVersion: "skiff.io/v1", kind: "Addon") else { return nil }
            return try? await api.get(type, namespace: "kube-system", name: name)
        }
        func applied(_ addon: JSON?) -> String? {
            addon?["status"]["conditions"].arrayValue?.first { $0["type"] == "Applied" }?["status"].stringValue
        }

        // Present at start: a namespace and objects in it and in kube-system (no namespace given), a broken file, a
        // skipped one.
        try Self.write(
            """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings, namespace: factory}
            data: {speed: "10"}
            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: factory}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: defaults}
            data: {mode: auto}
            """, to: folder.file("line.yaml"))
        try Self.write("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [broken\n", to: folder.file("bad.yaml"))
        try Self.write(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: skipped}\n", to: folder.file("off.yaml"))
        try Self.write("", to: folder.file("off.yaml.skip"))
        try Self.write(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: witness}\n", to: folder.file("zz-witness.yaml"))

        var fast = AddonDeployer.Configuration(directory: folder.path)
        fast.pollInterval = .milliseconds(50)
        fast.retryInterval = .milliseconds(200)
        let configuration = fast
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await CustomResourceController(
                    api: api, logger: Self.logger, serve: { registry.serveCustomResources($0) },
                    removeInstances: { await registry.removeCustomResources(of: $0) }
                ).run()
            }
            group.addTask {
                try await AddonDeployer(api: api, configuration: configuration, logger: Self.logger).run()
            }

            #expect(try await Self.eventually { await configMap("factory", "settings")?["data"]["speed"] == "10" })
            #expect(try await Self.eventually { await configMap("kube-system", "defaults") != nil })
            let settings = try #require(await configMap("factory", "settings"))
            #expect(settings["metadata"]["annotations"]["skiff.io/addon"] == "kube-system/line")
            #expect(
                settings["metadata"]["managedFields"].arrayValue?.contains { $0["manager"] == "skiff-deploy" } == true)
            #expect(try await Self.eventually { applied(await addon("line")) == "True" })
            #expect(await addon("line")?["spec"]["source"].stringValue == folder.file("line.yaml"))

            // The broken file: its Addon says why, with a Warning Event; the file after it still applied.
            #expect(try await Self.eventually { await configMap("kube-system", "witness") != nil })
            #expect(try await Self.eventually { applied(await addon("bad")) == "False" })
            let bad = try #require(await addon("bad"))
            let condition = try #require(bad["status"]["conditions"].arrayValue?.first)
            #expect(condition["reason"] == "InvalidManifest")
            #expect(condition["message"].stringValue?.hasPrefix("\(folder.file("bad.yaml")): not valid YAML") == true)
            #expect(
                try await Self.eventually {
                    let list = try? await api.list(events, namespace: "kube-system", options: ListOptions())
                    return list?.items.contains(where: Self.isFailureEvent(for: "bad")) == true
                })
            // The skipped file was passed over in the same pass that applied the witness after it.
            #expect(await configMap("kube-system", "skipped") == nil)
            #expect(await addon("off") == nil)

            // Edited: the change applies, the document taken out is pruned, the namespace stays.
            try Self.write(
                """
                apiVersion: v1
                kind: Namespace
                metadata: {name: factory}
                ---
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: settings, namespace: factory}
                data: {speed: "20"}
                """, to: folder.file("line.yaml"))
            #expect(try await Self.eventually { await configMap("factory", "settings")?["data"]["speed"] == "20" })
            #expect(try await Self.eventually { await configMap("kube-system", "defaults") == nil })
            #expect(
                try await Self.eventually {
                    AddonResource.appliedObjects(await addon("line") ?? [:]).map(\.name).sorted()
                        == ["factory", "settings"]
                })

            // An object taken over by another owner (its mark changed) is not the Addon's to delete.
            _ = try await api.patch(
                configMaps, namespace: "kube-system", name: "witness",
                patch: ["metadata": ["annotations": ["skiff.io/addon": "someone-else"]]], patchType: .merge,
                subresource: nil, fieldManager: "operator")

            // Fixed: applies. The .skip removed: the twin applies.
            try Self.write("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: repaired}\n", to: folder.file("bad.yaml"))
            #expect(try await Self.eventually { await configMap("kube-system", "repaired") != nil })
            #expect(try await Self.eventually { applied(await addon("bad")) == "True" })
            try FileManager.default.removeItem(atPath: folder.file("off.yaml.skip"))
            #expect(try await Self.eventually { await configMap("kube-system", "skipped") != nil })

            // Removed files: their objects go, then their Addons; a namespace goes with its contents.
            try FileManager.default.removeItem(atPath: folder.file("line.yaml"))
            try FileManager.default.removeItem(atPath: folder.file("zz-witness.yaml"))
            #expect(try await Self.eventually { await addon("line") == nil })
            #expect(await configMap("factory", "settings") == nil)
            let namespace = try? await api.get(namespaces, namespace: nil, name: "factory")
            #expect(namespace == nil || namespace?["metadata"]["deletionTimestamp"].isNull == false)
            #expect(try await Self.eventually { await addon("zz-witness") == nil })
            #expect(await configMap("kube-system", "witness") != nil, "taken over: kept")
            group.cancelAll()
        }
    }
}
