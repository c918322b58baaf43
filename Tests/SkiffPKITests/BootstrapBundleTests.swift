import Foundation
import SkiffPKI
import Testing

/// The shared CA material sealed for the datastore, and installed on a server that joins.
@Suite struct BootstrapBundleTests {
    @Test func sealedFilesOpenOnlyWithTheirSecret() throws {
        let files: [String: [UInt8]] = ["server-ca.crt": Array("CERT".utf8), "service.key": Array("KEY".utf8)]
        let sealed = try BootstrapBundle.seal(files, secret: "s3cret")
        #expect(!String(decoding: sealed, as: UTF8.self).contains("CERT"), "the content is not readable in the store")
        #expect(try BootstrapBundle.open(sealed, secret: "s3cret") == files)
        let wrong = #expect(throws: BootstrapBundle.Error.self) { try BootstrapBundle.open(sealed, secret: "other") }
        #expect(wrong?.description.contains("does not open with this token") == true)
        #expect(throws: BootstrapBundle.Error.self) { try BootstrapBundle.open(Array("junk".utf8), secret: "s3cret") }
        // Two seals of the same files differ (a fresh salt and nonce each time).
        #expect(try BootstrapBundle.seal(files, secret: "s3cret") != sealed)
        #expect(BootstrapBundle.storeKey(secret: "s3cret") == BootstrapBundle.storeKey(secret: "s3cret"))
        #expect(BootstrapBundle.storeKey(secret: "s3cret") != BootstrapBundle.storeKey(secret: "other"))
        #expect(!BootstrapBundle.storeKey(secret: "s3cret").contains("s3cret"))
    }

    @Test func aJoiningServerTakesTheClusterCAAndReissuesItsLeaves() throws {
        let base = NSTemporaryDirectory() + "skiff-bootstrap-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: base) }
        let first = (path: base + "/a", file: { (name: String) in base + "/a/" + name })
        let second = (path: base + "/b", file: { (name: String) in base + "/b/" + name })
        let names = try ServingNames(["localhost", "127.0.0.1"])
        let a = try ClusterPKI.loadOrCreate(directory: first.path, sans: names)
        let b = try ClusterPKI.loadOrCreate(directory: second.path, sans: names)
        #expect(a.serverCA.certificatePEM != b.serverCA.certificatePEM)

        let shared = try BootstrapBundle.read(directory: first.path)
        #expect(Set(shared.keys) == Set(BootstrapBundle.sharedFiles))
        #expect(try BootstrapBundle.install(shared, directory: second.path))
        #expect(!FileManager.default.fileExists(atPath: second.file("serving-kube-apiserver.crt")))
        let joined = try ClusterPKI.loadOrCreate(directory: second.path, sans: names)
        #expect(joined.serverCA.certificatePEM == a.serverCA.certificatePEM)
        #expect(joined.clientCA.certificatePEM == a.clientCA.certificatePEM)
        #expect(joined.serving.certificatePEM != a.serving.certificatePEM, "its serving certificate is its own")
        let attributes = try FileManager.default.attributesOfItem(atPath: second.file("server-ca.key"))
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        // Installing the same files again changes nothing.
        #expect(try !BootstrapBundle.install(shared, directory: second.path))
    }
}
