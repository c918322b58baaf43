import Testing

@testable import SkiffModel

@Suite struct ObjectUIDTests {
    @Test func versionAndVariantBitsAreSetWhateverTheRandomBits() {
        #expect(ObjectUID.make(high: 0, low: 0) == "00000000-0000-4000-8000-000000000000")
        #expect(ObjectUID.make(high: .max, low: .max) == "ffffffff-ffff-4fff-bfff-ffffffffffff")
        #expect(
            ObjectUID.make(high: 0x0123_4567_89AB_CDEF, low: 0xFEDC_BA98_7654_3210)
                == "01234567-89ab-4def-bedc-ba9876543210")
    }

    @Test func randomUIDsAreWellFormedAndDistinct() {
        let uids = (0..<1000).map { _ in ObjectUID.make() }
        #expect(Set(uids).count == uids.count)
        for uid in uids.prefix(50) {
            let groups = uid.split(separator: "-", omittingEmptySubsequences: false).map(\.count)
            #expect(groups == [8, 4, 4, 4, 12], "\(uid)")
            #expect(uid.allSatisfy { "0123456789abcdef-".contains($0) }, "\(uid)")
            #expect(Array(uid)[14] == "4" && "89ab".contains(Array(uid)[19]), "\(uid)")
        }
    }
}
