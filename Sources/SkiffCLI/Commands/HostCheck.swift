import Foundation

/// What `skiff check-config` reads from the host: files (most of the facts are in /proc and /sys), executables and
/// the kernel's build configuration.
protocol HostFacts {
    /// A file's contents; nil when it is missing or unreadable.
    func file(_ path: String) -> String?
    func exists(_ path: String) -> Bool
    /// Whether `name` is an executable in PATH or the sbin folders.
    func hasExecutable(_ name: String) -> Bool
    /// The running kernel's `.config` (`/boot/config-RELEASE` or `/proc/config.gz`); nil when neither is there.
    func kernelConfig(release: String) -> String?
}

/// The host as it is, or under `root` (a fake /proc, /sys and /boot tree for tests).
struct HostFileFacts: HostFacts {
    var root = ""
    var searchPath = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]

    func file(_ path: String) -> String? { try? String(contentsOfFile: root + path, encoding: .utf8) }
    func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: root + path) }
    func hasExecutable(_ name: String) -> Bool {
        searchPath.contains { FileManager.default.isExecutableFile(atPath: "\(root)\($0)/\(name)") }
    }

    func kernelConfig(release: String) -> String? {
        if let config = file("/boot/config-\(release)") { return config }
        let compressed = root + "/proc/config.gz"
        guard FileManager.default.fileExists(atPath: compressed) else { return nil }
        // CONFIG_IKCONFIG_PROC kernels (Raspberry Pi OS, most embedded builds) only have the gzipped copy.
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = ["-dc", compressed]
        let output = Pipe()
        gzip.standardOutput = output
        gzip.standardError = FileHandle.nullDevice
        guard (try? gzip.run()) != nil else { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        gzip.waitUntilExit()
        return gzip.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
    }
}

/// One line of `skiff check-config`: what was checked, what was found and, when it failed, the fix.
struct HostCheck: Equatable {
    enum Verdict: Equatable {
        case pass
        /// Works, but not as well or not yet (skiff copes).
        case warn
        /// A node cannot run pods like this.
        case fail
    }

    var name: String
    var verdict: Verdict
    var detail: String
    var fix: String? = nil

    /// The oldest kernel the agent is known to work on (cgroup v2's controllers, nftables' maps).
    static let minimumKernel = (major: 4, minor: 15)
    /// The CNI plugins the agent's pod network uses (Debian's containernetworking-plugins).
    static let cniPlugins = ["bridge", "host-local", "portmap", "loopback"]
    static let cniBinDir = "/usr/lib/cni"

    /// Every check, in order; a pure function of `facts`.
    static func all(_ facts: some HostFacts) -> [HostCheck] {
        let release = facts.file("/proc/sys/kernel/osrelease")?.trimmingCharacters(in: .whitespacesAndNewlines)
        return [
            kernel(release), cgroups(facts), overlay(facts, release: release), iptables(facts),
            nftables(facts, release: release), bridgeNetfilter(facts), ipForward(facts), containerd(facts),
            cni(facts),
        ]
    }

    static func kernel(_ release: String?) -> HostCheck {
        guard let release else {
            return HostCheck(
                name: "kernel", verdict: .fail, detail: "cannot read /proc/sys/kernel/osrelease",
                fix: "mount /proc (skiff runs on Linux only)")
        }
        let numbers = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        let (major, minor) = (numbers.first ?? 0, numbers.count > 1 ? numbers[1] : 0)
        let needed = "\(minimumKernel.major).\(minimumKernel.minor)"
        if (major, minor) >= minimumKernel {
            return HostCheck(name: "kernel", verdict: .pass, detail: "\(release) (\(needed) or newer)")
        }
        return HostCheck(
            name: "kernel", verdict: .fail, detail: "\(release) is older than \(needed)",
            fix: "upgrade to a kernel \(needed) or newer (Debian 12's 6.1 works)")
    }

    static func cgroups(_ facts: some HostFacts) -> HostCheck {
        let fix =
            "enable the missing controllers: add cgroup_enable=memory cgroup_memory=1 to the kernel command line "
            + "(Raspberry Pi: /boot/firmware/cmdline.txt) and reboot"
        if let controllers = facts.file("/sys/fs/cgroup/cgroup.controllers") {
            let present = Set(controllers.split(whereSeparator: \.isWhitespace).map(String.init))
            let missing = ["cpu", "memory", "pids"].filter { !present.contains($0) }
            if missing.isEmpty {
                return HostCheck(
                    name: "cgroups", verdict: .pass,
                    detail: "v2 with \(present.sorted().joined(separator: " "))")
            }
            return HostCheck(
                name: "cgroups", verdict: .fail, detail: "v2 without \(missing.joined(separator: ", "))", fix: fix)
        }
        guard let table = facts.file("/proc/cgroups") else {
            return HostCheck(
                name: "cgroups", verdict: .fail, detail: "neither /sys/fs/cgroup/cgroup.controllers nor /proc/cgroups",
                fix: "mount the cgroup2 file system on /sys/fs/cgroup (systemd does it at boot)")
        }
        // `#subsys_name hierarchy num_cgroups enabled`
        var enabled = Set<String>()
        for line in table.split(separator: "\n") where !line.hasPrefix("#") {
            let fields = line.split(whereSeparator: \.isWhitespace)
            if fields.count >= 4, fields[3] == "1" { enabled.insert(String(fields[0])) }
        }
        let missing = ["cpu", "cpuacct", "memory", "pids", "devices", "freezer"].filter { !enabled.contains($0) }
        if missing.isEmpty {
            return HostCheck(
                name: "cgroups", verdict: .warn, detail: "v1 with the needed controllers (v2 is preferred)",
                fix: "for cgroup v2 add systemd.unified_cgroup_hierarchy=1 to the kernel command line and reboot")
        }
        return HostCheck(
            name: "cgroups", verdict: .fail, detail: "v1 without \(missing.joined(separator: ", "))", fix: fix)
    }

    /// What the kernel has of a feature that may be a module.
    enum KernelSupport: Equatable {
        /// Loaded, built in, or a module the kernel loads on first use; how, in words.
        case present(String)
        case absent
        /// Neither the kernel's config nor its modules folder is there to tell.
        case unknown
    }

    /// Whether the kernel has module `name` (option `option` in its config, `path`.ko under /lib/modules/RELEASE).
    static func kernelSupport(
        _ facts: some HostFacts, release: String?, module name: String, option: String, path: String
    ) -> KernelSupport {
        if facts.file("/proc/modules")?.split(separator: "\n").contains(where: { $0.hasPrefix(name + " ") }) == true {
            return .present("loaded")
        }
        guard let release else { return .unknown }
        if let config = facts.kernelConfig(release: release) {
            let lines = config.split(separator: "\n")
            if lines.contains("\(option)=y") { return .present("built in") }
            if lines.contains("\(option)=m") { return .present("module, loaded on first use") }
            return .absent
        }
        let base = "/lib/modules/\(release)/"
        if facts.file(base + "modules.builtin")?.split(separator: "\n").contains(where: {
            $0.hasSuffix("/\(name).ko")
        }) == true {
            return .present("built in")
        }
        if ["", ".xz", ".zst", ".gz"].contains(where: { facts.exists(base + path + ".ko" + $0) }) {
            return .present("module, loaded on first use")
        }
        return facts.exists(base) ? .absent : .unknown
    }

    static func overlay(_ facts: some HostFacts, release: String?) -> HostCheck {
        let filesystems = facts.file("/proc/filesystems") ?? ""
        if filesystems.split(separator: "\n").contains(where: { $0.split(separator: "\t").last == "overlay" }) {
            return HostCheck(name: "overlayfs", verdict: .pass, detail: "in /proc/filesystems")
        }
        switch kernelSupport(
            facts, release: release, module: "overlay", option: "CONFIG_OVERLAY_FS", path: "kernel/fs/overlayfs/overlay"
        )
        {
        case .present(let how): return HostCheck(name: "overlayfs", verdict: .pass, detail: how)
        case .unknown, .absent:
            return HostCheck(
                name: "overlayfs", verdict: .fail, detail: "not in /proc/filesystems and no overlay module",
                fix: "modprobe overlay (and add overlay to /etc/modules-load.d/skiff.conf)")
        }
    }

    static func iptables(_ facts: some HostFacts) -> HostCheck {
        if facts.hasExecutable("iptables") {
            return HostCheck(name: "iptables", verdict: .pass, detail: "iptables found")
        }
        return HostCheck(
            name: "iptables", verdict: .fail, detail: "no iptables command (pod masquerading and CNI portmap need it)",
            fix: "apt-get install iptables")
    }

    static func nftables(_ facts: some HostFacts, release: String?) -> HostCheck {
        guard facts.hasExecutable("nft") else {
            return HostCheck(
                name: "nftables", verdict: .fail, detail: "no nft command (the service proxy needs it)",
                fix: "apt-get install nftables")
        }
        switch kernelSupport(
            facts, release: release, module: "nf_tables", option: "CONFIG_NF_TABLES",
            path: "kernel/net/netfilter/nf_tables")
        {
        case .present(let how):
            return HostCheck(name: "nftables", verdict: .pass, detail: "nft found, nf_tables \(how)")
        case .unknown:
            return HostCheck(
                name: "nftables", verdict: .warn,
                detail: "nft found; no kernel config or modules folder tells whether the kernel has nf_tables",
                fix: "nft list tables must work (modprobe nf_tables)")
        case .absent:
            return HostCheck(
                name: "nftables", verdict: .fail, detail: "nft found but the kernel has no nf_tables",
                fix: "use a kernel built with CONFIG_NF_TABLES (modprobe nf_tables if it is a module)")
        }
    }

    static func bridgeNetfilter(_ facts: some HostFacts) -> HostCheck {
        let sysctl = "/proc/sys/net/bridge/bridge-nf-call-iptables"
        guard let value = facts.file(sysctl)?.trimmingCharacters(in: .whitespacesAndNewlines) else {
            return HostCheck(
                name: "bridge netfilter", verdict: .fail,
                detail: "br_netfilter is not loaded (no \(sysctl)): pods cannot reach Services on their own node",
                fix: "modprobe br_netfilter && echo br_netfilter >> /etc/modules-load.d/skiff.conf")
        }
        if value == "1" {
            return HostCheck(name: "bridge netfilter", verdict: .pass, detail: "net.bridge.bridge-nf-call-iptables=1")
        }
        return HostCheck(
            name: "bridge netfilter", verdict: .fail, detail: "net.bridge.bridge-nf-call-iptables=\(value)",
            fix: "sysctl -w net.bridge.bridge-nf-call-iptables=1")
    }

    static func ipForward(_ facts: some HostFacts) -> HostCheck {
        let value = facts.file("/proc/sys/net/ipv4/ip_forward")?.trimmingCharacters(in: .whitespacesAndNewlines)
        if value == "1" { return HostCheck(name: "ip_forward", verdict: .pass, detail: "net.ipv4.ip_forward=1") }
        // The agent turns it on when it sets up the pod network; off only matters to what runs before it.
        return HostCheck(
            name: "ip_forward", verdict: .warn,
            detail: "net.ipv4.ip_forward=\(value ?? "unknown") (the agent turns it on when it starts)",
            fix: "sysctl -w net.ipv4.ip_forward=1")
    }

    static func containerd(_ facts: some HostFacts) -> HostCheck {
        let missing = ["containerd", "containerd-shim-runc-v2", "runc"].filter { !facts.hasExecutable($0) }
        if missing.isEmpty {
            return HostCheck(name: "containerd", verdict: .pass, detail: "containerd, its runc shim and runc found")
        }
        return HostCheck(
            name: "containerd", verdict: .fail, detail: "missing \(missing.joined(separator: ", "))",
            fix: "apt-get install containerd runc")
    }

    static func cni(_ facts: some HostFacts) -> HostCheck {
        let missing = cniPlugins.filter { !facts.exists("\(cniBinDir)/\($0)") }
        if missing.isEmpty {
            return HostCheck(
                name: "CNI plugins", verdict: .pass, detail: "\(cniPlugins.joined(separator: ", ")) in \(cniBinDir)")
        }
        return HostCheck(
            name: "CNI plugins", verdict: .fail, detail: "missing \(missing.joined(separator: ", ")) in \(cniBinDir)",
            fix: "apt-get install containernetworking-plugins")
    }

    /// The printed lines: `ok`, `warn` or `FAIL`, the check and what was found; a failure's fix below it.
    var lines: [String] {
        let mark =
            switch verdict {
            case .pass: "ok  "
            case .warn: "warn"
            case .fail: "FAIL"
            }
        var lines = ["\(mark)  \(name): \(detail)"]
        if verdict != .pass, let fix { lines.append("      fix: \(fix)") }
        return lines
    }
}
