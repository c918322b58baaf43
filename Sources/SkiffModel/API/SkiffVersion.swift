import Foundation
import Synchronization

/// Build and API version facts reported by `skiff version`, the API server's `/version` and the kubelet's
/// `nodeInfo`.
public enum SkiffVersion {
    public static let skiff = "v0.1.0"
    /// The Kubernetes release whose API skiff serves; kubectl dispatches on this minor version.
    public static let kubernetesMajor = "1"
    public static let kubernetesMinor = "32"
    public static let kubernetes = "v1.32.4"
    public static var gitVersion: String { "\(kubernetes)+skiff-\(skiff)" }
    public static var description: String {
        "skiff version \(skiff) (Kubernetes \(kubernetes), commit \(gitCommit.prefix(12))\(gitTreeState == "dirty" ? "-dirty" : ""))"
    }

    /// `linux/<GOARCH>` of the machine this runs on (an edge box is often `linux/arm64`).
    public static let platform = "linux/\(goArch(machine: machine()))"

    /// Go's name for a `uname -m` machine: what `/version` and `kubernetes.io/arch` say.
    public static func goArch(machine: String) -> String {
        switch machine {
        case "x86_64", "amd64": "amd64"
        case "aarch64", "arm64": "arm64"
        case let arm where arm.hasPrefix("armv"): "arm"
        case "i386", "i686": "386"
        case "ppc64le": "ppc64le"
        case "s390x": "s390x"
        case "riscv64": "riscv64"
        default: machine
        }
    }

    private static func machine() -> String {
        var name = utsname()
        uname(&name)
        return withUnsafeBytes(of: &name.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// When this binary was built: its file's modification time, as the build leaves it.
    public static let buildDate: String = {
        let attributes = try? FileManager.default.attributesOfItem(atPath: "/proc/self/exe")
        let date = (attributes?[.modificationDate] as? Date) ?? Date(timeIntervalSince1970: 0)
        return KubeTimestamp.string(date)
    }()

    private static let build = Mutex<(gitCommit: String, gitTreeState: String)>(("unknown", "unknown"))

    /// Records what the binary was built from (the `skiff` executable does, first thing, from its build plugin).
    public static func recordBuild(gitCommit: String, gitTreeState: String) {
        build.withLock { $0 = (gitCommit, gitTreeState) }
    }

    /// The git commit the binary was built from; `unknown` outside a git checkout (and in test binaries).
    public static var gitCommit: String { build.withLock { $0.gitCommit } }
    /// `clean`, `dirty` (uncommitted changes were built in) or `unknown`.
    public static var gitTreeState: String { build.withLock { $0.gitTreeState } }

    /// The API server's `/version` document, as kube-apiserver writes it.
    public static var document: JSON {
        [
            "major": .string(kubernetesMajor), "minor": .string(kubernetesMinor), "gitVersion": .string(gitVersion),
            "gitCommit": .string(gitCommit), "gitTreeState": .string(gitTreeState), "buildDate": .string(buildDate),
            "goVersion": "swift6", "compiler": "swiftc", "platform": .string(platform),
        ]
    }
}
