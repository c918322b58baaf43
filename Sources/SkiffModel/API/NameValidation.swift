/// Kubernetes name rules (apimachinery `validation.IsDNS1123Subdomain` / `IsDNS1123Label`), with upstream messages.
public enum NameValidation {
    /// Problems with `name` as a DNS-1123 subdomain (most object names); empty when valid.
    public static func subdomainErrors(_ name: String) -> [String] {
        var errors: [String] = []
        if name.utf8.count > 253 { errors.append("must be no more than 253 characters") }
        if !isSubdomain(name) {
            errors.append(
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and "
                    + "must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
                    + "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
        }
        return errors
    }

    /// Problems with `name` as a DNS-1123 label (namespaces, services); empty when valid.
    public static func labelErrors(_ name: String) -> [String] {
        var errors: [String] = []
        if name.utf8.count > 63 { errors.append("must be no more than 63 characters") }
        if !isLabel(name) {
            errors.append(
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
                    + "and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
                    + "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
        }
        return errors
    }

    static func isLabel(_ text: Substring) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, let last = bytes.last else { return false }
        func alnum(_ c: UInt8) -> Bool { (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) }
        return alnum(first) && alnum(last) && bytes.allSatisfy { alnum($0) || $0 == UInt8(ascii: "-") }
    }

    static func isLabel(_ text: String) -> Bool { isLabel(Substring(text)) }

    static func isSubdomain(_ text: String) -> Bool {
        // Labels separated by single dots, each starting and ending alphanumeric: checked in one pass over the bytes.
        var previous: UInt8? = nil  // nil at the start of a label
        for byte in text.utf8 {
            let alphanumeric = (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
            switch byte {
            case UInt8(ascii: "."):
                guard let last = previous, last != UInt8(ascii: "-") else { return false }
                previous = nil
            case UInt8(ascii: "-"):
                guard previous != nil else { return false }
                previous = byte
            default:
                guard alphanumeric else { return false }
                previous = byte
            }
        }
        return previous != nil && previous != UInt8(ascii: "-")
    }

    /// Names used as path segments must not be `.`/`..` or contain `/` or `%` (upstream `path.ValidatePathSegmentName`).
    public static func pathSegmentErrors(_ name: String) -> [String] {
        if name == "." || name == ".." { return ["may not be '\(name)'"] }
        for bad in ["/", "%"] as [Unicode.Scalar] where name.utf8.contains(UInt8(ascii: bad)) {
            return ["may not contain '\(bad)'"]
        }
        return []
    }
}
