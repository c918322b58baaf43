import Testing

@testable import SkiffPKI

@Suite struct ServingNamesTests {
    @Test func classifiesAndNormalizesEntries() throws {
        let names = try ServingNames([
            "LocalHost.", " 127.0.0.1 ", "[::1]", "0:0:0:0:0:0:0:1", "*.svc.cluster.local", "fd00:0::10", "10.43.0.1",
        ])
        #expect(names.dnsNames == ["localhost", "*.svc.cluster.local"])
        #expect(names.ipAddresses == ["127.0.0.1", "::1", "fd00::10", "10.43.0.1"])
        #expect(names.ipAddressBytes[0] == [127, 0, 0, 1])
        #expect(names.ipAddressBytes[1].count == 16)
    }

    @Test(arguments: ["", "bad name", "-leading.example", "a..b", "foo.*", "exa_mple!.com", "1.2.3.4%eth0"])
    func rejectsInvalidNames(entry: String) {
        #expect {
            try ServingNames([entry])
        } throws: { error in
            (error as? PKIError)?.code == .invalidArgument
        }
    }

    @Test func rejectsInvalidExplicitIP() {
        #expect(throws: PKIError.self) { try ServingNames(ipAddresses: ["300.1.1.1"]) }
        #expect(throws: PKIError.self) { try ServingNames(ipAddresses: ["localhost"]) }
    }

    @Test func subsetAndEqualityIgnoreOrder() throws {
        let small = try ServingNames(["localhost", "::1"])
        let large = try ServingNames(["::1", "127.0.0.1", "LOCALHOST"])
        #expect(small.isSubset(of: large))
        #expect(!large.isSubset(of: small))
        #expect(try ServingNames(["a", "b"]) == ServingNames(["b", "a"]))
        var merged = small
        merged.formUnion(large)
        #expect(merged == large)
    }
}
