import NIOCore

/// Closes a connection that has been silent for the idle timeout (`IdleStateHandler` only reports
/// it) before it has chosen its protocol: a TLS handshake that stalls. Past the handshake the
/// protocol's handler closes idle connections the way its protocol says.
final class IdleCloseHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}

@available(*, unavailable)
extension IdleCloseHandler: Sendable {}
