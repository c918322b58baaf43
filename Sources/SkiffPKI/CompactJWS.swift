import Foundation

/// A JSON Web Signature in compact serialization (`header.payload.signature`, each base64url without padding), split
/// and decoded but not verified. Pure: no keys, no clock.
public struct CompactJWS: Sendable, Hashable {
    /// The `alg` header parameter.
    public let algorithm: String
    /// The `kid` header parameter, if present.
    public let keyID: String?
    /// The decoded payload bytes (the JWT claims set).
    public let payload: [UInt8]
    /// The decoded signature bytes.
    public let signature: [UInt8]
    /// `header.payload` exactly as presented: the bytes the signature covers.
    public let signingInput: [UInt8]

    /// Splits and decodes `token`; every failure is `.malformed` with a reason.
    public init(parsing token: String) throws(ServiceAccountTokenError) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw .malformed("a JWT has 3 dot-separated segments, found \(parts.count)")
        }
        guard let header = Base64URL.decode(parts[0]) else { throw .malformed("the header is not base64url") }
        guard let payload = Base64URL.decode(parts[1]), !payload.isEmpty else {
            throw .malformed("the payload is not base64url")
        }
        guard let signature = Base64URL.decode(parts[2]) else { throw .malformed("the signature is not base64url") }
        guard let object = try? JSONSerialization.jsonObject(with: Data(header)) as? [String: Any] else {
            throw .malformed("the header is not a JSON object")
        }
        guard let algorithm = object["alg"] as? String else { throw .malformed("the header has no \"alg\"") }
        if let type = object["typ"] as? String, type.uppercased() != "JWT" {
            throw .malformed("the header's typ is \(type), not JWT")
        }
        if object["crit"] != nil { throw .malformed("critical header parameters are not supported") }
        self.algorithm = algorithm
        self.keyID = object["kid"] as? String
        self.payload = payload
        self.signature = signature
        self.signingInput = Array(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
    }

    /// `base64url(header).base64url(payload)` for a header with `alg` and `kid` (keys sorted, as Go's encoder emits
    /// them); append `.` and the base64url signature over these bytes to finish the token.
    public static func signingInput(algorithm: String, keyID: String?, payload: [UInt8]) -> String {
        var header: [String: String] = ["alg": algorithm]
        if let keyID { header["kid"] = keyID }
        let headerBytes = (try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])) ?? Data()
        return Base64URL.encode(Array(headerBytes)) + "." + Base64URL.encode(payload)
    }
}

/// Base64url without padding (RFC 7515 §2).
public enum Base64URL {
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        var text = Data(bytes).base64EncodedString()
        text = text.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        while text.hasSuffix("=") { text.removeLast() }
        return text
    }

    /// The decoded bytes, or nil for characters outside the base64url alphabet, padding, or an impossible length.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        guard text.utf8.count % 4 != 1 else { return nil }
        var standard = ""
        standard.reserveCapacity(text.utf8.count + 3)
        for character in text.unicodeScalars {
            switch character {
            case "A"..."Z", "a"..."z", "0"..."9": standard.unicodeScalars.append(character)
            case "-": standard.append("+")
            case "_": standard.append("/")
            default: return nil
            }
        }
        while standard.utf8.count % 4 != 0 { standard.append("=") }
        guard let data = Data(base64Encoded: standard) else { return nil }
        return Array(data)
    }
}
