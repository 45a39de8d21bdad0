import Foundation
import Logging
import NIOCore
import NIOEmbedded
import Testing

@testable import Edge

/// Which errors make the HTTP/1.1 handler close its connection.
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

    private func connection() throws -> (EmbeddedChannel, CloseRecorder) {
        let recorder = CloseRecorder()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(recorder)
        try channel.pipeline.syncOperations.addHandler(
            StorefrontRequestHandler(
                responder: NotFoundResponder(),
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
}
