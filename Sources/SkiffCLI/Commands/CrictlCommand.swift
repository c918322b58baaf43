import ArgumentParser
import Foundation
import Logging
import SkiffAgent
import SkiffCRI
import SkiffContainerd
import SkiffModel

/// `skiff crictl`: crictl's debugging commands against this node's own containerd (the embedded agent's socket
/// under the data dir), so an operator on the box needs no crictl binary nor a crictl.yaml.
struct CrictlCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crictl",
        abstract: "Inspect this node's pods, containers and images over CRI, as crictl does.",
        subcommands: [
            Ps.self, Pods.self, Images.self, Logs.self, Exec.self, Inspect.self, InspectPod.self, InspectImage.self,
            Version.self, Info.self,
        ])

    /// crictl's global options, given before the subcommand (`crictl -r … ps`); a subcommand's own win.
    @OptionGroup var global: Endpoint

    /// Which CRI socket: `--runtime-endpoint`, else `CONTAINER_RUNTIME_ENDPOINT`, else the agent's containerd under
    /// `--data-dir` (`SKIFF_DATA_DIR`, default /var/lib/skiff).
    struct Endpoint: ParsableArguments {
        @Option(
            name: [.customShort("r"), .long],
            help:
                "CRI endpoint: unix:///path or a socket path (default: $CONTAINER_RUNTIME_ENDPOINT, else the agent's).")
        var runtimeEndpoint: String?

        @Option(name: [.customShort("d"), .long], help: "The agent's data folder (default /var/lib/skiff).")
        var dataDir: String?

        @Option(help: "Seconds each CRI call may take (default 10).")
        var timeout: Int?

        var callTimeout: Duration { .seconds(timeout ?? 10) }

        /// These options, with `base`'s where these have none.
        func merged(over base: Endpoint) -> Endpoint {
            var merged = self
            merged.runtimeEndpoint = runtimeEndpoint ?? base.runtimeEndpoint
            merged.dataDir = dataDir ?? base.dataDir
            merged.timeout = timeout ?? base.timeout
            return merged
        }

        /// The socket path, from the flags and the environment.
        static func socket(endpoint: String?, dataDir: String?, environment: [String: String]) -> String {
            if let endpoint = endpoint ?? environment["CONTAINER_RUNTIME_ENDPOINT"], !endpoint.isEmpty {
                return ContainerdNode.socketPath(endpoint)
            }
            return ContainerdPaths(dataDir: dataDir ?? environment["SKIFF_DATA_DIR"] ?? Defaults.dataDir).socket
        }

        var socket: String {
            Self.socket(endpoint: runtimeEndpoint, dataDir: dataDir, environment: ProcessInfo.processInfo.environment)
        }

        /// Fails at once, with what to check, when there is no socket to talk to.
        func checkedSocket() throws -> String {
            let socket = self.socket
            guard FileManager.default.fileExists(atPath: socket) else {
                throw CrictlError(
                    "no CRI socket at \(socket): is the skiff agent running on this machine? "
                        + "(set --data-dir to its data folder, or --runtime-endpoint)")
            }
            return socket
        }

        func withRuntime<T: Sendable>(_ body: (CRIRuntime) async throws -> T) async throws -> T {
            var logger = Logger(label: "skiff-crictl")
            logger.logLevel = .critical
            let socket = try checkedSocket()
            do {
                return try await CRIRuntime.withRuntime(
                    socket: socket, callTimeout: callTimeout, logger: logger, body)
            } catch let error as SkiffCRI.RuntimeError {
                throw CrictlError(error.message)
            }
        }

        func withInspector<T: Sendable>(_ body: (CRIInspector) async throws -> T) async throws -> T {
            let socket = try checkedSocket()
            do {
                return try await CRIInspector.withInspector(socket: socket, callTimeout: callTimeout, body)
            } catch let error as SkiffCRI.RuntimeError {
                throw CrictlError(error.message)
            }
        }
    }

    static func regex(_ pattern: String?, _ flag: String) throws -> Regex<AnyRegexOutput>? {
        guard let pattern else { return nil }
        do { return try Regex(pattern) } catch {
            throw ValidationError("--\(flag): not a regular expression: \(error)")
        }
    }

    static func labels(_ selectors: [String]) throws -> [String: String] {
        var labels: [String: String] = [:]
        for selector in selectors {
            let parts = selector.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { throw ValidationError("--label must be key=value, not \(selector)") }
            labels[String(parts[0])] = String(parts[1])
        }
        return labels
    }

    static func write(_ bytes: [UInt8], to handle: FileHandle) {
        if !bytes.isEmpty { handle.write(Data(bytes)) }
    }

    // MARK: - Listings

    struct Ps: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List containers (running ones unless --all).")

        @OptionGroup var own: Endpoint
        @ParentCommand var crictl: CrictlCommand
        var endpoint: Endpoint { own.merged(over: crictl.global) }

        @Flag(name: .shortAndLong, help: "Show containers in every state.")
        var all = false

        @Flag(name: .shortAndLong, help: "Print only the container IDs.")
        var quiet = false

        @Option(help: "Only containers whose name matches this regular expression.")
        var name: String?

        @Option(help: "Only the containers of this pod (its ID or a unique prefix).")
        var pod: String?

        @Option(help: "Only containers in this state: created, running, exited or unknown.")
        var state: String?

        @Option(help: "Only containers with this label (key=value; repeatable).")
        var label: [String] = []

        func run() async throws {
            let state: ContainerState? =
                switch self.state?.lowercased() {
                case nil: nil
                case "created": .created
                case "running": .running
                case "exited": .exited
                case "unknown": .unknown
                case let other?:
                    throw ValidationError("--state must be created, running, exited or unknown, not \(other)")
                }
            let name = try CrictlCommand.regex(name, "name")
            let labels = try CrictlCommand.labels(label)
            let pod = self.pod
            let (containers, podIDs) = try await endpoint.withRuntime { runtime in
                let containers = try await runtime.listContainers(sandboxID: nil)
                guard let pod else { return (containers, Set<String>?.none) }
                let ids = try await runtime.listPodSandboxes().map(\.id)
                return (containers, Set([try CrictlFormat.resolve(pod, among: ids, kind: "pod")]))
            }
            let selected = CrictlFormat.filter(
                containers, all: all, state: state, name: name, podIDs: podIDs, labels: labels)
            for line in CrictlFormat.containers(selected, now: Date(), quiet: quiet) { print(line) }
        }
    }

    struct Pods: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List pod sandboxes.")

        @OptionGroup var own: Endpoint
        @ParentCommand var crictl: CrictlCommand
        var endpoint: Endpoint { own.merged(over: crictl.global) }

        @Flag(name: .shortAndLong, help: "Print only the pod IDs.")
        var quiet = false

        @Option(help: "Only pods whose name matches this regular expression.")
        var name: String?

        @Option(help: "Only pods whose namespace matches this regular expression.")
        var namespace: String?

        @Option(help: "Only pods in this state: ready or notready.")
        var state: String?

        @Option(help: "Only pods with this label (key=value; repeatable).")
        var label: [String] = []

        func run() async throws {
            let state: SandboxState? =
                switch self.state?.lowercased() {
                case nil: nil
                case "ready", "sandbox_ready": .ready
                case "notready", "sandbox_notready": .notReady
                case let other?: throw ValidationError("--state must be ready or notready, not \(other)")
                }
            let name = try CrictlCommand.regex(name, "name")
            let namespace = try CrictlCommand.regex(namespace, "namespace")
            let labels = try CrictlCommand.labels(label)
            let pods = try await endpoint.withRuntime { runtime in try await runtime.listPodSandboxes() }
            let selected = CrictlFormat.filter(pods, name: name, namespace: namespace, state: state, labels: labels)
            for line in CrictlFormat.pods(selected, now: Date(), quiet: quiet) { print(line) }
        }
    }

    struct Images: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List images.")

        @OptionGroup var own: Endpoint
        @ParentCommand var crictl: CrictlCommand
        var endpoint: Endpoint { own.merged(over: crictl.global) }

        @Flag(name: .shortAndLong, help: "Print only the image IDs.")
        var quiet = false

        @Argument(help: "Only this image (a reference or an ID prefix).")
        var image: String?

        func run() async throws {
            var images = try await endpoint.withRuntime { runtime in try await runtime.listImages() }
            if let image { images = [try CrictlFormat.findImage(image, in: images)] }
            for line in CrictlFormat.images(images, quiet: quiet) { print(line) }
        }
    }

    struct Version: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the runtime's name and version.")

        @OptionGroup var own: Endpoint
        @ParentCommand var crictl: CrictlCommand
        var endpoint: Endpoint { own.merged(over: crictl.global) }

        func run() async throws {
            let version = try await endpoint.withRuntime { runtime in try await runtime.version() }
            for line in CrictlFormat.version(version) { print(line) }
        }
    }

    struct Info: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the runtime's conditions (RuntimeReady, NetworkReady) as JSON.")

        @OptionGroup var own: Endpoint
        @ParentCommand var crictl: CrictlCommand
        var endpoint: Endpoint { own.merged(over: crictl.global) }

        func run() async throws {
            let conditions = try await endpoint.withRuntime { runtime in try await runtime.status() }
            print(String(decoding: CrictlFormat.info(conditions).serialized(.pretty), as: UTF8.self))
        }
    }

    // MARK: - Logs and exec

    struct Logs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a container's log (its standard error to standard error).")

        @OptionGroup var own: Endpoint
        @ParentCommand var crictl: CrictlCommand
        var endpoint: Endpoint { own.merged(over: crictl.global) }

        @Option(help: "Only the last N lines (-1: all).")
        var tail = -1

        @Flag(name: .shortAndLong, help: "Keep printing new lines until the container stops.")
        var follow = false

        @Argument(help: "The container's ID or a unique prefix.")
        var container: String

        func run() async throws {
            let query = container
            let tail = self.tail
            let follow = self.follow
            try await endpoint.withRuntime { runtime in
                let id = try CrictlFormat.resolve(
                    query, among: try await runtime.listContainers(sandboxID: nil).map(\.id), kind: "container")
                let status = try await runtime.containerStatus(id: id)
                guard !status.logPath.isEmpty, let handle = FileHandle(forReadingAtPath: status.logPath) else {
                    throw CrictlError("container \(id) has no readable log file (\(status.logPath))")
                }
                defer { try? handle.close() }
                if tail >= 0 {
                    let bytes = [UInt8]((try handle.readToEnd()) ?? Data())
                    try handle.seek(toOffset: UInt64(ContainerLogFormatter.tailOffset(bytes, lines: tail)))
                }
                var splitter = CrictlFormat.LogSplitter()
                var lastCheck = ContinuousClock.now
                while true {
                    let chunk = try handle.read(upToCount: 64 * 1024) ?? Data()
                    for (stream, bytes) in splitter.split(chunk) {
                        CrictlCommand.write(bytes, to: stream == .stderr ? .standardError : .standardOutput)
                    }
                    if !chunk.isEmpty { continue }
                    guard follow else { break }
                    // At the end of the file: wait for more while the container still runs (checked each second).
                    if ContinuousClock.now - lastCheck > .seconds(1) {
                        lastCheck = ContinuousClock.now
                        if (try? await runtime.containerStatus(id: id))?.state != .running {
                            for (stream, bytes) in splitter.split(try handle.readToEnd() ?? Data()) {
                                CrictlCommand.write(bytes, to: stream == .stderr ? .standardError : .standardOutput)
                            }
                            break
                        }
                    }
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
        }
    }

    struct Exec: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a command in a container and print its output; its exit status is skiff's.",
            discussion: "Not interactive: for a terminal, use kubectl exec -it POD -- CMD.")

        @OptionGroup var own: Endpoint
        @ParentCommand var crictl: CrictlCommand
        var endpoint: Endpoint { own.merged(over: crictl.global) }

        @Flag(name: .shortAndLong, help: "Keep standard input open (not supported: use kubectl exec -it).")
        var interactive = false

        @Flag(name: .shortAndLong, help: "Allocate a terminal (not supported: use kubectl exec -it).")
        var tty = false

        @Option(help: "Seconds the command may run (0: no limit).")
        var execTimeout: Int64 = 0

        @Argument(help: "The container's ID or a unique prefix.")
        var container: String

        @Argument(parsing: .captureForPassthrough, help: "The command and its arguments.")
        var command: [String] = []

        func validate() throws {
            if interactive || tty {
                throw ValidationError(
                    "skiff crictl exec runs commands without a terminal or standard input; "
                        + "for an interactive shell use: kubectl exec -it POD -- sh")
            }
            if command.isEmpty { throw ValidationError("missing the command to run") }
        }

        func run() async throws {
            // `exec ID -- CMD …`: the separator is not part of the command.
            let command = self.command.first == "--" ? Array(self.command.dropFirst()) : self.command
            let (query, timeout) = (container, execTimeout)
            let result = try await endpoint.withRuntime { runtime in
                let id = try CrictlFormat.resolve(
                    query, among: try await runtime.listContainers(sandboxID: nil).map(\.id), kind: "container")
                return try await runtime.execSync(id: id, command: command, timeout: timeout)
            }
            CrictlCommand.write(result.stdout, to: .standardOutput)
            CrictlCommand.write(result.stderr, to: .standardError)
            if result.exitCode != 0 { throw ExitCode(result.exitCode) }
        }
    }

    // MARK: - Inspection

    struct Inspect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show containers' status and runtime info as JSON.")

        @OptionGroup var own: Endpoint
        @ParentCommand var crictl: CrictlCommand
        var endpoint: Endpoint { own.merged(over: crictl.global) }

        @Argument(help: "Container IDs or unique prefixes.")
        var containers: [String]

        func run() async throws {
            let queries = containers
            let ids = try await endpoint.withRuntime { runtime in
                let all = try await runtime.listContainers(sandboxID: nil).map(\.id)
                return try queries.map { query throws(CrictlError) in
                    try CrictlFormat.resolve(query, among: all, kind: "container")
                }
            }
            try await endpoint.withInspector { inspector in
                for id in ids { print(try await inspector.containerStatus(id: id)) }
            }
        }
    }

    struct InspectPod: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "inspectp", abstract: "Show pod sandboxes' status and runtime info as JSON.")

        @OptionGroup var own: Endpoint
        @ParentCommand var crictl: CrictlCommand
        var endpoint: Endpoint { own.merged(over: crictl.global) }

        @Argument(help: "Pod IDs or unique prefixes.")
        var pods: [String]

        func run() async throws {
            let queries = pods
            let ids = try await endpoint.withRuntime { runtime in
                let all = try await runtime.listPodSandboxes().map(\.id)
                return try queries.map { query throws(CrictlError) in
                    try CrictlFormat.resolve(query, among: all, kind: "pod")
                }
            }
            try await endpoint.withInspector { inspector in
                for id in ids { print(try await inspector.podSandboxStatus(id: id)) }
            }
        }
    }

    struct InspectImage: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "inspecti", abstract: "Show images' status and runtime info as JSON.")

        @OptionGroup var own: Endpoint
        @ParentCommand var crictl: CrictlCommand
        var endpoint: Endpoint { own.merged(over: crictl.global) }

        @Argument(help: "Image references, IDs or unique ID prefixes.")
        var images: [String]

        func run() async throws {
            let queries = images
            let ids = try await endpoint.withRuntime { runtime in
                let all = try await runtime.listImages()
                return try queries.map { query throws(CrictlError) in try CrictlFormat.findImage(query, in: all).id }
            }
            try await endpoint.withInspector { inspector in
                for id in ids { print(try await inspector.imageStatus(id)) }
            }
        }
    }
}
