import NIOCore
import NIOHTTP1
import Testing

@testable import Edge

/// The storefront's HTTP/1.1 request reader (RFC 9112), fed whole and byte by byte.
@Suite struct HTTP1RequestParserTests {
    /// What the parser made of `text`: the events in order, described, then the error it threw.
    private func parse(_ text: String, maxHeadBytes: Int = 1024, byteByByte: Bool = false) -> [String] {
        var parser = HTTP1RequestParser(maxHeadBytes: maxHeadBytes)
        var events: [String] = []
        let chunks = byteByByte ? text.utf8.map { ByteBuffer(bytes: [$0]) } : [ByteBuffer(string: text)]
        do {
            for chunk in chunks {
                parser.append(chunk)
                while let event = try parser.next() {
                    switch event {
                    case .head(let head):
                        let fields = head.fields.map { "\($0.name)=\($0.value)" }.joined(separator: ",")
                        events.append(
                            "head \(head.method) \(head.target) \(head.isHTTP10 ? "1.0" : "1.1") host=\(head.host ?? "-") "
                                + "length=\(head.contentLength.map(String.init) ?? "-") keepAlive=\(head.keepAlive) [\(fields)]"
                        )
                    case .body(let body):
                        // Consecutive pieces are one body, however the bytes arrived.
                        if events.last?.hasPrefix("body ") == true {
                            events[events.count - 1] += String(buffer: body)
                        } else {
                            events.append("body " + String(buffer: body))
                        }
                    case .end:
                        events.append("end")
                    }
                }
            }
        } catch {
            events.append("error \(error.answer.code)")
        }
        return events
    }

    @Test func aHeadIsReadWithItsNamesLowercasedAndValuesTrimmed() {
        let request =
            "GET /shop?q=1 HTTP/1.1\r\nHost: acme.localhost\r\nAccept-Encoding: \t gzip, br \t\r\nX-Empty:\r\n\r\n"
        let expected = [
            "head GET /shop?q=1 1.1 host=acme.localhost length=- keepAlive=true "
                + "[host=acme.localhost,accept-encoding=gzip, br,x-empty=]",
            "end",
        ]
        #expect(self.parse(request) == expected)
        #expect(self.parse(request, byteByByte: true) == expected)
    }

    @Test func pipelinedRequestsAndBodiesAreReadInOrder() {
        let requests =
            "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
            + "POST /b HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "3;name=value\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-Trailer: yes\r\n\r\n"
            + "GET /c HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
            + "GET /d HTTP/1.1\r\nHost: h\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
        let expected = [
            "head POST /a 1.1 host=h length=5 keepAlive=true [host=h,content-length=5]", "body hello", "end",
            "head POST /b 1.1 host=h length=- keepAlive=true [host=h,transfer-encoding=chunked]",
            "body abc0123456789", "end",
            "head GET /c 1.0 host=- length=- keepAlive=true [connection=keep-alive]", "end",
            "head GET /d 1.1 host=h length=0 keepAlive=false [host=h,connection=close,content-length=0]", "end",
        ]
        #expect(self.parse(requests) == expected)
        #expect(self.parse(requests, byteByByte: true) == expected)
        #expect(self.parse("GET / HTTP/1.0\r\n\r\n") == ["head GET / 1.0 host=- length=- keepAlive=false []", "end"])
        #expect(
            self.parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok").suffix(2)
                == ["body ok", "end"]
        )
    }

    /// Each of these is read differently by some parsers, which lets a request hide in another
    /// (request smuggling), or is malformed outright: refused, and the connection closes.
    @Test(
        arguments: [
            ("GET / HTTP/1.1\r\nHost: h\r\n continued\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400),
            ("GET / HTTP/1.1\nHost: h\n\n", 400),
            ("GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nX: y\r\n\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: h\r\nX: a\u{0}b\r\n\r\n", 400),
            ("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 400),
            ("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
            ("GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", 400),
            (" GET / HTTP/1.1\r\nHost: h\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\nhello", 400),
            ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\nhello", 400),
            ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400),
            ("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
            ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
            ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 501),
            ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3 x\r\nabc\r\n0\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n", 400),
            ("GET / HTTP/1.1\r\nHost: h\r\nX: \(String(repeating: "a", count: 1100))\r\n\r\n", 431),
        ] as [(String, Int)]
    )
    func malformedRequestsAreRefused(request: String, status: Int) {
        #expect(self.parse(request).last == "error \(status)")
        #expect(self.parse(request, byteByByte: true).last == "error \(status)")
    }

    @Test func aHeadOverTheLimitIsRefusedBeforeItEnds() {
        #expect(
            self.parse("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 2000), maxHeadBytes: 1024) == [
                "error 431"
            ]
        )
    }
}
