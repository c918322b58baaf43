/// A DNS message (RFC 1035 section 4): the header's fields, the four sections, and the EDNS record if any.
///
/// The response code is the full twelve bits: on the wire its upper eight travel in the OPT record, which is why
/// an OPT record is held as ``edns`` rather than among ``additionals``.
public struct DNSMessage: Sendable, Hashable {
    /// Matches a reply to its query.
    public var id: UInt16
    /// QR: this is a response.
    public var isResponse: Bool
    /// The kind of request; only QUERY is answered.
    public var opcode: DNSOpcode
    /// AA: the answer comes from the zone's own data.
    public var isAuthoritative: Bool
    /// TC: records were left out to fit the transport.
    public var isTruncated: Bool
    /// RD: the client asks for recursion.
    public var recursionDesired: Bool
    /// RA: the server offers recursion.
    public var recursionAvailable: Bool
    /// AD: authentic data (DNSSEC).
    public var authenticData: Bool
    /// CD: checking disabled (DNSSEC).
    public var checkingDisabled: Bool
    /// The outcome, all twelve bits.
    public var responseCode: DNSResponseCode
    /// What is asked; one entry in practice.
    public var questions: [DNSQuestion]
    /// Records that answer the question.
    public var answers: [DNSResourceRecord]
    /// Records naming the zone's authority: the SOA of negative answers.
    public var authorities: [DNSResourceRecord]
    /// Records that help use the answers (addresses of SRV targets), without OPT.
    public var additionals: [DNSResourceRecord]
    /// The OPT record, if the message has one.
    public var edns: EDNS?

    /// Creates a message; every flag defaults to clear.
    public init(
        id: UInt16, isResponse: Bool = false, opcode: DNSOpcode = .query, isAuthoritative: Bool = false,
        isTruncated: Bool = false, recursionDesired: Bool = false, recursionAvailable: Bool = false,
        authenticData: Bool = false, checkingDisabled: Bool = false, responseCode: DNSResponseCode = .noError,
        questions: [DNSQuestion] = [], answers: [DNSResourceRecord] = [], authorities: [DNSResourceRecord] = [],
        additionals: [DNSResourceRecord] = [], edns: EDNS? = nil
    ) {
        self.id = id
        self.isResponse = isResponse
        self.opcode = opcode
        self.isAuthoritative = isAuthoritative
        self.isTruncated = isTruncated
        self.recursionDesired = recursionDesired
        self.recursionAvailable = recursionAvailable
        self.authenticData = authenticData
        self.checkingDisabled = checkingDisabled
        self.responseCode = responseCode
        self.questions = questions
        self.answers = answers
        self.authorities = authorities
        self.additionals = additionals
        self.edns = edns
    }

    /// A query for one question, with recursion desired, as a stub resolver sends it.
    public static func query(id: UInt16, _ question: DNSQuestion, edns: EDNS? = nil) -> DNSMessage {
        DNSMessage(id: id, recursionDesired: true, questions: [question], edns: edns)
    }

    /// The smallest UDP reply limit every client accepts.
    public static let minimumUDPPayloadSize = 512

    /// The largest reply to this query that may go over UDP: the EDNS payload size it advertises, at least 512
    /// and at most `cap` (1232 avoids IP fragmentation on ordinary links); 512 without EDNS.
    public func udpPayloadLimit(cap: Int = 1232) -> Int {
        guard let edns else { return Self.minimumUDPPayloadSize }
        return min(max(Int(edns.udpPayloadSize), Self.minimumUDPPayloadSize), max(cap, Self.minimumUDPPayloadSize))
    }

    /// An empty reply to this message: the id, opcode, question, RD and CD echoed, QR set, and an OPT record when
    /// the query had one (advertising `udpPayloadSize`, DO echoed).
    public func reply(responseCode: DNSResponseCode = .noError, udpPayloadSize: UInt16 = 1232) -> DNSMessage {
        DNSMessage(
            id: id, isResponse: true, opcode: opcode, recursionDesired: recursionDesired,
            checkingDisabled: checkingDisabled, responseCode: responseCode, questions: questions,
            edns: edns.map { EDNS(udpPayloadSize: udpPayloadSize, dnssecOK: $0.dnssecOK) })
    }
}
