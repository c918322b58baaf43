import Foundation
import SkiffCRI
import SkiffModel
import Testing

@testable import SkiffCLI

/// `skiff crictl`'s listings, filters, ID prefixes and log splitting, without a runtime.
@Suite struct CrictlFormatTests {
    static let now = Date(timeIntervalSince1970: 1_700_000_000)
    static func nanos(secondsAgo: Double) -> Int64 { Int64((now.timeIntervalSince1970 - secondsAgo) * 1e9) }

    static let web = ContainerSummary(
        id: "4f1a2b3c4d5e6f708192a3b4c5d6e7f8", sandboxID: "aa11bb22cc33dd44ee55",
        metadata: .init(name: "httpd", attempt: 2),
        image: "docker.io/library/busybox:latest", state: .running, createdAt: nanos(secondsAgo: 75),
        labels: ["io.kubernetes.pod.name": "web-5d8c7", "app": "web"])
    static let done = ContainerSummary(
        id: "4f9900112233", sandboxID: "ff00", metadata: .init(name: "job"),
        image: "sha256:02aa92543176f170960b550c30a9a6c05b1dcca73b67716085b08c6fdfd9a1dd", state: .exited,
        createdAt: nanos(secondsAgo: 5), labels: ["io.kubernetes.pod.name": "job-x"])

    /// A table line's cells (columns are at least 3 spaces apart, cells hold single spaces only) and where each
    /// starts.
    static func cells(_ line: String) -> [(Int, String)] {
        var cells: [(Int, String)] = []
        var offset = 0
        for part in line.split(separator: "   ", omittingEmptySubsequences: false) {
            let text = part.trimmingCharacters(in: .whitespaces)
            if !text.isEmpty { cells.append((offset + part.prefix { $0 == " " }.count, text)) }
            offset += part.count + 3
        }
        return cells
    }

    @Test func psHasCrictlsColumnsNewestFirstWithTruncatedIDs() {
        let lines = CrictlFormat.containers([Self.web, Self.done], now: Self.now, quiet: false)
        #expect(lines.count == 3)
        let header = Self.cells(lines[0])
        #expect(header.map(\.1) == ["CONTAINER", "IMAGE", "CREATED", "STATE", "NAME", "ATTEMPT", "POD ID", "POD"])
        // crictl's tabwriter: columns at least 20 wide, 3 spaces after the widest cell, the last one unpadded.
        #expect(lines[0].hasPrefix("CONTAINER           IMAGE"))
        #expect(!lines[0].hasSuffix(" "))
        let done = Self.cells(lines[1])
        #expect(
            done.map(\.1) == ["4f9900112233", "02aa92543176f", "5 seconds ago", "Exited", "job", "0", "ff00", "job-x"])
        let web = Self.cells(lines[2])
        #expect(
            web.map(\.1) == [
                "4f1a2b3c4d5e6", "docker.io/library/busybox:latest", "About a minute ago", "Running", "httpd", "2",
                "aa11bb22cc33d", "web-5d8c7",
            ])
        #expect(done.map(\.0) == header.map(\.0))
        #expect(web.map(\.0) == header.map(\.0))
        #expect(header.map(\.0) == [0, 20, 55, 76, 96, 116, 136, 156])
    }

    @Test func quietPrintsFullIDs() {
        #expect(CrictlFormat.containers([Self.web], now: Self.now, quiet: true) == [Self.web.id])
        #expect(
            CrictlFormat.images([ImageSummary(id: "sha256:abc", repoTags: ["a:1", "b:2"])], quiet: true) == [
                "sha256:abc"
            ])
    }

    @Test func psShowsRunningOnlyUnlessAllAndFiltersByNamePodAndLabel() throws {
        let both = [Self.web, Self.done]
        func names(_ containers: [ContainerSummary]) -> [String] { containers.map(\.metadata.name) }
        let filter = {
            (all: Bool, state: ContainerState?, name: String?, pods: Set<String>?, labels: [String: String]) in
            CrictlFormat.filter(
                both, all: all, state: state, name: try name.map { try Regex($0) }, podIDs: pods, labels: labels)
        }
        #expect(names(try filter(false, nil, nil, nil, [:])) == ["httpd"])
        #expect(names(try filter(true, nil, nil, nil, [:])) == ["httpd", "job"])
        #expect(names(try filter(false, .exited, nil, nil, [:])) == ["job"])
        #expect(names(try filter(true, nil, "^j", nil, [:])) == ["job"])
        #expect(names(try filter(true, nil, "tt", nil, [:])) == ["httpd"])
        #expect(names(try filter(true, nil, nil, ["ff00"], [:])) == ["job"])
        #expect(names(try filter(true, nil, nil, nil, ["app": "web"])) == ["httpd"])
        #expect(names(try filter(true, nil, nil, nil, ["app": "db"])) == [])
    }

    @Test func podsHaveCrictlsColumns() {
        let pods = [
            PodSandboxStatus(
                id: "d32dc4800ca962619091686b",
                metadata: .init(name: "web-5d8c7", uid: "u", namespace: "default", attempt: 1),
                state: .ready, createdAt: Self.nanos(secondsAgo: 3 * 3600)),
            PodSandboxStatus(
                id: "0011", metadata: .init(name: "old", uid: "v", namespace: "kube-system"), state: .notReady,
                createdAt: Self.nanos(secondsAgo: 3 * 86400)),
        ]
        let lines = CrictlFormat.pods(pods, now: Self.now, quiet: false)
        #expect(
            lines[0]
                == "POD ID              CREATED             STATE               NAME                NAMESPACE           ATTEMPT             RUNTIME"
        )
        #expect(
            lines[1]
                == "d32dc4800ca96       3 hours ago         Ready               web-5d8c7           default             1                   (default)"
        )
        #expect(
            lines[2]
                == "0011                3 days ago          NotReady            old                 kube-system         0                   (default)"
        )
        let selected = CrictlFormat.filter(pods, name: try? Regex("^web"), namespace: nil, state: nil, labels: [:])
        #expect(selected.map(\.id) == ["d32dc4800ca962619091686b"])
        #expect(
            CrictlFormat.filter(pods, name: nil, namespace: try? Regex("system"), state: nil, labels: [:]).map(\.id)
                == ["0011"])
        #expect(
            CrictlFormat.filter(pods, name: nil, namespace: nil, state: .notReady, labels: [:]).map(\.id) == ["0011"])
    }

    @Test func imagesARowPerTagSortedWithSizes() {
        let images = [
            ImageSummary(
                id: "sha256:499df28bff876c3ee71920e55bc2b99a", repoTags: ["registry.k8s.io/pause:3.10"], size: 320_368),
            ImageSummary(
                id: "sha256:02aa92543176f170960b550c30a9a6c0",
                repoTags: ["docker.io/library/busybox:latest", "localhost:5000/busybox:1"], size: 2_130_657),
            ImageSummary(id: "sha256:ffeeddccbbaa99887766", repoDigests: ["docker.io/x/y@sha256:1234"], size: 12),
        ]
        #expect(
            CrictlFormat.images(images, quiet: false) == [
                "IMAGE                       TAG                 IMAGE ID            SIZE",
                "docker.io/library/busybox   latest              02aa92543176f       2.13MB",
                "docker.io/x/y               <none>              ffeeddccbbaa9       12B",
                "localhost:5000/busybox      1                   02aa92543176f       2.13MB",
                "registry.k8s.io/pause       3.10                499df28bff876       320kB",
            ])
    }

    @Test(
        arguments: [
            (0.4, "Less than a second"), (1, "1 second"), (59, "59 seconds"), (60, "About a minute"),
            (119, "About a minute"), (120, "2 minutes"), (3599, "59 minutes"), (3600, "About an hour"),
            (5400, "2 hours"), (47 * 3600, "47 hours"), (48 * 3600, "2 days"), (15 * 86400, "2 weeks"),
            (61 * 86400, "2 months"), (800 * 86400, "2 years"),
        ] as [(Double, String)])
    func humanDurationsAsGoUnits(seconds: Double, text: String) {
        #expect(CrictlFormat.humanDuration(seconds: seconds) == text)
    }

    @Test(
        arguments: [
            (0, "0B"), (999, "999B"), (1000, "1kB"), (320_368, "320kB"), (2_130_657, "2.13MB"),
            (1_500_000_000, "1.5GB"),
        ] as [(UInt64, String)])
    func sizesAsGoUnits(bytes: UInt64, text: String) {
        #expect(CrictlFormat.humanSize(bytes) == text)
    }

    @Test func idsResolveByUniquePrefix() throws {
        let ids = ["ad24a40c50d6", "ad29ffff", "d32dc4800ca9"]
        #expect(try CrictlFormat.resolve("d3", among: ids, kind: "pod") == "d32dc4800ca9")
        #expect(try CrictlFormat.resolve("ad24", among: ids, kind: "container") == "ad24a40c50d6")
        #expect(try CrictlFormat.resolve("ad29ffff", among: ids, kind: "container") == "ad29ffff")
        #expect(throws: CrictlError.self) { try CrictlFormat.resolve("ad2", among: ids, kind: "container") }
        #expect(throws: CrictlError.self) { try CrictlFormat.resolve("zz", among: ids, kind: "container") }
        #expect(throws: CrictlError.self) { try CrictlFormat.resolve("", among: ids, kind: "container") }
        do {
            _ = try CrictlFormat.resolve("ad2", among: ids, kind: "container")
        } catch {
            #expect(error.description == "container ID ad2 is ambiguous: ad24a40c50d6, ad29ffff")
        }
    }

    @Test func imagesAreFoundByShortNameReferenceOrIDPrefix() throws {
        let busybox = ImageSummary(id: "sha256:02aa9254", repoTags: ["docker.io/library/busybox:latest"])
        let pause = ImageSummary(id: "sha256:499df28b", repoTags: ["registry.k8s.io/pause:3.10"])
        let images = [busybox, pause]
        #expect(try CrictlFormat.findImage("busybox", in: images) == busybox)
        #expect(try CrictlFormat.findImage("library/busybox:latest", in: images) == busybox)
        #expect(try CrictlFormat.findImage("registry.k8s.io/pause:3.10", in: images) == pause)
        #expect(try CrictlFormat.findImage("499d", in: images) == pause)
        #expect(try CrictlFormat.findImage("sha256:02aa", in: images) == busybox)
        #expect(throws: CrictlError.self) { try CrictlFormat.findImage("alpine", in: images) }
        #expect(CrictlFormat.normalizedReference("localhost:5000/app") == "localhost:5000/app:latest")
        #expect(CrictlFormat.normalizedReference("quay.io/x/y:2") == "quay.io/x/y:2")
        #expect(CrictlFormat.splitTag("localhost:5000/app") == ("localhost:5000/app", "<none>"))
    }

    @Test func logRecordsGoToTheirStreamsWithPartialLinesJoined() {
        var splitter = CrictlFormat.LogSplitter()
        let text =
            "2024-01-01T00:00:00.000000001Z stdout F hello\n"
            + "2024-01-01T00:00:00.1Z stdout F world\n"
            + "2024-01-01T00:00:01Z stderr P par\n"
            + "2024-01-01T00:00:01Z stderr F tial\n"
            + "not a record\n"
            + "2024-01-01T00:00:02Z stdout F wait"
        let writes = splitter.split(Array(text.utf8))
        #expect(writes.count == 2)
        #expect(writes[0].0 == .stdout && String(decoding: writes[0].1, as: UTF8.self) == "hello\nworld\n")
        #expect(writes[1].0 == .stderr && String(decoding: writes[1].1, as: UTF8.self) == "partial\n")
        // The incomplete last record waits for the rest of its line.
        let rest = splitter.split(Array("ing\n".utf8))
        #expect(rest.count == 1 && String(decoding: rest[0].1, as: UTF8.self) == "waiting\n")
    }

    @Test func theSocketComesFromTheFlagTheEnvironmentOrTheDataDir() {
        typealias Endpoint = CrictlCommand.Endpoint
        #expect(Endpoint.socket(endpoint: "unix:///run/x.sock", dataDir: "/d", environment: [:]) == "/run/x.sock")
        #expect(
            Endpoint.socket(endpoint: nil, dataDir: "/d", environment: ["CONTAINER_RUNTIME_ENDPOINT": "/run/y.sock"])
                == "/run/y.sock")
        #expect(
            Endpoint.socket(endpoint: nil, dataDir: "/d/", environment: [:]) == "/d/agent/containerd/containerd.sock")
        #expect(
            Endpoint.socket(endpoint: nil, dataDir: nil, environment: ["SKIFF_DATA_DIR": "/e"])
                == "/e/agent/containerd/containerd.sock")
    }

    @Test func globalOptionsBeforeTheSubcommandApplyUnlessTheSubcommandHasItsOwn() throws {
        func endpoint(_ arguments: [String]) throws -> CrictlCommand.Endpoint {
            let command = try SkiffCommand.parseAsRoot(arguments)
            return try #require(command as? CrictlCommand.Ps).endpoint
        }
        #expect(try endpoint(["crictl", "-d", "/a", "ps"]).dataDir == "/a")
        #expect(try endpoint(["crictl", "ps", "-d", "/b"]).dataDir == "/b")
        #expect(try endpoint(["crictl", "-d", "/a", "ps", "--data-dir", "/b"]).dataDir == "/b")
        #expect(try endpoint(["crictl", "-r", "/s", "--timeout", "3", "ps"]).callTimeout == .seconds(3))
        #expect(try endpoint(["crictl", "ps"]).callTimeout == .seconds(10))
    }

    @Test func execTakesTheCommandAfterTheIDAndRefusesATerminal() throws {
        let exec = try #require(
            try SkiffCommand.parseAsRoot(["crictl", "exec", "ad24", "sh", "-c", "echo hi; exit 3"])
                as? CrictlCommand.Exec)
        #expect(exec.container == "ad24")
        #expect(exec.command == ["sh", "-c", "echo hi; exit 3"])
        #expect(throws: (any Error).self) { try SkiffCommand.parseAsRoot(["crictl", "exec", "-it", "ad24", "sh"]) }
    }

    @Test func versionPrintsCrictlsFourLines() {
        let version = RuntimeVersion(runtimeName: "containerd", runtimeVersion: "1.6.20~ds1", runtimeAPIVersion: "v1")
        #expect(
            CrictlFormat.version(version) == [
                "Version:  0.1.0", "RuntimeName:  containerd", "RuntimeVersion:  1.6.20~ds1", "RuntimeApiVersion:  v1",
            ])
    }

    @Test func infoCarriesEveryCondition() {
        let info = CrictlFormat.info([
            RuntimeCondition(type: RuntimeCondition.runtimeReady, status: true, reason: "", message: ""),
            RuntimeCondition(
                type: RuntimeCondition.networkReady, status: false, reason: "NetworkPluginNotReady", message: "no CNI"),
        ])
        #expect(info["status"]["conditions"][0]["type"] == "RuntimeReady")
        #expect(info["status"]["conditions"][0]["status"] == true)
        #expect(info["status"]["conditions"][1]["status"] == false)
        #expect(info["status"]["conditions"][1]["reason"] == "NetworkPluginNotReady")
        #expect(info["status"]["conditions"][1]["message"] == "no CNI")
    }
}
