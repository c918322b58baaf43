extension JSON {
    /// The value as UTF-8 JSON text.
    public func serialized(_ options: JSONSerializationOptions = .compact) -> [UInt8] {
        withWriter(options) { Array($0) }
    }

    /// Appends the value as UTF-8 JSON text to `buffer`, so one buffer can carry many values.
    public func serialize(into buffer: inout [UInt8], _ options: JSONSerializationOptions = .compact) {
        withWriter(options) { buffer.append(contentsOf: $0) }
    }

    /// The value as JSON text.
    public func serializedString(_ options: JSONSerializationOptions = .compact) -> String {
        withWriter(options) { String(decoding: $0, as: UTF8.self) }
    }

    private func withWriter<Result>(
        _ options: JSONSerializationOptions,
        _ body: (UnsafeBufferPointer<UInt8>) -> Result
    ) -> Result {
        let table = options.escapesHTML ? JSONWriter.escapeTableHTML : JSONWriter.escapeTablePlain
        return table.withUnsafeBufferPointer { table in
            guard let escapes = table.baseAddress else { return body(UnsafeBufferPointer(start: nil, count: 0)) }
            var writer = JSONWriter(capacity: 2048, indent: options.indent, escapeTable: escapes)
            defer { writer.deallocate() }
            writer.write(self)
            return body(writer.written)
        }
    }
}
