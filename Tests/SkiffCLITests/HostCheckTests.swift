import Foundation
import Testing

@testable import SkiffCLI

/// `skiff check-config`'s verdicts from fake host facts: a good host, then one broken fact at a time.
@Suite struct HostCheckTests {
    struct FakeHost: HostFacts {
        var files: [String: String]
        var executables: Set<String>
        var config: String?

        func file(_ path: String) -> String? { files[path] }
        func exists(_ path: String) -> Bool { files[path] != nil || files.keys.contains { $0.hasPrefix(path) } }
        func hasExecutable(_ name: String) -> Bool { executables.contains(name) }
        func kernelConfig(release: String) -> String? { config }

        /// Debian 12 on cgroup v2 with everything loaded.
        static let good = FakeHost(
            files: [
                "/proc/sys/kernel/osrelease": "6.1.0-31-amd64\n",
                "/sys/fs/cgroup/cgroup.controllers": "cpuset cpu io memory hugetlb pids rdma misc\n",
                "/proc/filesystems": "nodev\tsysfs\nnodev\ttmpfs\n\text4\nnodev\toverlay\n",
                "/proc/modules": "br_netfilter 32768 0 - Live 0x0\nnf_tables 311296 1 - Live 0x0\n",
                "/proc/sys/net/bridge/bridge-nf-call-iptables": "1\n",
                "/proc/sys/net/ipv4/ip_forward": "1\n",
                "/usr/lib/cni/bridge": "", "/usr/lib/cni/host-local": "", "/usr/lib/cni/portmap": "",
                "/usr/lib/cni/loopback": "",
            ],
            executables: ["iptables", "nft", "containerd", "containerd-shim-runc-v2", "runc"])
    }

    static func verdicts(_ host: FakeHost) -> [String: HostCheck.Verdict] {
        Dictionary(uniqueKeysWithValues: HostCheck.all(host).map { ($0.name, $0.verdict) })
    }

    /// The one check that is not a pass, with its verdict and fix.
    static func onlyProblem(_ host: FakeHost) throws -> HostCheck {
        let problems = HostCheck.all(host).filter { $0.verdict != .pass }
        try #require(problems.count == 1, "\(problems)")
        return problems[0]
    }

    @Test func aGoodHostPassesEveryCheck() {
        let checks = HostCheck.all(FakeHost.good)
        #expect(
            checks.map(\.name) == [
                "kernel", "cgroups", "overlayfs", "iptables", "nftables", "bridge netfilter", "ip_forward",
                "containerd", "CNI plugins",
            ])
        #expect(checks.allSatisfy { $0.verdict == .pass }, "\(checks.filter { $0.verdict != .pass })")
        #expect(checks[0].lines == ["ok    kernel: 6.1.0-31-amd64 (4.15 or newer)"])
    }

    @Test func anOldKernelFails() throws {
        var host = FakeHost.good
        host.files["/proc/sys/kernel/osrelease"] = "4.9.337-v7+\n"
        let problem = try Self.onlyProblem(host)
        #expect(problem.name == "kernel" && problem.verdict == .fail)
        #expect(problem.lines[0] == "FAIL  kernel: 4.9.337-v7+ is older than 4.15")
        host.files["/proc/sys/kernel/osrelease"] = "4.15.0\n"
        #expect(Self.verdicts(host)["kernel"] == .pass)
        host.files["/proc/sys/kernel/osrelease"] = "10.0.0\n"
        #expect(Self.verdicts(host)["kernel"] == .pass)
    }

    @Test func cgroupV2WithoutMemoryFailsWithTheRaspberryPiFix() throws {
        var host = FakeHost.good
        host.files["/sys/fs/cgroup/cgroup.controllers"] = "cpuset cpu io pids\n"
        let problem = try Self.onlyProblem(host)
        #expect(problem.name == "cgroups" && problem.verdict == .fail && problem.detail == "v2 without memory")
        #expect(problem.lines[1].contains("cgroup_enable=memory cgroup_memory=1"))
    }

    @Test func cgroupV1WarnsWhenCompleteAndFailsWithoutAController() throws {
        var host = FakeHost.good
        host.files["/sys/fs/cgroup/cgroup.controllers"] = nil
        let v1 = """
            #subsys_name\thierarchy\tnum_cgroups\tenabled
            cpuset\t3\t1\t1
            cpu\t1\t1\t1
            cpuacct\t2\t1\t1
            memory\t4\t1\t1
            devices\t5\t1\t1
            freezer\t6\t1\t1
            pids\t8\t1\t1

            """
        host.files["/proc/cgroups"] = v1
        #expect(try Self.onlyProblem(host).verdict == .warn)
        host.files["/proc/cgroups"] = v1.replacingOccurrences(of: "memory\t4\t1\t1", with: "memory\t0\t1\t0")
        let problem = try Self.onlyProblem(host)
        #expect(problem.verdict == .fail && problem.detail == "v1 without memory")
        host.files["/proc/cgroups"] = nil
        #expect(try Self.onlyProblem(host).verdict == .fail)
    }

    @Test func overlayfsFromProcTheKernelConfigOrAModuleFile() throws {
        var host = FakeHost.good
        host.files["/proc/filesystems"] = "nodev\tsysfs\n\text4\n"
        let problem = try Self.onlyProblem(host)
        #expect(problem.name == "overlayfs" && problem.verdict == .fail)
        #expect(problem.fix?.hasPrefix("modprobe overlay") == true)
        host.files["/lib/modules/6.1.0-31-amd64/kernel/fs/overlayfs/overlay.ko.xz"] = ""
        #expect(Self.verdicts(host)["overlayfs"] == .pass)
        host.files["/lib/modules/6.1.0-31-amd64/kernel/fs/overlayfs/overlay.ko.xz"] = nil
        host.config = "CONFIG_OVERLAY_FS=m\n"
        #expect(Self.verdicts(host)["overlayfs"] == .pass)
        host.config = "# CONFIG_OVERLAY_FS is not set\n"
        #expect(Self.verdicts(host)["overlayfs"] == .fail)
    }

    @Test func nftablesNeedsTheCommandAndTheKernel() throws {
        var host = FakeHost.good
        host.executables.remove("nft")
        var problem = try Self.onlyProblem(host)
        #expect(problem.name == "nftables" && problem.verdict == .fail && problem.fix == "apt-get install nftables")
        host = FakeHost.good
        host.files["/proc/modules"] = "br_netfilter 32768 0 - Live 0x0\n"
        host.config = "CONFIG_NF_TABLES=y\nCONFIG_OVERLAY_FS=y\n"
        #expect(Self.verdicts(host)["nftables"] == .pass)
        host.config = "# CONFIG_NF_TABLES is not set\n"
        problem = try Self.onlyProblem(host)
        #expect(problem.name == "nftables" && problem.verdict == .fail)
        // Nothing tells: neither a config nor a modules folder.
        host.config = nil
        #expect(try Self.onlyProblem(host).verdict == .warn)
        host.files["/lib/modules/6.1.0-31-amd64/modules.builtin"] = "kernel/net/netfilter/nf_tables.ko\n"
        #expect(Self.verdicts(host)["nftables"] == .pass)
    }

    @Test func iptablesContainerdAndCNIPluginsMustBeInstalled() throws {
        var host = FakeHost.good
        host.executables.remove("iptables")
        #expect(try Self.onlyProblem(host).fix == "apt-get install iptables")
        host = FakeHost.good
        host.executables.remove("runc")
        let containerd = try Self.onlyProblem(host)
        #expect(containerd.detail == "missing runc" && containerd.fix == "apt-get install containerd runc")
        host = FakeHost.good
        host.files["/usr/lib/cni/portmap"] = nil
        let cni = try Self.onlyProblem(host)
        #expect(
            cni.detail == "missing portmap in /usr/lib/cni" && cni.fix == "apt-get install containernetworking-plugins")
    }

    @Test func bridgeNetfilterNeedsTheModuleAndTheSysctl() throws {
        var host = FakeHost.good
        host.files["/proc/sys/net/bridge/bridge-nf-call-iptables"] = nil
        var problem = try Self.onlyProblem(host)
        #expect(problem.verdict == .fail && problem.fix?.hasPrefix("modprobe br_netfilter") == true)
        host.files["/proc/sys/net/bridge/bridge-nf-call-iptables"] = "0\n"
        problem = try Self.onlyProblem(host)
        #expect(problem.verdict == .fail && problem.fix == "sysctl -w net.bridge.bridge-nf-call-iptables=1")
        #expect(
            problem.lines == [
                "FAIL  bridge netfilter: net.bridge.bridge-nf-call-iptables=0",
                "      fix: sysctl -w net.bridge.bridge-nf-call-iptables=1",
            ])
    }

    @Test func ipForwardOffOnlyWarnsBecauseTheAgentTurnsItOn() throws {
        var host = FakeHost.good
        host.files["/proc/sys/net/ipv4/ip_forward"] = "0\n"
        let problem = try Self.onlyProblem(host)
        #expect(problem.verdict == .warn && problem.fix == "sysctl -w net.ipv4.ip_forward=1")
        #expect(problem.lines[0].hasPrefix("warn  ip_forward: net.ipv4.ip_forward=0"))
    }

    @Test func theFileReaderReadsUnderItsRoot() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("skiff-hc-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/proc/sys/kernel", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/boot", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/usr/sbin", withIntermediateDirectories: true)
        try "5.10.0\n".write(toFile: root + "/proc/sys/kernel/osrelease", atomically: true, encoding: .utf8)
        try "CONFIG_NF_TABLES=m\n".write(toFile: root + "/boot/config-5.10.0", atomically: true, encoding: .utf8)
        FileManager.default.createFile(
            atPath: root + "/usr/sbin/nft", contents: Data(), attributes: [.posixPermissions: 0o755])
        FileManager.default.createFile(
            atPath: root + "/usr/sbin/iptables", contents: Data(), attributes: [.posixPermissions: 0o644])
        let facts = HostFileFacts(root: root)
        #expect(facts.file("/proc/sys/kernel/osrelease") == "5.10.0\n")
        #expect(facts.kernelConfig(release: "5.10.0") == "CONFIG_NF_TABLES=m\n")
        #expect(facts.hasExecutable("nft"))
        #expect(!facts.hasExecutable("iptables"))  // not executable
        #expect(!facts.exists("/proc/filesystems"))
        let verdicts = Self.verdicts(FakeHost(files: [:], executables: [], config: nil))
        #expect(verdicts.values.allSatisfy { $0 != .pass })
    }
}
