import Testing

@testable import SkiffContainerd

@Suite struct ArchiveScanTests {
    func archive(_ name: String, _ size: UInt64 = 10, _ modified: Int64 = 1) -> ArchiveFingerprint {
        ArchiveFingerprint(name: name, size: size, modified: modified)
    }

    @Test(arguments: [
        ("images.tar", ArchiveCompression.none), ("images.tar.gz", .gzip), ("images.tgz", .gzip),
        ("images.tar.zst", .zstd),
    ])
    func importableNames(name: String, compression: ArchiveCompression) {
        #expect(ArchiveCompression(fileName: name) == compression)
    }

    @Test(arguments: ["images.zip", "README", ".images.tar", "images.tar.part", "images.tar.zst.tmp"])
    func ignoredNames(name: String) {
        #expect(ArchiveCompression(fileName: name) == nil)
    }

    @Test func initialImportTakesEverythingOnce() {
        var scan = ArchiveScan()
        let files = [archive("b.tar"), archive("a.tar.zst"), archive("notes.txt")]
        let due = scan.due(files, requireStable: false)
        #expect(due.map(\.name) == ["a.tar.zst", "b.tar"])
        due.forEach { scan.markHandled($0) }
        #expect(scan.due(files, requireStable: false).isEmpty)
        #expect(scan.due(files, requireStable: true).isEmpty)
    }

    @Test func newFileIsImportedOnceItStoppedChanging() {
        var scan = ArchiveScan()
        _ = scan.due([], requireStable: true)
        // First seen while being copied: not yet.
        #expect(scan.due([archive("new.tar", 100, 1)], requireStable: true).isEmpty)
        // Still growing: not yet.
        #expect(scan.due([archive("new.tar", 200, 2)], requireStable: true).isEmpty)
        // Unchanged for one interval: now.
        let due = scan.due([archive("new.tar", 200, 2)], requireStable: true)
        #expect(due == [archive("new.tar", 200, 2)])
        due.forEach { scan.markHandled($0) }
        #expect(scan.due([archive("new.tar", 200, 2)], requireStable: true).isEmpty)
    }

    @Test func changedFileIsReimportedAndUnchangedOnesAreNot() {
        var scan = ArchiveScan()
        let a = archive("a.tar", 10, 1)
        let b = archive("b.tar", 10, 1)
        scan.due([a, b], requireStable: false).forEach { scan.markHandled($0) }
        let newerA = archive("a.tar", 10, 5)
        #expect(scan.due([newerA, b], requireStable: true).isEmpty)
        #expect(scan.due([newerA, b], requireStable: true) == [newerA])
    }

    @Test func failedArchiveIsNotRetriedUntilItChanges() {
        var scan = ArchiveScan()
        let broken = archive("broken.tar", 3, 1)
        scan.due([broken], requireStable: false).forEach { scan.markHandled($0) }
        #expect(scan.due([broken], requireStable: true).isEmpty)
        #expect(scan.due([broken], requireStable: true).isEmpty)
    }

    @Test func removedAndReaddedFileIsImportedAgain() {
        var scan = ArchiveScan()
        let a = archive("a.tar")
        scan.due([a], requireStable: false).forEach { scan.markHandled($0) }
        #expect(scan.due([], requireStable: true).isEmpty)
        #expect(scan.due([a], requireStable: true).isEmpty)
        #expect(scan.due([a], requireStable: true) == [a])
    }
}

@Suite struct CtrOutputTests {
    @Test func parsesUnpackedImageNames() {
        let output = """
            unpacking docker.io/library/busybox:1.35 (sha256:0f6c4b7a2e4b1d3c5e7f9a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f)...done
            unpacking registry.k8s.io/pause:3.10 (sha256:1111111111111111111111111111111111111111111111111111111111111111)...done

            """
        #expect(CtrOutput.importedImages(output) == ["docker.io/library/busybox:1.35", "registry.k8s.io/pause:3.10"])
    }

    /// ctr ends its error with a newline; a log line must stay one line, so that `grep file=broken.tar` finds the
    /// level too.
    @Test func errorOutputFitsOnOneLogLine() {
        #expect(
            CtrOutput.oneLine("ctr: failed to ingest \"blobs/x\": unexpected EOF\n", limit: 500)
                == "ctr: failed to ingest \"blobs/x\": unexpected EOF")
        #expect(CtrOutput.oneLine("first\n\n  second  \r\nthird\n", limit: 500) == "first | second | third")
        #expect(CtrOutput.oneLine("abcdef\n", limit: 3) == "def")
    }

    @Test func ignoresNoiseAndErrors() {
        #expect(CtrOutput.importedImages("") == [])
        #expect(CtrOutput.importedImages("ctr: unexpected EOF\n") == [])
        #expect(
            CtrOutput.importedImages(
                "time=\"2026\" level=info msg=x\nunpacking a:1 (sha256:ab)...unpacking b:2 (sha256:cd)...ctr: failed\n")
                == ["a:1", "b:2"])
    }
}
