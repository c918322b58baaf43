/// Why a Pod Security label value did not parse, in upstream's words (`must be one of privileged, baseline,
/// restricted`, `must be "latest" or "v1.x"`): the detail of a `FieldValueInvalid` cause.
public struct PodSecurityParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public var detail: String

    public init(detail: String) {
        self.detail = detail
    }

    public var description: String { detail }
}
