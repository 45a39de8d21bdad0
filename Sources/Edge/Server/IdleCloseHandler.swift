import NIOCore

/// Closes a plain-HTTP connection that has been silent for the idle timeout (`IdleStateHandler`
/// only reports it). HTTPS connections have a handshake deadline instead, and past the handshake
/// the protocol's handler closes idle connections the way its protocol says.
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
