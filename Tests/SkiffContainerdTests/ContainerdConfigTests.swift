import Testing

@testable import SkiffContainerd

@Suite struct ContainerdConfigTests {
    let paths = ContainerdPaths(dataDir: "/var/lib/skiff/")

    @Test func pathsStayUnderTheDataDir() {
        #expect(paths.socket == "/var/lib/skiff/agent/containerd/containerd.sock")
        #expect(paths.configFile == "/var/lib/skiff/agent/etc/containerd/config.toml")
        #expect(paths.cniConfDir == "/var/lib/skiff/agent/etc/cni/net.d")
        #expect(paths.imagesDir == "/var/lib/skiff/agent/images")
        #expect(paths.root != paths.state)
        for path in [paths.root, paths.state, paths.socket, paths.runcRoot, paths.optDir, paths.logFile] {
            #expect(path.hasPrefix("/var/lib/skiff/agent/"))
        }
    }

    @Test func rendersTheVerifiedSettings() {
        let toml = ContainerdConfig(paths: paths).render()
        let expected = [
            "version = 2",
            #"root = "/var/lib/skiff/agent/containerd""#,
            #"state = "/var/lib/skiff/agent/run/containerd""#,
            #"address = "/var/lib/skiff/agent/containerd/containerd.sock""#,
            #"path = "/var/lib/skiff/agent/containerd/opt""#,
            #"sandbox_image = "registry.k8s.io/pause:3.10""#,
            #"stream_server_address = "127.0.0.1""#,
            #"stream_server_port = "0""#,
            "restrict_oom_score_adj = true",
            #"snapshotter = "overlayfs""#,
            #"runtime_type = "io.containerd.runc.v2""#,
            #"Root = "/var/lib/skiff/agent/run/runc""#,
            "SystemdCgroup = false",
            #"bin_dir = "/usr/lib/cni""#,
            #"conf_dir = "/var/lib/skiff/agent/etc/cni/net.d""#,
            "max_conf_num = 1",
            #"[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]"#,
            #""io.containerd.snapshotter.v1.btrfs""#,
            #""io.containerd.internal.v1.tracing""#,
        ]
        let lines = toml.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        for line in expected {
            #expect(lines.contains(where: { $0 == line || $0.contains(line) }), "missing: \(line)")
        }
        // Disabling the v1 linux runtime would take the CRI plugin down with it.
        #expect(!toml.contains("io.containerd.runtime.v1.linux"))
    }

    @Test func optionsOverrideDefaults() {
        let toml = ContainerdConfig(
            paths: paths, sandboxImage: "docker.io/library/pause:3.9", streamServerPort: 10010,
            cniBinDir: "/opt/cni/bin",
            logLevel: "debug"
        ).render()
        #expect(toml.contains(#"sandbox_image = "docker.io/library/pause:3.9""#))
        #expect(toml.contains(#"stream_server_port = "10010""#))
        #expect(toml.contains(#"bin_dir = "/opt/cni/bin""#))
        #expect(toml.contains(#"level = "debug""#))
    }

    @Test func quotesTOMLStrings() {
        let config = ContainerdConfig(paths: ContainerdPaths(dataDir: #"/tmp/a "b"\c"#))
        #expect(config.quoted(#"a "b"\c"#) == #""a \"b\"\\c""#)
        #expect(config.quoted("x\ny\u{1}") == #""x\ny\u0001""#)
        #expect(config.render().contains(#"root = "/tmp/a \"b\"\\c/agent/containerd""#))
    }
}

@Suite struct RestartBackoffTests {
    @Test func doublesUpToTheMaximumAndResetsAfterAStableRun() {
        var backoff = RestartBackoff(initial: .milliseconds(500), maximum: .seconds(4), resetAfter: .seconds(60))
        let delays = (0..<6).map { _ in backoff.delay(afterRunOf: .seconds(1)) }
        #expect(delays == [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(4), .seconds(4)])
        #expect(backoff.delay(afterRunOf: .seconds(61)) == .milliseconds(500))
        #expect(backoff.delay(afterRunOf: .seconds(1)) == .seconds(1))
    }

    @Test func missingBinaryNamesThePackage() {
        let error = ContainerdError.notInstalled("containerd")
        #expect(
            error.description
                == "containerd not found in PATH: install it with apt-get install containerd runc containernetworking-plugins"
        )
        #expect(!error.description.contains("\n"))
        #expect(findExecutable("containerd-definitely-missing", path: "/nonexistent") == nil)
        #expect(findExecutable("sh", path: "/nonexistent:/bin") == "/bin/sh")
    }
}
