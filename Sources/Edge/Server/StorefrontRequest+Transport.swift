import Logging
import NIOCore

// What the HTTP/1.1 and HTTP/2 handlers share, so a request reads the same and a response
// carries the same fields whichever protocol the client negotiated.

extension StorefrontRequest {
    /// A request as a transport read it.
    ///
    /// A trusted proxy speaks for the shopper: its `X-Forwarded-For` names the client and its
    /// `X-Forwarded-Host` the host. Anyone else's are ordinary headers.
    ///
    /// - Parameters:
    ///   - method: The request method.
    ///   - target: The request-target (`:path` on HTTP/2): the path and, after `?`, the query.
    ///   - host: The `Host` header or `:authority`, as sent.
    ///   - headers: The header fields, names lowercased.
    ///   - body: The body, if the request had one.
    ///   - connection: The connection the request came on.
    init(
        method: String,
        target: String,
        host: String,
        headers: [(name: String, value: String)],
        body: ByteBuffer?,
        connection: ConnectionContext
    ) {
        // Found among the bytes, not the characters: "?" is ASCII, and a character search walks
        // grapheme clusters (2 % of the server's CPU under h2load).
        let path: String
        let query: String?
        if let mark = target.utf8.firstIndex(of: UInt8(ascii: "?")) {
            path = String(target[..<mark])
            query = String(target[target.utf8.index(after: mark)...])
        } else {
            path = target
            query = nil
        }
        var authority = host
        var clientAddress = connection.peerAddress
        if connection.peerIsTrustedProxy {
            clientAddress = connection.clientAddress(
                forwardedFor: headers.first { $0.name == "x-forwarded-for" }?.value
            )
            authority = headers.first { $0.name == "x-forwarded-host" }?.value ?? authority
        }
        self.init(
            method: method,
            authority: authority,
            path: path,
            query: query,
            headers: headers,
            clientAddress: clientAddress,
            body: body
        )
    }
}

extension StorefrontResponse {
    /// The answer for a host the connection's certificate does not cover (RFC 9110 §15.5.20):
    /// the client retries on a new connection for that host.
    static let misdirected = StorefrontResponse(
        status: 421,
        headers: [("content-type", "text/plain; charset=utf-8")],
        body: ByteBuffer(string: "Misdirected request: open a new connection for this host.\n")
    )

    /// An error answer with no body, for requests the transport refuses itself.
    static func rejection(status: Int) -> StorefrontResponse {
        StorefrontResponse(status: status, headers: [], body: ByteBuffer())
    }

    /// Writes the response's HTTP/2 header block: `:status`, the cached representation's
    /// fields, the responder's, then `date`, `content-length` and `strict-transport-security`,
    /// which the transport owns and which replace any the responder set.
    ///
    /// A representation's fields were checked when its page was cached; the responder's are
    /// checked here (``forEachResponderField(http2:leftOut:_:)``).
    func writeHTTP2HeaderBlock(into block: inout ByteBuffer, date: String, leftOut: (_ name: String) -> Void) {
        block.writeHPACKStatus(self.status)
        self.page?.withRepresentation(for: self.encoding) { $0.writeHTTP2Fields(into: &block) }
        self.forEachResponderField(http2: true, leftOut: leftOut) { name, value in
            block.writeHPACKField(name: name, value: value)
        }
        block.writeHPACKField(nameIndex: HPACKStaticTable.date, value: date)
        block.writeHPACKField(nameIndex: HPACKStaticTable.contentLength, value: String(self.body.readableBytes))
        block.writeHPACKField(nameIndex: HPACKStaticTable.strictTransportSecurity, value: Self.strictTransportSecurity)
    }

    /// The `strict-transport-security` value of every response: a year of HTTPS only.
    static let strictTransportSecurity = "max-age=31536000"

    /// Calls `field` with each of the responder's own ``headers`` that a transport writes: not
    /// the transport's own fields, and on HTTP/2 (`http2`) no connection-specific field and
    /// every name lowercased (RFC 9113 §8.2). A responder writes names as it likes and may set
    /// `Connection`.
    ///
    /// A field whose name is not a token or whose value has CR, LF or NUL could split an
    /// HTTP/1.1 response, and makes an HTTP/2 block malformed: it goes to `leftOut` instead.
    func forEachResponderField(
        http2: Bool,
        leftOut: (_ name: String) -> Void,
        _ field: (_ name: String, _ value: String) -> Void
    ) {
        for (name, value) in self.headers {
            switch HeaderFieldName.role(of: name) {
            case .transport:
                continue
            case .connectionSpecific where http2:
                continue
            case .connectionSpecific, .endToEnd:
                guard HeaderFieldName.isWellFormed(name: name, value: value) else {
                    leftOut(name)
                    continue
                }
                field(http2 ? HeaderFieldName.lowercased(name) : name, value)
            }
        }
    }
}

/// How both transports answer a request on one connection: 421 when the connection's
/// certificate does not cover the request's host, a cache hit at once on the event loop, or
/// else a render in a task whose response is handed back on the event loop.
///
/// Clients send the same authority on every request of a connection, so the host is
/// normalized and checked against the certificate once per connection rather than once per
/// request: the last covered authority is kept with its normalized host, which the responder
/// then uses rather than normalizing again.
struct RequestAnswerer {
    let responder: any StorefrontResponder
    let connection: ConnectionContext
    private var lastCovered: (authority: String, host: HostName?)?

    init(responder: any StorefrontResponder, connection: ConnectionContext) {
        self.responder = responder
        self.connection = connection
    }

    /// The response when it is ready now; otherwise `nil`, and the caller passes `request`
    /// (its host normalized by now) to ``render(_:on:whenRendered:)``. Two steps, so that a
    /// cache hit allocates no completion closure it would not call.
    mutating func immediateAnswer(to request: inout StorefrontRequest) -> StorefrontResponse? {
        if let last = self.lastCovered, last.authority == request.authority {
            request.normalizedHost = last.host
        } else {
            let host = try? HostName(normalizing: request.authority)
            guard !self.connection.isMisdirected(host: host) else { return .misdirected }
            self.lastCovered = (request.authority, host)
            request.normalizedHost = host
        }
        return self.responder.immediateResponse(to: request)
    }

    /// Renders in a task; `deliver` is called with the response on `eventLoop` (the caller
    /// checks there whether it is still wanted).
    func render(
        _ request: StorefrontRequest,
        on eventLoop: any EventLoop,
        whenRendered deliver: @escaping (StorefrontResponse) -> Void
    ) {
        let responder = self.responder
        let deliver = NIOLoopBound(deliver, eventLoop: eventLoop)
        Task(executorPreference: RenderExecutor.shared) {
            let response = await responder.respond(to: request)
            deliver.eventLoop.execute { deliver.value(response) }
        }
    }
}

/// Header field names are case-insensitive (RFC 9110 §5.1); these helpers compare and lowercase
/// them without allocating in the common case where nothing changes.
enum HeaderFieldName {
    /// What a response field means to the transport.
    enum Role {
        /// `date`, `content-length`, `strict-transport-security`: always set by the transport.
        case transport
        /// `connection` and the fields it governs, which HTTP/2 forbids (RFC 9113 §8.2.2).
        case connectionSpecific
        /// Everything else, passed on as the responder wrote it.
        case endToEnd
    }

    /// The role of the field called `name`, in any case.
    static func role(of name: String) -> Role {
        // Dispatching on the length first keeps this to at most two comparisons per field.
        switch name.utf8.count {
        case 4:
            return Self.equal(name, "date") ? .transport : .endToEnd
        case 14:
            return Self.equal(name, "content-length") ? .transport : .endToEnd
        case 25:
            return Self.equal(name, "strict-transport-security") ? .transport : .endToEnd
        case 10:
            return Self.equal(name, "connection") || Self.equal(name, "keep-alive") ? .connectionSpecific : .endToEnd
        case 16:
            return Self.equal(name, "proxy-connection") ? .connectionSpecific : .endToEnd
        case 17:
            return Self.equal(name, "transfer-encoding") ? .connectionSpecific : .endToEnd
        case 7:
            return Self.equal(name, "upgrade") ? .connectionSpecific : .endToEnd
        case 2:
            return Self.equal(name, "te") ? .connectionSpecific : .endToEnd
        default:
            return .endToEnd
        }
    }

    /// `name` with ASCII letters lowercased; the same string when it has no uppercase letter.
    ///
    /// Clients write most request fields capitalized (`Host`, `Accept-Encoding`), so the common
    /// names come from a list rather than from a new string per field per request.
    static func lowercased(_ name: String) -> String {
        guard Self.hasUppercase(name) else { return name }
        let length = name.utf8.count
        return Self.commonNames.first { $0.utf8.count == length && Self.equal(name, $0) } ?? name.lowercased()
    }

    /// Whether `name` has an ASCII uppercase letter, which HTTP/2 field names may not (RFC 9113 §8.2).
    static func hasUppercase(_ name: String) -> Bool {
        name.utf8.containsByte { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }
    }

    private static let commonNames = [
        "host", "accept", "accept-encoding", "accept-language", "user-agent", "connection", "if-none-match",
        "if-modified-since", "referer", "cookie", "cache-control", "content-type", "content-length",
        "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "upgrade-insecure-requests", "pragma",
        "origin", "dnt",
    ]

    /// Whether `name` is a field name HTTP allows: a non-empty token (RFC 9110 §5.1).
    static func isToken(_ name: String) -> Bool {
        !name.isEmpty && !name.utf8.containsByte { !Self.isTokenByte($0) }
    }

    /// Whether `byte` may appear in a token (`tchar`, RFC 9110 §5.6.2).
    static func isTokenByte(_ byte: UInt8) -> Bool {
        Self.tokenBytes[Int(byte)]
    }

    /// `tokenBytes[b]`: whether byte `b` may appear in a token (`tchar`, RFC 9110 §5.6.2).
    private static let tokenBytes: [Bool] = (0..<256).map { byte in
        switch UInt8(byte) {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            "!#$%&'*+-.^_`|~".utf8.contains(UInt8(byte))
        }
    }

    /// Whether a field can be written as is: its name a token, its value free of CR, LF and NUL,
    /// which could otherwise split the response.
    static func isWellFormed(name: String, value: String) -> Bool {
        Self.isToken(name) && !value.utf8.containsByte { $0 == 13 || $0 == 10 || $0 == 0 }
    }

    /// A `Content-Length` value as a length: one decimal number, digits only (RFC 9110 §8.6),
    /// or `nil`. Lists (`5, 5`) and signs are refused: parsers that read them differently let a
    /// request hide in another.
    static func contentLength(_ value: String) -> Int? {
        guard !value.isEmpty,
            !value.utf8.containsByte(where: { $0 < UInt8(ascii: "0") || $0 > UInt8(ascii: "9") })
        else { return nil }
        return Int(value)
    }

    /// Whether `name`, in any case, is `lowercaseName`.
    static func equal(_ name: some StringProtocol, _ lowercaseName: String) -> Bool {
        name.utf8.equalsIgnoringASCIICase(lowercase: lowercaseName.utf8)
    }
}

extension Sequence<UInt8> {
    /// Whether these bytes, with ASCII letters in any case, are `lowercase`: how header field
    /// names and certificate names (A-labels) compare.
    func equalsIgnoringASCIICase(lowercase: some Sequence<UInt8>) -> Bool {
        self.elementsEqual(lowercase) { byte, lower in
            (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte) == lower
        }
    }
}

extension String.UTF8View {
    /// Whether any byte satisfies `predicate`, scanned in the string's contiguous storage. The
    /// `Sequence` method steps through the view one non-inlined index at a time, which made the
    /// field checks of every request and response 1.5 % of the server's CPU under h2load.
    func containsByte(where predicate: (UInt8) -> Bool) -> Bool {
        self.withContiguousStorageIfAvailable { $0.contains(where: predicate) } ?? self.contains(where: predicate)
    }
}

extension Logger {
    /// Reports a responder's field that a transport left out because it is not well formed.
    func responseFieldLeftOut(_ name: String) {
        self.warning("response field left out: not well formed", metadata: ["http.field": "\(name)"])
    }
}
