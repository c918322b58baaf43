import CZlib

/// One direction of a SPDY connection's header compression: a zlib stream primed with `SPDYDictionary` that lives as
/// long as the connection (every header block continues it, ended by a sync flush).
final class SPDYHeaderDeflater {
    private var stream = z_stream()

    init() throws(SPDYError) {
        guard deflateInit_(&stream, Z_DEFAULT_COMPRESSION, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK
        else {
            throw SPDYError("zlib deflate could not start")
        }
        let primed = SPDYDictionary.bytes.withUnsafeBufferPointer {
            deflateSetDictionary(&stream, $0.baseAddress, UInt32($0.count))
        }
        guard primed == Z_OK else { throw SPDYError("zlib rejected the SPDY dictionary") }
    }

    deinit { deflateEnd(&stream) }

    func compress(_ input: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        input.withUnsafeBufferPointer { source in
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.avail_in = UInt32(source.count)
            repeat {
                chunk.withUnsafeMutableBufferPointer { target in
                    stream.next_out = target.baseAddress
                    stream.avail_out = UInt32(target.count)
                    _ = deflate(&stream, Z_SYNC_FLUSH)
                    output += target[0..<(target.count - Int(stream.avail_out))]
                }
            } while stream.avail_out == 0
            stream.next_in = nil
        }
        return output
    }
}

/// The other direction: inflates the peer's header blocks, priming with the dictionary when zlib asks for it.
final class SPDYHeaderInflater {
    private var stream = z_stream()

    init() throws(SPDYError) {
        guard inflateInit_(&stream, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw SPDYError("zlib inflate could not start")
        }
    }

    deinit { inflateEnd(&stream) }

    func decompress(_ input: [UInt8], limit: Int = 1 << 20) throws(SPDYError) -> [UInt8] {
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        var failure: SPDYError?
        input.withUnsafeBufferPointer { source in
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.avail_in = UInt32(source.count)
            while failure == nil {
                let code = chunk.withUnsafeMutableBufferPointer { target -> Int32 in
                    stream.next_out = target.baseAddress
                    stream.avail_out = UInt32(target.count)
                    var code = inflate(&stream, Z_SYNC_FLUSH)
                    if code == Z_NEED_DICT {
                        code = SPDYDictionary.bytes.withUnsafeBufferPointer {
                            inflateSetDictionary(&stream, $0.baseAddress, UInt32($0.count))
                        }
                        if code == Z_OK { code = inflate(&stream, Z_SYNC_FLUSH) }
                    }
                    output += target[0..<(target.count - Int(stream.avail_out))]
                    return code
                }
                if code != Z_OK && code != Z_BUF_ERROR {
                    failure = SPDYError("a header block does not inflate (zlib \(code))")
                } else if output.count > limit {
                    failure = SPDYError("a header block inflates past \(limit) bytes")
                } else if stream.avail_in == 0 && stream.avail_out != 0 {
                    break
                }
            }
            stream.next_in = nil
        }
        if let failure { throw failure }
        return output
    }
}
