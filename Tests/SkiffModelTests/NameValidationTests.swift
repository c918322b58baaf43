import Testing

@testable import SkiffModel

@Suite struct NameValidationTests {
    @Test(arguments: [
        "a", "web", "web-1", "a.b", "kube-root-ca.crt", "1-2.3", "x0.y-z.w9", String(repeating: "a", count: 63),
    ])
    func validSubdomains(_ name: String) {
        #expect(NameValidation.isSubdomain(name))
        #expect(NameValidation.subdomainErrors(name).isEmpty)
    }

    @Test(arguments: ["", ".", "a.", ".a", "a..b", "-a", "a-", "a-.b", "a.-b", "A", "web_1", "wéb", "a b", "a/b"])
    func invalidSubdomains(_ name: String) {
        #expect(!NameValidation.isSubdomain(name))
        #expect(NameValidation.subdomainErrors(name).count == 1)
    }

    @Test func labelsRefuseDotsAndLongNames() {
        #expect(NameValidation.labelErrors("my-name").isEmpty)
        #expect(NameValidation.labelErrors("a.b").count == 1)
        #expect(NameValidation.labelErrors(String(repeating: "a", count: 64)) == ["must be no more than 63 characters"])
        #expect(
            NameValidation.subdomainErrors(String(repeating: "a", count: 254)).first
                == "must be no more than 253 characters")
    }

    @Test func pathSegments() {
        #expect(NameValidation.pathSegmentErrors("..") == ["may not be '..'"])
        #expect(NameValidation.pathSegmentErrors("a/b") == ["may not contain '/'"])
        #expect(NameValidation.pathSegmentErrors("100%") == ["may not contain '%'"])
        #expect(NameValidation.pathSegmentErrors("fine.name").isEmpty)
    }
}
