import NIOCore
import NIOSSL

/// Closes an established TLS connection as a lingering close: the server's close_notify and
/// FIN leave at once, and the socket is closed when the client closes its side, or the linger
/// timeout later.
///
/// Without it, a close reaches `NIOSSLHandler` as a full close: it sends close_notify and waits
/// up to its shutdown timeout (5 s) for the client's, on a timer that the end of the connection
/// does not cancel (swift-nio-ssl 2.37.6). Browsers and most client libraries answer with a
/// plain FIN, so every connection the server closed (keep-alive timeout, `Connection: close`,
/// errors, HTTP/2 `GOAWAY`) kept its handlers and TLS buffers, about 40 KB, alive for those
/// 5 s: 64 → 246 MB resident at 900 such connections a second. With only the output closed,
/// the client's FIN or close_notify ends the connection at once, and nothing waits on a timer.
///
/// Reading on until the client closes also keeps the response safe: closing a socket with
/// unread input makes the kernel send a reset, which can discard the response's tail at the
/// client before it has read it.
///
/// Added once the handshake is done, directly above `NIOSSLHandler`: a close during the
/// handshake has no response to protect and goes straight through.
final class TLSCloseHandler: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = IOData

    private let lingerTimeout: TimeAmount
    private var lingering = false

    init(lingerTimeout: TimeAmount) {
        self.lingerTimeout = lingerTimeout
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode == .all, context.channel.isActive else {
            context.close(mode: mode, promise: promise)
            return
        }
        // A second close (a shutdown's grace period ending) means now.
        guard !self.lingering else {
            Self.closeBeneathTLS(context, promise: promise)
            return
        }
        self.lingering = true
        let closed = context.channel.closeFuture
        if let promise {
            closed.cascade(to: promise)
        }
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let deadline = context.eventLoop.scheduleTask(in: self.lingerTimeout) {
            Self.closeBeneathTLS(loopBound.value, promise: nil)
        }
        // Cancelling releases the task, and with it this connection's pipeline.
        closed.whenComplete { _ in deadline.cancel() }
        context.close(mode: .output, promise: nil)
    }

    /// Closes the socket without passing `NIOSSLHandler`, which would wait for close_notify
    /// once more, on the timer described above; its close_notify has already gone out.
    private static func closeBeneathTLS(_ context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        let tls = try? context.pipeline.syncOperations.context(handlerType: NIOSSLHandler.self)
        (tls ?? context).close(promise: promise)
    }
}

@available(*, unavailable)
extension TLSCloseHandler: Sendable {}
