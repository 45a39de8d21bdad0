@_spi(Benchmarks) import Edge
import NIOCore
import NIOEmbedded

/// The storefront's transports answering a cache hit, one request per read as shoppers send
/// them: what each connection's handler adds to every request apart from TLS and the socket.
extension EdgeMicro {
    static let host = "t00001.bench.test"
    static let path = "/products/item-1"
    static var http1Request: ByteBuffer {
        ByteBuffer(string: "GET \(Self.path) HTTP/1.1\r\nHost: \(Self.host)\r\n\r\n")
    }

    /// Nanoseconds per `GET` answered with `page` by the HTTP/1.1 handler, and the answer.
    static func measureHTTP1(_ page: CachedPage, operations: Int) throws -> (nanoseconds: Double, answer: ByteBuffer) {
        let channel = EmbeddedChannel()
        try StorefrontServer.addProtocolHandler(to: channel, http2: false, answering: page)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 443)).wait()
        let request = Self.http1Request
        let answer = try Self.answer(to: request, on: channel)
        precondition(
            String(buffer: answer).hasPrefix("HTTP/1.1 200 OK\r\n")
                && answer.readableBytes > page.identityBody.readableBytes,
            "the HTTP/1.1 handler answers with the page"
        )
        let nanoseconds = try Self.timeExchanges(operations: operations, size: answer.readableBytes) {
            try Self.answer(to: request, on: channel)
        }
        return (nanoseconds, answer)
    }

    /// Nanoseconds per `GET` answered with `page` by the HTTP/2 handler, each on a new stream.
    static func measureHTTP2(_ page: CachedPage, operations: Int) throws -> Double {
        let channel = EmbeddedChannel()
        try StorefrontServer.addProtocolHandler(to: channel, http2: true, answering: page)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 443)).wait()
        var opening = ByteBuffer(string: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        opening.writeBytes(Self.frame(type: 0x4, flags: 0, stream: 0, payload: []))
        // The connection's window opened to its maximum, and topped up below by what the
        // answers' DATA frames use, so that flow control never holds an answer back.
        let maximumWindow: UInt32 = (1 << 31) - 1
        opening.writeBytes(Self.windowUpdate(by: maximumWindow - 65_535))
        _ = try Self.answer(to: opening, on: channel)

        // :method GET and :scheme https from the static table; :path and :authority as
        // literals without indexing, so every request's block is decoded the same way.
        var block: [UInt8] = [0x82, 0x87]
        for (nameIndex, value) in [(UInt8(4), Self.path), (UInt8(1), Self.host)] {
            block += [nameIndex, UInt8(value.utf8.count)] + Array(value.utf8)
        }
        var stream: UInt32 = 1
        var unreportedBytes: UInt32 = 0
        let bodyBytes = UInt32(page.identityBody.readableBytes)
        var request = ByteBuffer()
        func exchange() throws -> ByteBuffer {
            request.clear()
            if unreportedBytes > 1 << 30 {
                request.writeBytes(Self.windowUpdate(by: unreportedBytes))
                unreportedBytes = 0
            }
            request.writeBytes(Self.frame(type: 0x1, flags: 0x5, stream: stream, payload: block))
            stream += 2
            unreportedBytes += bodyBytes
            return try Self.answer(to: request, on: channel)
        }
        let answer = try exchange()
        precondition(
            answer.readableBytes > page.identityBody.readableBytes && answer.getInteger(at: 3, as: UInt8.self) == 0x1,
            "the HTTP/2 handler answers with HEADERS and the page's DATA"
        )
        return try Self.timeExchanges(operations: operations, size: answer.readableBytes, exchange)
    }

    /// Nanoseconds per read answered by a handler that writes the HTTP/1.1 answer `prepared`
    /// without reading the request: what the `EmbeddedChannel` round trip itself costs, the
    /// floor under the two figures above.
    static func measureHarness(answering prepared: ByteBuffer, operations: Int) throws -> Double {
        let channel = EmbeddedChannel(handler: PreparedAnswerHandler(answer: prepared))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 443)).wait()
        let request = Self.http1Request
        return try Self.timeExchanges(operations: operations, size: prepared.readableBytes) {
            try Self.answer(to: request, on: channel)
        }
    }

    /// Nanoseconds per `exchange`, after up to 10,000 unmeasured ones; every answer must be
    /// `size` bytes long.
    private static func timeExchanges(
        operations: Int,
        size: Int,
        _ exchange: () throws -> ByteBuffer
    ) throws -> Double {
        func exchangeWhole(_: Int) throws {
            let answer = try exchange()
            precondition(answer.readableBytes == size, "every answer is whole")
        }
        try (0..<min(operations, 10_000)).forEach(exchangeWhole)
        return try Self.median(operations: operations) { try (0..<operations).forEach(exchangeWhole) }
    }

    /// Everything the handler wrote in answer to `bytes`, as one buffer.
    private static func answer(to bytes: ByteBuffer, on channel: EmbeddedChannel) throws -> ByteBuffer {
        try channel.writeInbound(bytes)
        guard var answer = try channel.readOutbound(as: ByteBuffer.self) else {
            preconditionFailure("the handler answers every request")
        }
        while var more = try channel.readOutbound(as: ByteBuffer.self) {
            answer.writeBuffer(&more)
        }
        return answer
    }

    private static func frame(type: UInt8, flags: UInt8, stream: UInt32, payload: [UInt8]) -> [UInt8] {
        let length = UInt32(payload.count)
        return [UInt8(truncatingIfNeeded: length >> 16), UInt8(truncatingIfNeeded: length >> 8)]
            + [UInt8(truncatingIfNeeded: length), type, flags]
            + withUnsafeBytes(of: stream.bigEndian, Array.init) + payload
    }

    private static func windowUpdate(by increment: UInt32) -> [UInt8] {
        Self.frame(type: 0x8, flags: 0, stream: 0, payload: withUnsafeBytes(of: increment.bigEndian, Array.init))
    }
}

/// Writes the same answer for every read, as the anchors' minimal server does for a request.
private final class PreparedAnswerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let answer: ByteBuffer

    init(answer: ByteBuffer) {
        self.answer = answer
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.write(self.wrapOutboundOut(self.answer), promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }
}
