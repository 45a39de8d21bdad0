import NIOCore
import Synchronization

/// Response header fields that many responses share (a cached page's `Content-Type`,
/// `Cache-Control`, `Vary`…), checked and serialized once instead of on every response.
///
/// Every cached page carries the fields of its kind, and pages of one kind have identical
/// fields, so ``interned(_:)`` hands every page the same instance: the bytes cost nothing per
/// page, which matters with hundreds of thousands of pages in the cache.
final class PreparedFields: Sendable {
    /// The end-to-end fields as the responder wrote them; transport-owned, connection-specific
    /// and malformed ones are left out.
    let fields: [(name: String, value: String)]
    /// `name: value\r\n` for each of ``fields``.
    let http1: ByteBuffer
    /// ``fields`` as HPACK literals, their names lowercased as HTTP/2 requires (RFC 9113 §8.2).
    let http2Block: ByteBuffer

    private init(_ fields: [(name: String, value: String)]) {
        var kept: [(name: String, value: String)] = []
        var http1 = ByteBuffer()
        var http2Block = ByteBuffer()
        for (name, value) in fields
        where HeaderFieldName.role(of: name) == .endToEnd && HeaderFieldName.isWellFormed(name: name, value: value) {
            kept.append((name, value))
            http1.writeHTTP1Field(name: name, value: value)
            http2Block.writeHPACKField(name: HeaderFieldName.lowercased(name), value: value)
        }
        self.fields = kept
        self.http1 = http1
        self.http2Block = http2Block
    }

    /// The prepared form of `fields`, shared with every earlier caller that passed equal fields.
    static func interned(_ fields: [(name: String, value: String)]) -> PreparedFields {
        let key = fields.map { $0.name + "\u{0}" + $0.value }.joined(separator: "\u{0}")
        return Self.table.withLock { table in
            if let prepared = table[key] { return prepared }
            let prepared = PreparedFields(fields)
            // Field sets come from code, not from requests, so a few dozen exist; the cap only
            // guards against a responder that puts per-page values here.
            if table.count < Self.maximumInterned { table[key] = prepared }
            return prepared
        }
    }

    private static let maximumInterned = 1024
    private static let table = Mutex<[String: PreparedFields]>([:])
}

extension ByteBuffer {
    /// Writes one header field as HTTP/1.1 puts it on the wire, `name: value\r\n`; the caller
    /// has checked that the field is well formed.
    mutating func writeHTTP1Field(name: String, value: String) {
        self.writeString(name)
        self.writeStaticString(": ")
        self.writeString(value)
        self.writeStaticString("\r\n")
    }
}
