import Foundation
import Testing

@testable import SkiffCLI

/// Multicall dispatch, `skiff ctr`'s defaults, the passthrough's PATH search and the completion scripts.
@Suite struct OperatorCommandTests {
    @Test(arguments: [
        (["/usr/local/bin/kubectl", "get", "pods"], ["kubectl", "get", "pods"]),
        (["crictl", "ps", "-a"], ["crictl", "ps", "-a"]),
        (["/usr/local/bin/ctr", "images", "ls"], ["ctr", "images", "ls"]),
        (["/usr/local/bin/skiff", "server"], ["server"]),
        (["./skiff-dev"], []),
        (["/opt/kubectl-wrapper/skiff", "version"], ["version"]),
    ])
    func aLinkNamedAfterAToolRunsThatSubcommand(argv: [String], parsed: [String]) {
        #expect(SkiffCommand.arguments(forInvocation: argv) == parsed)
    }

    @Test func ctrGetsTheAgentsSocketAndK8sNamespaceUnlessGiven() throws {
        func argv(_ arguments: [String], _ environment: [String: String] = [:]) throws -> [String] {
            try CtrCommand.argv(ctr: "/usr/bin/ctr", arguments: arguments, environment: environment)
        }
        let socket = "/var/lib/skiff/agent/containerd/containerd.sock"
        #expect(
            try argv(["images", "ls"], ["SKIFF_DATA_DIR": "/var/lib/skiff"])
                == ["/usr/bin/ctr", "--address", socket, "--namespace", "k8s.io", "images", "ls"])
        #expect(
            try argv(["--data-dir", "/d", "images", "ls"])
                == [
                    "/usr/bin/ctr", "--address", "/d/agent/containerd/containerd.sock", "--namespace", "k8s.io",
                    "images",
                    "ls",
                ])
        #expect(
            try argv(["--data-dir=/d", "-n", "moby", "c", "ls"]).prefix(3) == [
                "/usr/bin/ctr", "--address", "/d/agent/containerd/containerd.sock",
            ])
        #expect(try argv(["--data-dir=/d", "-n", "moby", "c", "ls"]).suffix(4) == ["-n", "moby", "c", "ls"])
        #expect(
            try argv(["--timeout", "5s", "-a", "/x.sock", "tasks", "ls"]) == [
                "/usr/bin/ctr", "--namespace", "k8s.io", "--timeout", "5s", "-a", "/x.sock", "tasks", "ls",
            ])
        #expect(
            try argv(["--address=/x.sock", "--namespace=n", "ls"]) == [
                "/usr/bin/ctr", "--address=/x.sock", "--namespace=n", "ls",
            ])
        // Only ctr's global options count: `-n` after the subcommand is the subcommand's.
        #expect(try argv(["images", "ls", "-n", "x"], ["SKIFF_DATA_DIR": "/d"]).contains("k8s.io"))
        #expect(
            try argv(["images", "ls"], ["CONTAINERD_ADDRESS": "/y.sock", "CONTAINERD_NAMESPACE": "default"])
                == ["/usr/bin/ctr", "images", "ls"])
        #expect(throws: (any Error).self) { try argv(["--data-dir"]) }
    }

    @Test func thePassthroughSkipsSkiffItselfInPATH() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-pt-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let links = folder + "/links"
        let real = folder + "/real"
        try FileManager.default.createDirectory(atPath: links, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: real, withIntermediateDirectories: true)
        let own = folder + "/skiff"
        FileManager.default.createFile(
            atPath: own, contents: Data("#!/bin/sh\n".utf8), attributes: [.posixPermissions: 0o755])
        FileManager.default.createFile(
            atPath: real + "/kubectl", contents: Data("#!/bin/sh\n".utf8), attributes: [.posixPermissions: 0o755])
        try FileManager.default.createSymbolicLink(atPath: links + "/kubectl", withDestinationPath: own)
        let ownReal = try #require(Passthrough.resolved(own))
        #expect(Passthrough.find("kubectl", path: "\(links):\(real)", excluding: ownReal) == real + "/kubectl")
        #expect(Passthrough.find("kubectl", path: links, excluding: ownReal) == nil)
        #expect(Passthrough.find("kubectl", path: "\(links):\(real)", excluding: nil) == links + "/kubectl")
        #expect(Passthrough.find("ctr", path: "\(links):\(real)", excluding: ownReal) == nil)
    }

    @Test(arguments: CompletionCommand.Shell.allCases)
    func completionScriptsNameEverySubcommand(shell: CompletionCommand.Shell) {
        let script = SkiffCommand.completionScript(for: shell.completionShell)
        for name in ["server", "agent", "crictl", "ctr", "check-config", "completion", "inspectp"] {
            #expect(script.contains(name), "\(shell) script lacks \(name)")
        }
    }
}

/// `skiff datastore migrate --from`.
@Suite struct DatastoreMigrateArgumentTests {
    @Test(
        arguments: [
            (nil, "/d/server/db/state.db"),
            ("sqlite:/x/state.db", "/x/state.db"),
            ("sqlite:///x/state.db", "/x/state.db"),
            ("sqlite:rel/state.db", "rel/state.db"),
            ("/x/state.db", "/x/state.db"),
        ] as [(String?, String)])
    func fromNamesTheSQLiteFile(from: String?, path: String) throws {
        #expect(try DatastoreCommand.Migrate.sourcePath(from, dataDir: "/d") == path)
    }

    @Test func fromRefusesOtherDatastores() {
        #expect(throws: ConfigError.self) {
            try DatastoreCommand.Migrate.sourcePath("postgres://u:p@h/db", dataDir: "/d")
        }
        #expect(throws: ConfigError.self) { try DatastoreCommand.Migrate.sourcePath("sqlite:", dataDir: "/d") }
    }
}
