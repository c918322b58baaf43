/// Decides what to do with one DNS query against a ``ClusterDNSSnapshot``, without I/O: answer from the zone,
/// send upstream, or refuse. The server that owns the sockets carries the decision out.
public struct ClusterDNSResolver: Sendable {
    /// The zone answered from.
    public var snapshot: ClusterDNSSnapshot
    /// The largest UDP reply sent, whatever a client advertises; also the size our OPT record advertises.
    public var maxUDPPayloadSize: Int

    /// Creates a resolver over a zone snapshot.
    public init(snapshot: ClusterDNSSnapshot, maxUDPPayloadSize: Int = 1232) {
        self.snapshot = snapshot
        self.maxUDPPayloadSize = max(maxUDPPayloadSize, DNSMessage.minimumUDPPayloadSize)
    }

    /// What to do with a parsed query.
    public enum Decision: Sendable, Hashable {
        /// Send this authoritative answer.
        case answer(DNSMessage)
        /// The name is not the zone's: resolve it upstream.
        case forward
        /// The query is malformed: send this FORMERR reply.
        case formatError(DNSMessage)
        /// The opcode is not QUERY: send this NOTIMP reply.
        case refuse(DNSMessage)
        /// The zone answered with a CNAME leaving the cluster (an ExternalName service): resolve `target` upstream
        /// and complete `partial` with ``complete(_:with:)``, or send `partial` as it is.
        case chase(partial: DNSMessage, target: DNSQuestion)
        /// The message is itself a response: say nothing, lest two servers answer each other forever.
        case drop
    }

    /// Which transport a reply goes over, which bounds its size.
    public enum Transport: Sendable, Hashable {
        case udp
        case tcp
    }

    /// What to do with a packet.
    public enum Response: Sendable, Hashable {
        /// Send these bytes back.
        case reply([UInt8])
        /// Resolve this query upstream (its id is the client's).
        case forward(query: DNSMessage)
        /// Resolve `query` upstream, then send ``ClusterDNSResolver/complete(_:with:)`` of `partial` and the
        /// upstream answer, serialized within `replyLimit` bytes (the client's limit); on failure send `partial`.
        case chase(partial: DNSMessage, query: DNSMessage, replyLimit: Int)
        /// Send nothing.
        case drop
    }

    /// Decides on a parsed query.
    public func decide(_ query: DNSMessage) -> Decision {
        guard !query.isResponse else { return .drop }
        let advertised = UInt16(clamping: maxUDPPayloadSize)
        guard query.opcode == .query else {
            return .refuse(query.reply(responseCode: .notImplemented, udpPayloadSize: advertised))
        }
        guard query.questions.count == 1 else {
            var reply = query.reply(responseCode: .formatError, udpPayloadSize: advertised)
            reply.questions = []
            return .formatError(reply)
        }
        if let edns = query.edns, edns.version > 0 {
            // RFC 6891 section 6.1.3: BADVERS, advertising the version we do speak.
            return .answer(query.reply(responseCode: .badVersion, udpPayloadSize: advertised))
        }
        let question = query.questions[0]
        guard snapshot.owns(question.name) else { return .forward }
        var reply = query.reply(udpPayloadSize: advertised)
        reply.isAuthoritative = true
        reply.recursionAvailable = true
        guard question.recordClass == .internet || question.recordClass == .any else {
            reply.responseCode = .refused
            return .answer(reply)
        }
        switch question.type {
        case .opt:
            reply.responseCode = .formatError
            return .formatError(reply)
        case .axfr, .ixfr:
            reply.responseCode = .refused
            return .answer(reply)
        default:
            break
        }
        guard let zone = snapshot.answer(question) else { return .forward }
        reply.responseCode = zone.responseCode
        reply.answers = zone.answers
        reply.authorities = zone.authorities
        reply.additionals = zone.additionals
        if let target = zone.externalTarget {
            return .chase(partial: reply, target: DNSQuestion(name: target, type: question.type))
        }
        return .answer(reply)
    }

    /// Appends an upstream answer for an ExternalName's target to the zone's partial answer: its answer records,
    /// and its response code when that is NOERROR or NXDOMAIN (anything else leaves the CNAME alone).
    public static func complete(_ partial: DNSMessage, with upstream: DNSMessage) -> DNSMessage {
        var reply = partial
        guard upstream.responseCode == .noError || upstream.responseCode == .nameError else { return reply }
        reply.responseCode = upstream.responseCode
        reply.answers += upstream.answers
        if upstream.answers.isEmpty { reply.authorities = upstream.authorities }
        return reply
    }

    /// The bytes to send a client for an upstream (or cached) `response` to its `query`: the client's id,
    /// question spelling and RD, our own OPT record if the client sent one, within the client's size limit.
    public func reply(relaying response: DNSMessage, to query: DNSMessage, over transport: Transport = .udp) -> [UInt8]
    {
        var reply = response
        reply.id = query.id
        reply.questions = query.questions
        reply.recursionDesired = query.recursionDesired
        reply.edns = query.edns.map { EDNS(udpPayloadSize: UInt16(clamping: maxUDPPayloadSize), dnssecOK: $0.dnssecOK) }
        let limit = transport == .tcp ? DNSMessage.maxTCPMessageSize : query.udpPayloadLimit(cap: maxUDPPayloadSize)
        return reply.serialized(maxSize: limit)
    }

    /// A SERVFAIL for `query`, for when no upstream server answers.
    public func serverFailure(for query: DNSMessage) -> [UInt8] {
        var reply = query.reply(responseCode: .serverFailure, udpPayloadSize: UInt16(clamping: maxUDPPayloadSize))
        reply.recursionAvailable = true
        return reply.serialized(maxSize: DNSMessage.minimumUDPPayloadSize)
    }

    /// Parses a packet and decides on it; never throws or traps, whatever the bytes.
    public func respond(to packet: [UInt8], over transport: Transport = .udp) -> Response {
        guard let header = DNSMessage.header(of: packet), !header.isResponse else { return .drop }
        let query: DNSMessage
        do {
            query = try DNSMessage(parsing: packet)
        } catch {
            var reply = header.reply(responseCode: .formatError)
            reply.edns = nil  // the OPT record, if any, could not be read
            return .reply(reply.serialized(maxSize: DNSMessage.minimumUDPPayloadSize))
        }
        let limit = transport == .tcp ? DNSMessage.maxTCPMessageSize : query.udpPayloadLimit(cap: maxUDPPayloadSize)
        switch decide(query) {
        case .answer(let reply), .formatError(let reply), .refuse(let reply):
            return .reply(reply.serialized(maxSize: limit))
        case .forward:
            return .forward(query: query)
        case .chase(let partial, let target):
            var upstream = DNSMessage.query(id: query.id, target, edns: EDNS(udpPayloadSize: UInt16(limit)))
            upstream.checkingDisabled = query.checkingDisabled
            return .chase(partial: partial, query: upstream, replyLimit: limit)
        case .drop:
            return .drop
        }
    }
}
