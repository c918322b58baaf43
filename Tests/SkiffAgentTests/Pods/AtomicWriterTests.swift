import Foundation
import SkiffTesting
import Testing

@testable import SkiffAgent

@Suite("Data volumes written kubelet's atomic way")
struct AtomicWriterTests {
    @Test("files appear through ..data symlinks; an update swaps ..data and drops old keys and the old directory")
    func atomicUpdate() throws {
        let temp = try TemporaryDirectory("atomic-writer")
        defer { temp.remove() }
        let writer = AtomicWriter(directory: temp.path + "/vol")
        #expect(
            try writer.write([
                VolumeFile(path: "a", data: Array("1".utf8), mode: 0o644),
                VolumeFile(path: "b", data: Array("2".utf8), mode: 0o600),
            ]))
        let manager = FileManager.default
        #expect(try manager.destinationOfSymbolicLink(atPath: temp.path + "/vol/a") == "..data/a")
        #expect(String(decoding: manager.contents(atPath: temp.path + "/vol/a") ?? Data(), as: UTF8.self) == "1")
        let first = try manager.destinationOfSymbolicLink(atPath: temp.path + "/vol/..data")

        // Same content: nothing changes.
        #expect(
            try !writer.write([
                VolumeFile(path: "a", data: Array("1".utf8), mode: 0o644),
                VolumeFile(path: "b", data: Array("2".utf8), mode: 0o600),
            ]))

        #expect(try writer.write([VolumeFile(path: "a", data: Array("updated".utf8), mode: 0o644)]))
        let second = try manager.destinationOfSymbolicLink(atPath: temp.path + "/vol/..data")
        #expect(second != first)
        #expect(String(decoding: manager.contents(atPath: temp.path + "/vol/a") ?? Data(), as: UTF8.self) == "updated")
        #expect(!manager.fileExists(atPath: temp.path + "/vol/b"))
        #expect(!manager.fileExists(atPath: temp.path + "/vol/" + first))
    }

    @Test("configMap items select and rename keys; a missing non-optional configMap fails the mount")
    func payload() throws {
        let pod = PodFixture.pod()
        let references = PodReferences(configMaps: ["cm": ["data": ["k1": "v1", "k2": "v2"]]])
        let payload = VolumePayload(
            pod: pod, references: references,
            environment: EnvironmentResolver(pod: pod, references: references, podIP: "", hostIP: ""))
        let files = try payload.configMap(
            ["name": "cm", "items": [["key": "k2", "path": "dir/two"]]], volumeName: "v")
        #expect(files == [VolumeFile(path: "dir/two", data: Array("v2".utf8), mode: 0o644)])
        #expect(throws: VolumeError(message: "configmap \"absent\" not found")) {
            try payload.configMap(["name": "absent"], volumeName: "v")
        }
        #expect(try payload.configMap(["name": "absent", "optional": true], volumeName: "v").isEmpty)
    }
}
