import Foundation
import SkiffModel

/// What the node reports about the machine it runs on: read once at start (and the pressure inputs at each status
/// sync) from `/proc`, `uname(2)`, `/etc/os-release` and `statvfs(3)`.
public struct MachineInfo: Sendable, Equatable {
    public var cpus: Int
    public var memoryBytes: Int64
    /// Bytes of the filesystem holding the data dir (`ephemeral-storage`).
    public var storageBytes: Int64
    public var kernelVersion: String
    public var osImage: String
    /// `amd64`, `arm64`, … (Go's names, as in `kubernetes.io/arch`).
    public var architecture: String
    public var machineID: String
    public var bootID: String
    public var systemUUID: String

    public init(
        cpus: Int, memoryBytes: Int64, storageBytes: Int64, kernelVersion: String, osImage: String,
        architecture: String, machineID: String = "", bootID: String = "", systemUUID: String = ""
    ) {
        self.cpus = cpus
        self.memoryBytes = memoryBytes
        self.storageBytes = storageBytes
        self.kernelVersion = kernelVersion
        self.osImage = osImage
        self.architecture = architecture
        self.machineID = machineID
        self.bootID = bootID
        self.systemUUID = systemUUID
    }

    /// This machine, with the storage of the filesystem that holds `dataDirectory`.
    public static func current(dataDirectory: String) -> MachineInfo {
        var names = utsname()
        uname(&names)
        let kernel = withUnsafeBytes(of: &names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let machine = withUnsafeBytes(of: &names.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let meminfo = Self.read("/proc/meminfo") ?? ""
        return MachineInfo(
            cpus: ProcessInfo.processInfo.activeProcessorCount,
            memoryBytes: MemoryInfo(parsing: meminfo).total,
            storageBytes: FilesystemUsage.of(dataDirectory)?.total ?? 0,
            kernelVersion: kernel,
            osImage: Self.osImage(osRelease: Self.read("/etc/os-release") ?? ""),
            architecture: Self.goArchitecture(machine),
            machineID: Self.firstLine("/etc/machine-id"),
            bootID: Self.firstLine("/proc/sys/kernel/random/boot_id"),
            systemUUID: Self.firstLine("/sys/class/dmi/id/product_uuid"))
    }

    /// `PRETTY_NAME` of os-release, as kubelet reports it.
    static func osImage(osRelease: String) -> String {
        for line in osRelease.split(separator: "\n") where line.hasPrefix("PRETTY_NAME=") {
            return String(line.dropFirst("PRETTY_NAME=".count)).trimmingCharacters(
                in: CharacterSet(charactersIn: "\"'"))
        }
        return "Linux"
    }

    /// `uname -m` in Go's GOARCH spelling.
    static func goArchitecture(_ machine: String) -> String { SkiffVersion.goArch(machine: machine) }

    static func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    static func firstLine(_ path: String) -> String {
        (read(path) ?? "").split(separator: "\n").first.map { String($0).trimmingCharacters(in: .whitespaces) } ?? ""
    }
}

/// `/proc/meminfo`'s totals, in bytes.
public struct MemoryInfo: Sendable, Equatable {
    public var total: Int64
    public var available: Int64

    public init(parsing text: String) {
        var values: [Substring: Int64] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == ":" || $0 == " " })
            guard fields.count >= 2, let kilobytes = Int64(fields[1]) else { continue }
            values[fields[0]] = kilobytes * 1024
        }
        total = values["MemTotal"] ?? 0
        available = values["MemAvailable"] ?? values["MemFree"] ?? 0
    }

    public static func current() -> MemoryInfo { MemoryInfo(parsing: MachineInfo.read("/proc/meminfo") ?? "") }
}

/// Size and free space of a filesystem.
public struct FilesystemUsage: Sendable, Equatable {
    public var total: Int64
    public var available: Int64

    public static func of(_ path: String) -> FilesystemUsage? {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return nil }
        let block = Int64(stats.f_frsize)
        return FilesystemUsage(total: Int64(stats.f_blocks) * block, available: Int64(stats.f_bavail) * block)
    }
}
