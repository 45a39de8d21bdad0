import NIOCore
import NIOHTTP2

/// Counts an HTTP/2 connection's open streams, so a quiescing connection closes when the last one ends.
struct HTTP2StreamTracker: NIOHTTP2StreamDelegate {
    private struct State {
        var openStreams = 0
        var quiescing = false
        /// The highest stream the peer opened, for the final `GOAWAY`.
        var lastStreamID = HTTP2StreamID.rootStream
    }

    private let channel: any Channel
    private let state: NIOLoopBoundBox<State>

    init(channel: any Channel) {
        self.channel = channel
        self.state = NIOLoopBoundBox(State(), eventLoop: channel.eventLoop)
    }

    func streamCreated(_ id: HTTP2StreamID, channel: any Channel) {
        self.state.value.openStreams += 1
        self.state.value.lastStreamID = max(self.state.value.lastStreamID, id)
    }

    func streamClosed(_ id: HTTP2StreamID, channel: any Channel) {
        self.state.value.openStreams -= 1
        if self.state.value.quiescing, self.state.value.openStreams == 0 {
            self.close()
        }
    }

    /// Marks the connection as quiescing; `true` when no stream is open and it can close now.
    func quiesce() -> Bool {
        self.state.value.quiescing = true
        return self.state.value.openStreams == 0
    }

    /// Sends the final `GOAWAY`, naming the last stream served (RFC 9113 §6.8), and closes the
    /// connection once it is written.
    ///
    /// A stream closes as the connection handler passes on its last frame, before that frame
    /// reaches the socket: closing at once would drop the end of the last response. Writes leave
    /// in order, so when the `GOAWAY` is written, so is everything before it.
    private func close() {
        let channel = self.channel
        let goAway = HTTP2Frame(
            streamID: .rootStream,
            payload: .goAway(lastStreamID: self.state.value.lastStreamID, errorCode: .noError, opaqueData: nil)
        )
        // The close event arrives while the connection handler is in the middle of a write.
        channel.eventLoop.execute {
            channel.writeAndFlush(goAway).whenComplete { _ in
                channel.close(promise: nil)
            }
        }
    }
}

/// On shutdown, tells the HTTP/2 peer with `GOAWAY` that no new streams will be served, and
/// closes the connection once the streams in flight have finished.
final class HTTP2QuiesceHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    private let streams: HTTP2StreamTracker

    init(streams: HTTP2StreamTracker) {
        self.streams = streams
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is StorefrontServer.QuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        let goAway = HTTP2Frame(
            streamID: .rootStream,
            payload: .goAway(lastStreamID: .maxID, errorCode: .noError, opaqueData: nil)
        )
        context.writeAndFlush(Self.wrapOutboundOut(goAway), promise: nil)
        if self.streams.quiesce() {
            context.close(promise: nil)
        }
    }
}

@available(*, unavailable)
extension HTTP2QuiesceHandler: Sendable {}
