import Foundation
import Logging
import NIOCore
import NIOEmbedded
import Testing

@_spi(Benchmarks) @testable import Edge

/// Which errors make the HTTP/1.1 handler close its connection, and how its responses leave.
@Suite struct StorefrontRequestHandlerTests {
    /// Counts the close requests that pass it on their way to the socket, where NIOSSLHandler sits in a server.
    private final class CloseRecorder: ChannelOutboundHandler {
        typealias OutboundIn = ByteBuffer
        var closes = 0

        func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
            self.closes += 1
            context.close(mode: mode, promise: promise)
        }
    }

    private func connection(
        responder: any StorefrontResponder = NotFoundResponder()
    ) throws -> (EmbeddedChannel, CloseRecorder) {
        let recorder = CloseRecorder()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(recorder)
        try channel.pipeline.syncOperations.addHandler(
            StorefrontRequestHandler(
                responder: responder,
                limits: StorefrontServer.Limits(),
                connection: ConnectionContext(
                    peerAddress: "192.0.2.1",
                    serverName: nil,
                    certificate: nil,
                    trustedProxies: try TrustedProxies(parsing: [])
                ),
                logger: Logger(label: "test")
            )
        )
        try channel.connect(to: SocketAddress(ipAddress: "192.0.2.2", port: 443)).wait()
        return (channel, recorder)
    }

    /// NIO closes the socket after a read or write fails. A close through the pipeline as well
    /// made NIOSSLHandler start a TLS shutdown on the dead connection, whose 5 s timer kept the
    /// connection's handlers and buffers in memory long after it closed.
    @Test(arguments: [ECONNRESET, EPIPE, ETIMEDOUT])
    func aFailedSocketIsLeftForNIOToClose(errno: Int32) throws {
        let (channel, recorder) = try self.connection()
        channel.pipeline.fireErrorCaught(IOError(errnoCode: errno, reason: "read(descriptor:pointer:size:)"))
        #expect(recorder.closes == 0)
        #expect(channel.isActive)
        _ = try channel.finish()
    }

    @Test func anyOtherErrorClosesTheConnection() throws {
        struct Unexpected: Error {}
        let (channel, recorder) = try self.connection()
        channel.pipeline.fireErrorCaught(Unexpected())
        #expect(recorder.closes == 1)
        #expect(!channel.isActive)
    }

    /// The answers to the requests of one read leave in one buffer, so that NIOSSL puts them in
    /// as few TLS records as they fill (one record per write cost 25–45 % of throughput); a body
    /// over a record's size goes out on its own, uncopied, and the order holds.
    @Test func pipelinedAnswersLeaveInOneBufferAndLargeBodiesOnTheirOwn() throws {
        let (channel, _) = try self.connection(responder: EchoResponder())
        let requests = ["/sized?10", "/sized?20", "/sized?40000", "/sized?5", "/sized?7"].map {
            "GET \($0) HTTP/1.1\r\nHost: acme.localhost\r\n\r\n"
        }
        try channel.writeInbound(ByteBuffer(string: requests.joined()))
        var written: [ByteBuffer] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { written.append(buffer) }
        let texts = written.map { String(buffer: $0) }
        let statusLines = texts.map { $0.components(separatedBy: "HTTP/1.1 200 OK\r\n").count - 1 }
        #expect(statusLines == [3, 0, 2])
        let largeHeadEnd = "content-length: 40000\r\nstrict-transport-security: max-age=31536000\r\n\r\n"
        #expect(texts.first?.hasSuffix(largeHeadEnd) == true)
        #expect(written.count == 3 && Array(written[1].readableBytesView) == EchoResponder.sizedBody(40_000))
        #expect(texts.last?.contains("\r\n\r\nabcdeHTTP/1.1 200 OK\r\n") == true)
        #expect(texts.last?.hasSuffix("\r\n\r\nabcdefg") == true)
        _ = try channel.finish()
    }

    /// The seam `bench/run micro` times the transports through answers as a cache hit does:
    /// the page with its tag, and `304` for a request that holds the tag.
    @Test func theBenchmarkSeamAnswersWithThePageAsACacheHit() throws {
        let page = CachedPage(
            status: 200,
            headers: [("Content-Type", "text/html; charset=utf-8")],
            body: ByteBuffer(string: "<p>hello</p>"),
            gzipBody: nil
        )
        let channel = EmbeddedChannel()
        try StorefrontServer.addProtocolHandler(to: channel, http2: false, answering: page)
        try channel.connect(to: SocketAddress(ipAddress: "192.0.2.2", port: 443)).wait()
        let requests =
            "GET / HTTP/1.1\r\nHost: acme.localhost\r\n\r\n"
            + "GET / HTTP/1.1\r\nHost: acme.localhost\r\nIf-None-Match: \(page.etag)\r\n\r\n"
        try channel.writeInbound(ByteBuffer(string: requests))
        let answers = String(buffer: try #require(try channel.readOutbound(as: ByteBuffer.self)))
        #expect(answers.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(answers.contains("ETag: \(page.etag)\r\n"))
        #expect(answers.contains("\r\n\r\n<p>hello</p>HTTP/1.1 304 Not Modified\r\n"))
        _ = try channel.finish()
    }
}
