import NIOCore
import NIOHPACK
import Testing

@testable import Edge

/// Page fields checked and serialized once, and shared by every page with the same fields.
@Suite struct PreparedFieldsTests {
    @Test func pagesWithEqualFieldsShareOnePreparedForm() {
        let fields = [("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-cache")]
        let first = CachedPage(status: 200, headers: fields, body: ByteBuffer(string: "one"), gzipBody: nil)
        let second = CachedPage(status: 200, headers: fields, body: ByteBuffer(string: "two"), gzipBody: nil)
        let other = CachedPage(
            status: 200,
            headers: [("Content-Type", "text/css")],
            body: ByteBuffer(string: "three"),
            gzipBody: nil
        )
        #expect(first.prepared === second.prepared)
        #expect(first.prepared !== other.prepared)
    }

    @Test func transportConnectionAndMalformedFieldsAreLeftOut() throws {
        let prepared = PreparedFields.interned([
            ("Content-Type", "text/plain"), ("Content-Length", "99"), ("Connection", "close"),
            ("Bad Name", "x"), ("X-Split", "a\r\nSet-Cookie: b"), ("Vary", "Accept-Encoding"),
        ])
        #expect(prepared.fields.map(\.name) == ["Content-Type", "Vary"])
        #expect(String(buffer: prepared.http1) == "Content-Type: text/plain\r\nVary: Accept-Encoding\r\n")
        var block = prepared.http2Block
        var decoder = HPACKDecoder(allocator: ByteBufferAllocator())
        let decoded = try decoder.decodeHeaders(from: &block)
        #expect(decoded.map(\.name) == ["content-type", "vary"])
    }

    @Test func aCachedResponseSendsThePreparedFieldsThenItsOwn() throws {
        let page = CachedPage(
            status: 200,
            headers: [("Content-Type", "text/html"), ("Vary", "Accept-Encoding")],
            body: ByteBuffer(string: "<p>hi</p>"),
            gzipBody: nil
        )
        let request = StorefrontRequest(
            method: "GET",
            authority: "acme.localhost",
            path: "/",
            query: nil,
            headers: [],
            clientAddress: nil,
            body: nil
        )
        let response = StorefrontService.response(from: page, to: request)
        var leftOut: [String] = []
        var block = ByteBuffer()
        response.writeHTTP2HeaderBlock(into: &block, date: "Fri, 27 Nov 2026 22:00:00 GMT") { leftOut.append($0) }
        var decoder = HPACKDecoder(allocator: ByteBufferAllocator())
        let decoded = try decoder.decodeHeaders(from: &block)
        #expect(leftOut.isEmpty)
        #expect(
            decoded.map { "\($0.name): \($0.value)" } == [
                ":status: 200", "content-type: text/html", "vary: Accept-Encoding", "etag: \(page.etag)",
                "date: Fri, 27 Nov 2026 22:00:00 GMT", "content-length: 9",
                "strict-transport-security: max-age=31536000",
            ]
        )
        #expect(response.header("content-type") == "text/html")
        #expect(response.header("ETag") == page.etag)
    }

    @Test func eachRepresentationSerializesTheFieldsItListsInFrontOfItsBody() {
        let page = CachedPage(
            status: 200,
            headers: [("Content-Type", "text/html"), ("Vary", "Accept-Encoding")],
            body: ByteBuffer(string: String(repeating: "<p>hi</p>", count: 20)),
            gzipBody: ByteBuffer(string: "gzipped")
        )
        for encoding in [ContentEncoding.identity, .gzip] {
            let representation = page.representation(for: encoding)
            var listed = ""
            representation.forEachField { name, value in listed += "\(name): \(value)\r\n" }
            #expect(String(buffer: representation.http1Fields) == listed)
            #expect(listed.contains("ETag: \(representation.etag)\r\n"))
            #expect(listed.contains("Content-Encoding: gzip") == (encoding == .gzip))
        }
        #expect(String(buffer: page.representation(for: .gzip).body) == "gzipped")
        #expect(page.identityBody == ByteBuffer(string: String(repeating: "<p>hi</p>", count: 20)))
    }

    @Test func fieldsGoIntoTheRoomTheirBodyHasToSpareWhenNoOneElseHoldsIt() {
        func start(_ buffer: ByteBuffer) -> UnsafeRawPointer? { buffer.withVeryUnsafeBytes { $0.baseAddress } }
        func followsInItsStorage(_ fields: ByteBuffer, _ body: ByteBuffer) -> Bool {
            start(fields) == start(body).map { $0 + body.writerIndex }
        }
        let fields = [("Content-Type", "text/html")]
        // 600 bytes get a storage of 1,024.
        let text = String(repeating: "<p>hi</p>", count: 60) + "<hr>" + String(repeating: "x", count: 56)
        let page = CachedPage(status: 200, headers: fields, body: ByteBuffer(string: text), gzipBody: nil)
        let owned = page.representation(for: .identity)
        #expect(followsInItsStorage(owned.http1Fields, owned.body))
        #expect(String(buffer: owned.body) == text)

        let held = ByteBuffer(string: "<p>held</p>")
        let shared = CachedPage(status: 200, headers: fields, body: held, gzipBody: nil).representation(for: .identity)
        #expect(start(shared.body) == start(held))
        #expect(!followsInItsStorage(shared.http1Fields, held))
        #expect(held.readableBytes == 11 && held.writerIndex == 11)
        #expect(String(buffer: shared.http1Fields) == "Content-Type: text/html\r\nETag: \(shared.etag)\r\n")
    }
}
