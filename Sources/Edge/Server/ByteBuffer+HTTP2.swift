import NIOCore

/// Writing HTTP/2 frames (RFC 9113 §4.1) and HPACK header blocks (RFC 7541).
///
/// Responses' header blocks are written here rather than by NIOHPACK's encoder, which Huffman-codes
/// every string and looks every field up in its tables: 15 % of the server's CPU under h2load.
/// Every field goes out as a literal that is never indexed, with a static-table name where one
/// exists, so the server keeps no encoder state and a peer's table size does not matter to it
/// beyond acknowledging a reduction.
extension ByteBuffer {
    /// The frame types the server writes (RFC 9113 §6).
    enum HTTP2FrameType: UInt8 {
        case data = 0x0
        case headers = 0x1
        case rstStream = 0x3
        case settings = 0x4
        case ping = 0x6
        case goAway = 0x7
        case windowUpdate = 0x8
        case continuation = 0x9
    }

    /// `END_STREAM` on DATA and HEADERS; `ACK` on SETTINGS and PING.
    static let http2EndStreamOrAck: UInt8 = 0x1
    static let http2EndHeaders: UInt8 = 0x4

    /// Writes a frame header; the payload follows.
    mutating func writeHTTP2FrameHeader(length: Int, type: HTTP2FrameType, flags: UInt8 = 0, stream: UInt32 = 0) {
        self.writeMultipleIntegers(
            UInt8(truncatingIfNeeded: length >> 16),
            UInt16(truncatingIfNeeded: length),
            type.rawValue,
            flags,
            stream
        )
    }

    mutating func writeHTTP2Settings(_ settings: [(parameter: UInt16, value: UInt32)]) {
        self.writeHTTP2FrameHeader(length: settings.count * 6, type: .settings)
        for (parameter, value) in settings {
            self.writeMultipleIntegers(parameter, value)
        }
    }

    mutating func writeHTTP2WindowUpdate(stream: UInt32, increment: Int) {
        self.writeHTTP2FrameHeader(length: 4, type: .windowUpdate, stream: stream)
        self.writeInteger(UInt32(increment))
    }

    mutating func writeHTTP2ResetStream(_ stream: UInt32, _ code: HTTP2WireError) {
        self.writeHTTP2FrameHeader(length: 4, type: .rstStream, stream: stream)
        self.writeInteger(code.rawValue)
    }

    mutating func writeHTTP2GoAway(lastStream: UInt32, _ code: HTTP2WireError) {
        self.writeHTTP2FrameHeader(length: 8, type: .goAway)
        self.writeMultipleIntegers(lastStream, code.rawValue)
    }

    /// An HPACK integer (RFC 7541 §5.1) in a `prefixBits`-bit prefix, the first byte's other bits `flags`.
    mutating func writeHPACKInteger(_ value: Int, prefixBits: Int, flags: UInt8) {
        let limit = (1 << prefixBits) - 1
        guard value >= limit else {
            self.writeInteger(flags | UInt8(value))
            return
        }
        self.writeInteger(flags | UInt8(limit))
        var rest = value - limit
        while rest >= 0x80 {
            self.writeInteger(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        self.writeInteger(UInt8(rest))
    }

    /// A string literal without Huffman coding (RFC 7541 §5.2).
    mutating func writeHPACKString(_ string: String) {
        self.writeHPACKInteger(string.utf8.count, prefixBits: 7, flags: 0)
        self.writeString(string)
    }

    /// A field as a literal without indexing (RFC 7541 §6.2.2), its name from the static table
    /// when it has an index there. `name` is lowercase.
    mutating func writeHPACKField(name: String, value: String) {
        if let index = HPACKStaticTable.index(ofName: name) {
            self.writeHPACKField(nameIndex: index, value: value)
        } else {
            self.writeInteger(UInt8(0))
            self.writeHPACKString(name)
            self.writeHPACKString(value)
        }
    }

    /// A field as a literal without indexing whose name is the static table's entry `nameIndex`.
    mutating func writeHPACKField(nameIndex: Int, value: String) {
        self.writeHPACKInteger(nameIndex, prefixBits: 4, flags: 0)
        self.writeHPACKString(value)
    }

    /// `:status`, indexed when the static table has it (RFC 7541 Appendix A).
    mutating func writeHPACKStatus(_ status: Int) {
        switch status {
        case 200: self.writeInteger(UInt8(0x80 | 8))
        case 204: self.writeInteger(UInt8(0x80 | 9))
        case 304: self.writeInteger(UInt8(0x80 | 11))
        case 400: self.writeInteger(UInt8(0x80 | 12))
        case 404: self.writeInteger(UInt8(0x80 | 13))
        case 500: self.writeInteger(UInt8(0x80 | 14))
        default: self.writeHPACKField(nameIndex: HPACKStaticTable.status, value: String(status))
        }
    }
}

/// The names of HPACK's static table (RFC 7541 Appendix A) that responses use.
enum HPACKStaticTable {
    static let status = 8
    static let contentEncoding = 26
    static let contentLength = 28
    static let date = 33
    static let etag = 34
    static let strictTransportSecurity = 56

    /// The static table's index of a response field name; `nil` for names it does not have.
    static func index(ofName name: String) -> Int? {
        Self.responseNames[name]
    }

    private static let responseNames: [String: Int] = [
        "accept-ranges": 18, "access-control-allow-origin": 20, "age": 21, "allow": 22, "cache-control": 24,
        "content-disposition": 25, "content-encoding": 26, "content-language": 27, "content-length": 28,
        "content-location": 29, "content-range": 30, "content-type": 31, "date": 33, "etag": 34, "expires": 36,
        "last-modified": 44, "link": 45, "location": 46, "proxy-authenticate": 48, "refresh": 52, "retry-after": 53,
        "server": 54, "set-cookie": 55, "strict-transport-security": 56, "vary": 59, "via": 60,
        "www-authenticate": 61,
    ]
}
