extension JSON {
    /// The value as UTF-8 JSON text.
    public func serialized(_ options: JSONSerializationOptions = .compact) -> [UInt8] {
        var output: [UInt8] = []
        serialize(into: &output, options)
        return output
    }

    /// Appends the value as UTF-8 JSON text to `buffer`, so one buffer can carry many values.
    public func serialize(into buffer: inout [UInt8], _ options: JSONSerializationOptions = .compact) {
        let table = options.escapesHTML ? JSONWriter.escapeTableHTML : JSONWriter.escapeTablePlain
        table.withUnsafeBufferPointer { table in
            guard let escapes = table.baseAddress else { return }
            if buffer.capacity - buffer.count < 256 {
                buffer.reserveCapacity(buffer.count + 1024)
            }
            var writer = JSONWriter(output: buffer, indent: options.indent, escapeTable: escapes)
            buffer = []  // leave the writer the only owner so appends never copy
            writer.write(self)
            buffer = writer.output
        }
    }

    /// The value as JSON text.
    public func serializedString(_ options: JSONSerializationOptions = .compact) -> String {
        String(decoding: serialized(options), as: UTF8.self)
    }
}
