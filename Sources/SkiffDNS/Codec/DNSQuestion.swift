/// One entry of the question section: the name, type and class asked for.
public struct DNSQuestion: Sendable, Hashable, CustomStringConvertible {
    /// The name asked about.
    public var name: DNSName
    /// The record type asked for (ANY for all).
    public var type: DNSRecordType
    /// The class, IN in practice.
    public var recordClass: DNSClass

    /// Creates a question.
    public init(name: DNSName, type: DNSRecordType, recordClass: DNSClass = .internet) {
        self.name = name
        self.type = type
        self.recordClass = recordClass
    }

    public var description: String { "\(name) \(recordClass) \(type)" }
}
