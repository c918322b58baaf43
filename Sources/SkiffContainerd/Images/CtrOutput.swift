import Foundation

/// Parsing of `ctr images import` output, pure.
enum CtrOutput {
    /// The image names ctr unpacked: it prints `unpacking <name> (<digest>)...done` per image.
    static func importedImages(_ output: String) -> [String] {
        var names: [String] = []
        for line in output.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            // Several "unpacking" records can share a line when ctr's "done" is missing (failed unpack).
            var rest = Substring(line)
            while let range = rest.range(of: "unpacking ") {
                let after = rest[range.upperBound...]
                guard let open = after.range(of: " (sha256:") else { break }
                let name = after[..<open.lowerBound]
                if !name.isEmpty && !name.contains(" ") && !names.contains(String(name)) { names.append(String(name)) }
                rest = after[open.upperBound...]
            }
        }
        return names
    }

    /// A tool's output for one log line: its last `limit` characters, lines joined with " | ", ends trimmed.
    static func oneLine(_ output: String, limit: Int) -> String {
        output.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            .joined(separator: " | ").suffix(limit).description
    }
}
