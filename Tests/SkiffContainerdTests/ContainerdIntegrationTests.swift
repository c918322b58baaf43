import Foundation
import Logging
import ServiceLifecycle
import SkiffCRI
import Testing

@testable import SkiffContainerd

/// Runs the real containerd as a child on a temp data dir. Needs root and the Debian packages containerd, runc and
/// busybox-static; skipped (with a printed reason) otherwise.
@Suite(.serialized, .enabled(if: Host.canRunContainerd, "needs root, containerd, ctr, runc and busybox-static"))
struct ContainerdIntegrationTests {
    static let testImage = "docker.io/library/skiff-test:1"
    static let pauseImage = "docker.io/library/skiff-pause:1"

    /// Starts a supervised containerd, runs `body` with a connected runtime, then shuts containerd down gracefully and
    /// removes the data dir (mounts included).
    func withContainerd(
        logs: CapturedLogs, prepare: (ContainerdPaths) throws -> Void = { _ in },
        _ body: (ContainerdSupervisor, CRIRuntime, ContainerdPaths) async throws -> Void
    ) async throws {
        let dataDir = Host.temporaryDataDir()
        defer { Host.removeDataDir(dataDir) }
        let paths = ContainerdPaths(dataDir: dataDir)
        try FileManager.default.createDirectory(atPath: paths.imagesDir, withIntermediateDirectories: true)
        try prepare(paths)
        let supervisor = ContainerdSupervisor(
            config: ContainerdConfig(paths: paths, sandboxImage: Self.pauseImage), readyTimeout: .seconds(20),
            logger: logs.logger("containerd"))
        let group = ServiceGroup(services: [supervisor], gracefulShutdownSignals: [], logger: logs.logger("group"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var pid: Int32?
            do {
                try await supervisor.ready()
                pid = supervisor.pid
                try await CRIRuntime.withRuntime(socket: supervisor.socket, logger: logs.logger("cri")) { runtime in
                    try await body(supervisor, runtime, paths)
                }
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
            await group.triggerGracefulShutdown()
            // Bounded: a supervisor that ignores shutdown fails the test instead of hanging it.
            if let pid = supervisor.pid ?? pid {
                let start = ContinuousClock.now
                while kill(pid, 0) == 0 && ContinuousClock.now - start < .seconds(15) {
                    try await Task.sleep(for: .milliseconds(100))
                }
                if kill(pid, 0) == 0 {
                    Issue.record("containerd still running 15 s after graceful shutdown")
                    kill(pid, SIGKILL)
                }
            }
            try await tasks.waitForAll()
        }
    }

    @Test func startsContainerdAndAnswersVersionAndStatus() async throws {
        let logs = CapturedLogs()
        try await withContainerd(logs: logs) { supervisor, runtime, paths in
            let version = try await runtime.version()
            #expect(version.runtimeName == "containerd")
            #expect(version.runtimeAPIVersion == "v1")
            let conditions = try await runtime.status()
            #expect(conditions.contains { $0.type == RuntimeCondition.runtimeReady && $0.status })
            #expect(FileManager.default.fileExists(atPath: paths.configFile))
            #expect(supervisor.socket == paths.socket)
            await #expect(throws: SkiffCRI.RuntimeError.self) {
                try await runtime.stopContainer(id: "nope", timeout: 1)
            }
            do throws(SkiffCRI.RuntimeError) {
                _ = try await runtime.podSandboxStatus(id: "missing")
                Issue.record("expected notFound")
            } catch {
                #expect(error.code == .notFound)
            }
        }
    }

    /// containerd's gRPC server (grpc-go) sends a BDP PING after almost every request it reads; swift-nio-http2 closes
    /// a connection that receives more than 200 PINGs in 30 s. A busy agent makes far more calls than that, and every
    /// call in flight failed with "Stream unexpectedly closed" when the connection dropped.
    @Test func manyCallsInARowKeepTheConnection() async throws {
        let logs = CapturedLogs()
        try await withContainerd(logs: logs) { _, runtime, _ in
            var failures: [String] = []
            for _ in 0..<1_000 {
                do { _ = try await runtime.version() } catch { failures.append("\(error)") }
            }
            #expect(failures.isEmpty, "\(failures.count) of 1000 calls failed, first: \(failures.first ?? "")")
        }
    }

    @Test func missingBinaryFailsReadinessWithTheInstallHint() async throws {
        let dataDir = Host.temporaryDataDir()
        defer { Host.removeDataDir(dataDir) }
        let supervisor = ContainerdSupervisor(
            config: ContainerdConfig(paths: ContainerdPaths(dataDir: dataDir)), binary: "containerd-not-installed-here",
            logger: CapturedLogs().logger("containerd"))
        await withTaskGroup(of: Void.self) { tasks in
            tasks.addTask { _ = try? await supervisor.run() }
            do throws(ContainerdError) {
                try await supervisor.ready()
                Issue.record("ready() should throw")
            } catch {
                #expect(error.code == .notInstalled)
                #expect(
                    error.description
                        == "containerd-not-installed-here not found in PATH: install it with apt-get install containerd runc containernetworking-plugins"
                )
            }
        }
    }

    @Test func importsArchivesPinsThemAndSkipsBrokenOnes() async throws {
        let logs = CapturedLogs()
        try await withContainerd(logs: logs) { paths in
            try Host.makeTestImages(at: "\(paths.imagesDir)/test-images.tar")
            let data = try Data(contentsOf: URL(fileURLWithPath: "\(paths.imagesDir)/test-images.tar"))
            try data.prefix(4096).write(to: URL(fileURLWithPath: "\(paths.imagesDir)/truncated.tar"))
            try Data("not gzip".utf8).write(to: URL(fileURLWithPath: "\(paths.imagesDir)/corrupt.tar.gz"))
        } _: { _, runtime, paths in
            let size = try FileManager.default.attributesOfItem(atPath: "\(paths.imagesDir)/test-images.tar")[.size]
            let importer = ImageImporter(paths: paths, logger: logs.logger("images"))
            let imported = await importer.importAll()
            #expect(imported.map(\.file) == ["test-images.tar"])
            #expect(Set(imported.flatMap(\.images)) == [Self.testImage, Self.pauseImage])
            let image = try await runtime.imageStatus("skiff-test:1")
            #expect(image?.repoTags.contains(Self.testImage) == true)
            #expect(image?.id.hasPrefix("sha256:") == true)
            let labels = try Host.run(
                "/usr/bin/ctr", ["-a", paths.socket, "-n", "k8s.io", "images", "ls", "name==\(Self.testImage)"])
            #expect(labels.output.contains("io.cri-containerd.pinned=pinned"))
            #expect(try await runtime.imageStatus("docker.io/library/absent:1") == nil)

            let errors = logs.all.filter { $0.level == .error }
            #expect(errors.contains { $0.metadata["file"] == "truncated.tar" })
            #expect(errors.contains { $0.metadata["file"] == "corrupt.tar.gz" })
            #expect(
                logs.all.contains {
                    $0.level == .info && $0.metadata["file"] == "test-images.tar" && $0.metadata["seconds"] != nil
                        && $0.metadata["size"] == "\(size.map { "\($0)" } ?? "")"
                })
            // Unchanged files are not imported again.
            #expect(await importer.importAll().isEmpty)
        }
    }

    @Test func watchImportsAnArchiveAddedLater() async throws {
        let logs = CapturedLogs()
        try await withContainerd(logs: logs) { _, runtime, paths in
            let importer = ImageImporter(paths: paths, logger: logs.logger("images"))
            #expect(await importer.importAll().isEmpty)
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { await importer.watch() }
                let staging = "\(paths.agentDir)/staging.tar"
                try Host.makeTestImages(at: staging)
                try FileManager.default.moveItem(atPath: staging, toPath: "\(paths.imagesDir)/late.tar.zst.part")
                _ = try Host.run(
                    "/usr/bin/zstd",
                    [
                        "-q", "--rm", "-o", "\(paths.imagesDir)/late.tar.zst",
                        "\(paths.imagesDir)/late.tar.zst.part",
                    ])
                let start = ContinuousClock.now
                var found: ImageSummary?
                while found == nil && ContinuousClock.now - start < .seconds(10) {
                    try await Task.sleep(for: .milliseconds(200))
                    found = try await runtime.imageStatus(Self.testImage)
                }
                tasks.cancelAll()
                #expect(found != nil, "not imported within 10 s")
                #expect(ContinuousClock.now - start < .seconds(5))
            }
        }
    }

    @Test func runsASandboxAndContainerThatSurviveAContainerdKill() async throws {
        let logs = CapturedLogs()
        try await withContainerd(logs: logs) { paths in
            try Host.makeTestImages(at: "\(paths.imagesDir)/test-images.tar")
        } _: { supervisor, runtime, paths in
            await ImageImporter(paths: paths, logger: logs.logger("images")).importAll()
            let sandboxConfig = PodSandboxConfig(
                metadata: PodSandboxMetadata(name: "probe", uid: UUID().uuidString, namespace: "default"),
                logDirectory: "\(paths.dataDir)/pods/probe", network: .node)
            let sandbox = try await runtime.runPodSandbox(sandboxConfig)
            do {
                let container = try await runtime.createContainer(
                    sandboxID: sandbox,
                    config: ContainerConfig(
                        metadata: ContainerMetadata(name: "main"), image: Self.testImage,
                        command: ["sh", "-c", "echo hi; sleep 30"], logPath: "main/0.log"),
                    sandboxConfig: sandboxConfig)
                try await runtime.startContainer(id: container)
                #expect(try await runtime.containerStatus(id: container).state == .running)
                #expect(try await runtime.podSandboxStatus(id: sandbox).state == .ready)
                #expect(try await runtime.listContainers(sandboxID: sandbox).map(\.id) == [container])

                let exec = try await runtime.execSync(
                    id: container, command: ["sh", "-c", "echo out; exit 3"], timeout: 5)
                #expect(exec.exitCode == 3)
                #expect(exec.stdout == Array("out\n".utf8))

                // kill -9 containerd: the supervisor restarts it and the container keeps running.
                let oldPID = try #require(supervisor.pid)
                kill(oldPID, SIGKILL)
                let start = ContinuousClock.now
                var newPID: Int32?
                while ContinuousClock.now - start < .seconds(20) {
                    try await Task.sleep(for: .milliseconds(200))
                    if let pid = supervisor.pid, pid != oldPID,
                        (try? await runtime.status())?.contains(where: {
                            $0.type == RuntimeCondition.runtimeReady && $0.status
                        })
                            == true
                    {
                        newPID = pid
                        break
                    }
                }
                #expect(newPID != nil, "containerd was not restarted")
                #expect(try await runtime.containerStatus(id: container).state == .running)
                #expect(try await runtime.execSync(id: container, command: ["true"], timeout: 5).exitCode == 0)

                try await runtime.stopContainer(id: container, timeout: 2)
                let stopped = try await runtime.containerStatus(id: container)
                #expect(stopped.state == .exited)
                try await runtime.removeContainer(id: container)
                #expect(try await runtime.listContainers(sandboxID: sandbox).isEmpty)
            } catch {
                try? await runtime.stopPodSandbox(id: sandbox)
                try? await runtime.removePodSandbox(id: sandbox)
                throw error
            }
            try await runtime.stopPodSandbox(id: sandbox)
            try await runtime.removePodSandbox(id: sandbox)
            #expect(try await runtime.listPodSandboxes().isEmpty)
        }
    }
}
