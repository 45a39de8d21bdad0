import Crypto
public import NIOCore
public import Render

/// A content coding the edge can send a page in.
public enum ContentEncoding: Sendable, Hashable {
    /// The body as rendered.
    case identity
    /// The body compressed with gzip, precomputed when the page was rendered.
    case gzip
}

/// An immutable rendered page, ready to be written to any number of connections.
///
/// Bodies are `ByteBuffer`s so that a cache hit writes them without copying: handing a
/// `ByteBuffer` to a channel shares its storage. Both encodings are computed once, when the
/// page is rendered, so a hit does no CPU work beyond the lookup. A class, so that handing a
/// hit out of the cache is one retain rather than one per body, tag and field set.
public final class CachedPage: Sendable {
    /// The HTTP status code.
    public let status: Int
    /// Headers common to both representations (`Content-Type`, `Cache-Control`, `Vary`…).
    /// `Content-Length`, `Content-Encoding` and `ETag` belong to a ``Representation``.
    public var headers: [(String, String)] { self.prepared.fields.map { ($0.name, $0.value) } }
    /// ``headers``, checked and serialized once for all pages with the same fields.
    let prepared: PreparedFields
    /// The body without content coding.
    public var identityBody: ByteBuffer { self.identity.body }
    /// The gzip body, or `nil` when compression failed or did not make the body smaller.
    public var gzipBody: ByteBuffer? { self.gzip?.body }
    /// The strong entity tag of the identity representation, quoted (`"…"`).
    public var etag: String { self.identity.etag }
    private let identity: Representation
    private let gzip: Representation?

    /// Memory this page holds, as charged against the cache's budget: the storage of both
    /// representations, which holds their bodies and serialized fields (NIO rounds a buffer's
    /// storage up to a power of two, so a 9 KB page occupies 16 KB), the headers, and an
    /// estimate of the cache's own bookkeeping per entry. Charging the readable bytes instead
    /// let the process grow well past the configured budget.
    public var byteCount: Int {
        self.identity.body.storageCapacity + (self.gzip?.body.storageCapacity ?? 0)
            + self.prepared.fields.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count } + Self.entryOverhead
    }

    /// Bytes per cached page beyond its bodies and headers: the key, the tag, queue and table slots.
    static let entryOverhead = 256

    /// Creates a page. The entity tag is derived from the identity body, so identical
    /// renders (from racing nodes, or after a restart) get identical tags.
    ///
    /// The bodies are taken over: a page keeps its serialized header fields in the room their
    /// storage has to spare, when no one else holds it.
    public init(status: Int, headers: [(String, String)], body: consuming ByteBuffer, gzipBody: consuming ByteBuffer?) {
        self.status = status
        let prepared = PreparedFields.interned(headers.map { (name: $0.0, value: $0.1) })
        self.prepared = prepared
        // 128 bits of SHA-256: collisions are out of reach, and the tag stays short on the wire.
        let hexDigits = Array("0123456789abcdef".utf8)
        var tag: [UInt8] = [UInt8(ascii: "\"")]
        var hasher = SHA256()
        body.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
        let digest = hasher.finalize()
        for byte in digest.prefix(16) {
            tag.append(hexDigits[Int(byte >> 4)])
            tag.append(hexDigits[Int(byte & 0x0f)])
        }
        tag.append(UInt8(ascii: "\""))
        let etag = String(decoding: tag, as: UTF8.self)
        let bodyBytes = body.readableBytes
        self.identity = Representation(body: consume body, encoding: .identity, etag: etag, fields: prepared)
        if let gzipBody = consume gzipBody, gzipBody.readableBytes > 0, gzipBody.readableBytes < bodyBytes {
            self.gzip = Representation(
                body: consume gzipBody,
                encoding: .gzip,
                etag: String(etag.dropLast()) + "-gzip\"",
                fields: prepared
            )
        } else {
            self.gzip = nil
        }
    }

    /// Creates a page from the renderer's output, compressing it with gzip.
    ///
    /// `headers` are added after `Content-Type`, which comes from the rendered page.
    public convenience init(rendered page: RenderedPage, headers: [(String, String)] = []) {
        let gzip = page.gzipBody()
        self.init(
            status: page.status,
            headers: [("Content-Type", page.contentType)] + headers,
            body: ByteBuffer(bytes: page.body),
            gzipBody: gzip.isEmpty ? nil : ByteBuffer(bytes: gzip)
        )
    }

    /// The body, encoding and entity tag to send to a client that accepts `encoding`.
    ///
    /// A client that accepts gzip gets identity when no gzip body exists. The gzip
    /// representation has its own strong tag (RFC 9110 §8.8.3.3: a strong validator changes
    /// whenever the representation's bytes do).
    public func representation(for encoding: ContentEncoding) -> Representation {
        self.withRepresentation(for: encoding) { $0 }
    }

    /// What `read` takes from ``representation(for:)``, without copying the rest of the
    /// representation: a whole copy, four references, cost 1 % of a cache hit's CPU.
    func withRepresentation<Result>(for encoding: ContentEncoding, _ read: (Representation) -> Result) -> Result {
        if encoding == .gzip, let gzip = self.gzip {
            return read(gzip)
        }
        return read(self.identity)
    }

    /// One encoding of a ``CachedPage``: what goes on the wire. A structure kept inside the
    /// page: as a class of its own it cost two objects per page, 7 MB at 1,000 tenants.
    public struct Representation: Sendable {
        /// The bytes to send; shares storage with the cached page.
        public let body: ByteBuffer
        /// The content coding of ``body``; `Content-Encoding: gzip` is due when `.gzip`.
        public let encoding: ContentEncoding
        /// The strong entity tag, quoted, for `ETag` and `If-None-Match`.
        public let etag: String
        /// The page's header fields, which this representation's follow.
        let pageFields: PreparedFields
        /// ``pageFields``, `ETag` and, for gzip, `Content-Encoding`, as HTTP/1.1 writes them.
        ///
        /// Serialized once, so that a cache hit on HTTP/1.1 copies its fields in one piece
        /// instead of writing five of them name by name (a third of the handler's work for a
        /// hit). They go after ``body``, in the room its storage has to spare (NIO rounds a
        /// storage up to a power of two), so most pages spend no memory on them. Copying the
        /// body behind them instead cost 54 MB at 1,000 tenants, from bodies pushed past a
        /// power of two and from the copies' churn.
        let http1Fields: ByteBuffer

        /// - Parameter body: Taken over, so that the fields can go into its storage.
        init(body: consuming ByteBuffer, encoding: ContentEncoding, etag: String, fields: PreparedFields) {
            var serialized = ByteBufferAllocator().buffer(capacity: fields.http1.readableBytes + 64 + etag.utf8.count)
            serialized.writeImmutableBuffer(fields.http1)
            Self.forEachOwnField(etag: etag, encoding: encoding) { name, value in
                serialized.writeHTTP1Field(name: name, value: value)
            }
            var storage = consume body
            let bodyStart = storage.readerIndex
            let bodyEnd = storage.writerIndex
            let inBodyStorage =
                storage.writableBytes >= serialized.readableBytes
                && storage.modifyIfUniquelyOwned { $0.writeImmutableBuffer(serialized) } != nil
            if inBodyStorage {
                self.http1Fields = storage.getSlice(at: bodyEnd, length: storage.writerIndex - bodyEnd)!
                self.body = storage.getSlice(at: bodyStart, length: bodyEnd - bodyStart)!
            } else {
                self.http1Fields = serialized
                self.body = storage
            }
            self.encoding = encoding
            self.etag = etag
            self.pageFields = fields
        }

        /// Calls `field` with each header field of the representation, as ``http1Fields`` holds them.
        func forEachField(_ field: (_ name: String, _ value: String) -> Void) {
            for (name, value) in self.pageFields.fields {
                field(name, value)
            }
            Self.forEachOwnField(etag: self.etag, encoding: self.encoding, field)
        }

        /// Writes the representation's fields as HPACK literals, for an HTTP/2 header block.
        func writeHTTP2Fields(into block: inout ByteBuffer) {
            block.writeImmutableBuffer(self.pageFields.http2Block)
            block.writeHPACKField(nameIndex: HPACKStaticTable.etag, value: self.etag)
            if self.encoding == .gzip {
                block.writeHPACKField(nameIndex: HPACKStaticTable.contentEncoding, value: "gzip")
            }
        }

        /// The fields a representation adds to its page's: `ETag` and, for gzip, `Content-Encoding`.
        private static func forEachOwnField(
            etag: String,
            encoding: ContentEncoding,
            _ field: (_ name: String, _ value: String) -> Void
        ) {
            field("ETag", etag)
            if encoding == .gzip {
                field("Content-Encoding", "gzip")
            }
        }
    }
}
