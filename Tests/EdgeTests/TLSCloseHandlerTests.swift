import NIOCore
import NIOEmbedded
import Testing

@testable import Edge

/// A close becomes close_notify and FIN first; the socket closes when the client does, at the
/// linger timeout, or at a second close, and never waits on a timer once it has closed.
///
/// `EmbeddedChannel` completes its close future only when its loop runs, hence the `run()`s.
@Suite struct TLSCloseHandlerTests {
    /// Stands for `NIOSSLHandler` and the socket beneath the handler under test: records the
    /// closes that reach it and closes the channel on a full one, or when the "client" closes.
    private final class Beneath: ChannelOutboundHandler {
        typealias OutboundIn = IOData
        var closes: [CloseMode] = []
        private var context: ChannelHandlerContext?

        func handlerAdded(context: ChannelHandlerContext) {
            self.context = context
        }

        func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
            self.closes.append(mode)
            if mode == .all {
                context.close(mode: mode, promise: promise)
            } else {
                promise?.succeed()
            }
        }

        func clientCloses() {
            self.context?.close(promise: nil)
        }
    }

    private static let linger = TimeAmount.seconds(5)

    private func channel() throws -> (EmbeddedChannel, Beneath) {
        let beneath = Beneath()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(beneath)
        try channel.pipeline.syncOperations.addHandler(TLSCloseHandler(lingerTimeout: Self.linger))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 443)).wait()
        return (channel, beneath)
    }

    @Test func aCloseClosesTheOutputAndTheClientsCloseEndsTheConnection() throws {
        let (channel, beneath) = try self.channel()
        let closed = channel.close()
        #expect(beneath.closes == [.output])
        #expect(channel.isActive)
        beneath.clientCloses()
        channel.embeddedEventLoop.run()
        #expect(throws: Never.self) { try closed.wait() }
        channel.embeddedEventLoop.advanceTime(by: Self.linger * 2)
        #expect(beneath.closes == [.output])
    }

    @Test func aClientThatKeepsItsSideOpenIsClosedAtTheLingerTimeout() throws {
        let (channel, beneath) = try self.channel()
        let closed = channel.close()
        channel.embeddedEventLoop.advanceTime(by: Self.linger - .milliseconds(1))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        channel.embeddedEventLoop.run()
        #expect(beneath.closes == [.output, .all])
        #expect(!channel.isActive)
        #expect(throws: Never.self) { try closed.wait() }
    }

    @Test func aSecondCloseClosesAtOnce() throws {
        let (channel, beneath) = try self.channel()
        let first = channel.close()
        let second = channel.close()
        channel.embeddedEventLoop.run()
        #expect(beneath.closes == [.output, .all])
        #expect(throws: Never.self) { try first.wait() }
        #expect(throws: Never.self) { try second.wait() }
    }

    @Test func anOutputCloseGoesThrough() throws {
        let (channel, beneath) = try self.channel()
        try channel.close(mode: .output).wait()
        #expect(beneath.closes == [.output])
        beneath.clientCloses()
        channel.embeddedEventLoop.run()
    }
}
