import NIOCore
import NIOHTTP1

/// A request head as read from an HTTP/1.x connection.
struct HTTP1RequestHead {
    var method: String
    /// The request-target as sent: the path and, after `?`, the query.
    var target: String
    var isHTTP10: Bool
    /// The header fields in order, names lowercased, values without surrounding whitespace.
    var fields: [(name: String, value: String)]
    var host: String?
    /// The body's length; `nil` for a chunked body or none.
    var contentLength: Int?
    /// Whether the connection stays open after the response (RFC 9112 §9.3).
    var keepAlive: Bool
}

/// Reads HTTP/1.1 requests (RFC 9112) from the bytes of a connection: a head, the body in
/// pieces as they arrive (of a `Content-Length` or chunked), then the end.
///
/// Hand-written rather than NIOHTTP1's `HTTPRequestDecoder`, whose llhttp callbacks,
/// `ByteToMessageHandler` and `HTTPRequestHead` with its `HTTPHeaders` took a tenth of the
/// server's CPU for a cached page, about as much as routing, tenant lookup and cache lookup
/// together; the storefront then copied every field again into its own request. This reads
/// the head in one pass, with the field names lowercased as the request keeps them.
///
/// It is strict where leniency lets two parsers read one message differently (request
/// smuggling): every line ends in CRLF; field names are tokens, with no whitespace before the
/// colon and no line folding; values hold no control bytes but tab; one `Host` field; every
/// `Content-Length` is one decimal number, the same in each field; `Transfer-Encoding` only on
/// HTTP/1.1, only `chunked`, and never with `Content-Length`. What breaks these is answered
/// 400 (501 for a transfer coding other than chunked) and the connection closes.
struct HTTP1RequestParser {
    /// What the bytes read so far hold: a request's head, then its body in pieces, then its end.
    enum Event {
        case head(HTTP1RequestHead)
        case body(ByteBuffer)
        case end
    }

    private enum State {
        case head
        case end
        case fixedBody(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers(read: Int)
    }

    /// The largest request head, request line and fields, in bytes; beyond it, 431.
    let maxHeadBytes: Int
    private var state = State.head
    private var unread = UnreadBytes()
    /// How far the current head was searched for its end without finding it.
    private var searched = 0

    init(maxHeadBytes: Int) {
        self.maxHeadBytes = maxHeadBytes
    }

    /// Adds what was read to the bytes not yet parsed.
    mutating func append(_ bytes: ByteBuffer) {
        self.unread.append(bytes)
    }

    /// The next event, or `nil` until more bytes arrive.
    mutating func next() throws(HTTP1RequestError) -> Event? {
        if case .end = self.state {
            // Needs no bytes: the last ones may have been let go with the head or body.
            self.state = .head
            return .end
        }
        guard var buffer = self.unread.take() else { return nil }
        defer { self.unread.keep(buffer) }
        while true {
            switch self.state {
            case .head:
                guard let head = try self.readHead(&buffer) else { return nil }
                return .head(head)
            case .end:
                preconditionFailure("the end is returned before any bytes are looked at")
            case .fixedBody(let remaining):
                guard let (piece, left) = Self.readBodyPiece(&buffer, remaining: remaining) else { return nil }
                self.state = left == 0 ? .end : .fixedBody(remaining: left)
                return .body(piece)
            case .chunkSize:
                guard let line = try Self.readLine(&buffer, limit: 1024) else { return nil }
                let size = try Self.chunkSize(line)
                self.state = size == 0 ? .trailers(read: 0) : .chunkData(remaining: size)
            case .chunkData(let remaining):
                guard let (piece, left) = Self.readBodyPiece(&buffer, remaining: remaining) else { return nil }
                self.state = left == 0 ? .chunkDataEnd : .chunkData(remaining: left)
                return .body(piece)
            case .chunkDataEnd:
                guard buffer.readableBytes >= 2 else { return nil }
                guard buffer.readInteger(as: UInt16.self) == 0x0D0A else {
                    throw HTTP1RequestError(.badRequest, "chunk data longer than its size")
                }
                self.state = .chunkSize
            case .trailers(let read):
                // Trailer fields are read past, not kept: nothing here uses them.
                guard let line = try Self.readLine(&buffer, limit: self.maxHeadBytes - read) else { return nil }
                if line.isEmpty {
                    self.state = .head
                    return .end
                }
                self.state = .trailers(read: read + line.count + 2)
            }
        }
    }

    /// What has arrived of a body (or chunk) with `remaining` bytes still to come, and how
    /// many are left after it; `nil` while nothing has.
    private static func readBodyPiece(_ buffer: inout ByteBuffer, remaining: Int) -> (ByteBuffer, left: Int)? {
        guard buffer.readableBytes > 0 else { return nil }
        let length = min(remaining, buffer.readableBytes)
        return (buffer.readSlice(length: length)!, remaining - length)
    }

    // MARK: - Head

    private mutating func readHead(_ buffer: inout ByteBuffer) throws(HTTP1RequestError) -> HTTP1RequestHead? {
        let searchedTo = buffer.readableBytes
        let found = buffer.withUnsafeReadableBytes { bytes in
            Result { () throws(HTTP1RequestError) in
                try Self.headLength(bytes.assumingMemoryBound(to: UInt8.self), from: self.searched)
            }
        }
        guard let length = try found.get() else {
            guard buffer.readableBytes <= self.maxHeadBytes else {
                throw HTTP1RequestError(.requestHeaderFieldsTooLarge, "request head over \(self.maxHeadBytes) bytes")
            }
            self.searched = searchedTo
            return nil
        }
        self.searched = 0
        guard length <= self.maxHeadBytes else {
            throw HTTP1RequestError(.requestHeaderFieldsTooLarge, "request head over \(self.maxHeadBytes) bytes")
        }
        let parsed = buffer.withUnsafeReadableBytes { bytes in
            Result { () throws(HTTP1RequestError) in
                try Self.parseHead(UnsafeBufferPointer(rebasing: bytes.assumingMemoryBound(to: UInt8.self)[..<length]))
            }
        }
        buffer.moveReaderIndex(forwardBy: length)
        var head = try parsed.get()
        let framing = try Self.framing(of: &head)
        switch framing {
        case .none: self.state = .end
        case .length(let length): self.state = .fixedBody(remaining: length)
        case .chunked: self.state = .chunkSize
        }
        return head
    }

    /// The length of the head at the start of `bytes`, through its empty line; `nil` while
    /// the empty line has not arrived. Every LF up to there must follow a CR: a bare LF ends a
    /// line for some parsers and not for others. The search resumes at `start`, where the last
    /// one stopped.
    private static func headLength(
        _ bytes: UnsafeBufferPointer<UInt8>,
        from start: Int
    ) throws(HTTP1RequestError) -> Int? {
        var index = start
        while index < bytes.count {
            guard bytes[index] == 0x0A else {
                index += 1
                continue
            }
            guard index > 0, bytes[index - 1] == 0x0D else { throw HTTP1RequestError(.badRequest, "LF without CR") }
            if index >= 3, bytes[index - 2] == 0x0A, bytes[index - 3] == 0x0D {
                return index + 1
            }
            index += 1
        }
        return nil
    }

    /// Parses a head that ends in CRLF CRLF. Every loop stops at a CR at the latest, so none
    /// runs past the end.
    private static func parseHead(_ bytes: UnsafeBufferPointer<UInt8>) throws(HTTP1RequestError) -> HTTP1RequestHead {
        func string(_ start: Int, _ end: Int) -> String {
            String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        }
        var index = 0
        while HeaderFieldName.isTokenByte(bytes[index]) { index += 1 }
        guard index > 0, bytes[index] == UInt8(ascii: " ") else {
            throw HTTP1RequestError(.badRequest, "request line: no method")
        }
        let method = string(0, index)
        index += 1
        let targetStart = index
        while bytes[index] > 0x20, bytes[index] < 0x7F { index += 1 }
        guard index > targetStart, bytes[index] == UInt8(ascii: " ") else {
            throw HTTP1RequestError(.badRequest, "request line: no request-target")
        }
        let target = string(targetStart, index)
        index += 1
        guard bytes.count - index >= 10, Self.versionPrefix.elementsEqual(bytes[index..<index + 7]),
            bytes[index + 7] == UInt8(ascii: "1") || bytes[index + 7] == UInt8(ascii: "0"),
            bytes[index + 8] == 0x0D, bytes[index + 9] == 0x0A
        else { throw HTTP1RequestError(.badRequest, "request line: not HTTP/1.1 or HTTP/1.0") }
        let isHTTP10 = bytes[index + 7] == UInt8(ascii: "0")
        index += 10
        var fields: [(name: String, value: String)] = []
        fields.reserveCapacity(12)
        while bytes[index] != 0x0D {
            let nameStart = index
            while HeaderFieldName.isTokenByte(bytes[index]) { index += 1 }
            // Also refuses whitespace before the colon and obsolete line folding (RFC 9112 §5).
            guard index > nameStart, bytes[index] == UInt8(ascii: ":") else {
                throw HTTP1RequestError(.badRequest, "a header field line without a name and colon")
            }
            let nameEnd = index
            index += 1
            while bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
            let valueStart = index
            while bytes[index] != 0x0D {
                let byte = bytes[index]
                guard byte >= 0x20 && byte != 0x7F || byte == 0x09 else {
                    throw HTTP1RequestError(.badRequest, "a control byte in a header field value")
                }
                index += 1
            }
            guard bytes[index + 1] == 0x0A else { throw HTTP1RequestError(.badRequest, "CR without LF") }
            var valueEnd = index
            while valueEnd > valueStart, bytes[valueEnd - 1] == 0x20 || bytes[valueEnd - 1] == 0x09 { valueEnd -= 1 }
            index += 2
            fields.append(
                (name: HeaderFieldName.lowercased(string(nameStart, nameEnd)), value: string(valueStart, valueEnd))
            )
        }
        guard bytes[index + 1] == 0x0A else { throw HTTP1RequestError(.badRequest, "CR without LF") }
        return HTTP1RequestHead(
            method: method,
            target: target,
            isHTTP10: isHTTP10,
            fields: fields,
            host: nil,
            contentLength: nil,
            keepAlive: !isHTTP10
        )
    }

    private static let versionPrefix = Array("HTTP/1.".utf8)

    private enum Framing {
        case none
        case length(Int)
        case chunked
    }

    /// Reads `Host`, `Content-Length`, `Transfer-Encoding` and `Connection` into `head`, and
    /// how the body is delimited (RFC 9112 §6.3).
    private static func framing(of head: inout HTTP1RequestHead) throws(HTTP1RequestError) -> Framing {
        var codings: [Substring] = []
        var close = false
        var keepAlive = false
        for (name, value) in head.fields {
            switch name {
            case "host":
                guard head.host == nil else { throw HTTP1RequestError(.badRequest, "two Host fields") }
                head.host = value
            case "content-length":
                guard let length = HeaderFieldName.contentLength(value),
                    head.contentLength == nil || head.contentLength == length
                else { throw HTTP1RequestError(.badRequest, "Content-Length \(value) is not one length") }
                head.contentLength = length
            case "transfer-encoding":
                codings += HeaderList(value)
            case "connection":
                for option in HeaderList(value) {
                    close = close || HeaderFieldName.equal(option, "close")
                    keepAlive = keepAlive || HeaderFieldName.equal(option, "keep-alive")
                }
            default:
                break
            }
        }
        head.keepAlive = head.isHTTP10 ? keepAlive && !close : !close
        if !head.isHTTP10, head.host == nil {
            throw HTTP1RequestError(.badRequest, "HTTP/1.1 request without Host")
        }
        guard !codings.isEmpty else {
            return head.contentLength.map { $0 > 0 ? .length($0) : .none } ?? .none
        }
        guard !head.isHTTP10, head.contentLength == nil else {
            throw HTTP1RequestError(.badRequest, "Transfer-Encoding on HTTP/1.0 or with Content-Length")
        }
        guard codings.count == 1, HeaderFieldName.equal(codings[0], "chunked") else {
            throw HTTP1RequestError(.notImplemented, "Transfer-Encoding other than chunked")
        }
        return .chunked
    }

    // MARK: - Chunks

    /// The bytes of the next line, without its CRLF; `nil` until the line has arrived whole.
    private static func readLine(_ buffer: inout ByteBuffer, limit: Int) throws(HTTP1RequestError) -> [UInt8]? {
        guard let end = buffer.readableBytesView.firstIndex(of: 0x0A) else {
            guard buffer.readableBytes <= limit else { throw HTTP1RequestError(.badRequest, "a chunk line too long") }
            return nil
        }
        let length = end - buffer.readerIndex
        guard length >= 1, length <= limit + 1, buffer.getInteger(at: end - 1, as: UInt8.self) == 0x0D else {
            throw HTTP1RequestError(.badRequest, "a chunk line without CRLF, or too long")
        }
        let line = buffer.readBytes(length: length - 1)!
        buffer.moveReaderIndex(forwardBy: 2)
        return line
    }

    /// A chunk's size from its line: hexadecimal digits, then optional extensions, which are
    /// read past (RFC 9112 §7.1.1).
    private static func chunkSize(_ line: [UInt8]) throws(HTTP1RequestError) -> Int {
        var size = 0
        var digits = 0
        for byte in line {
            let digit: Int
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = Int(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = Int(byte - UInt8(ascii: "a")) + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = Int(byte - UInt8(ascii: "A")) + 10
            default: digit = -1
            }
            guard digit >= 0 else { break }
            size = size << 4 | digit
            digits += 1
        }
        guard digits > 0, digits <= 15 else { throw HTTP1RequestError(.badRequest, "a chunk size that is not one") }
        let rest = line[digits...]
        guard rest.isEmpty || rest.drop(while: { $0 == 0x20 || $0 == 0x09 }).first == UInt8(ascii: ";"),
            !rest.contains(where: { $0 < 0x20 && $0 != 0x09 || $0 == 0x7F })
        else { throw HTTP1RequestError(.badRequest, "a chunk size followed by something else than extensions") }
        return size
    }
}
