import Logging
import NIOCore
import NIOHPACK
import NIOHTTP2

/// Serves one HTTP/2 stream: reads the request's HEADERS and DATA frames, answers through the
/// ``StorefrontResponder`` and writes the response as HEADERS and DATA frames.
///
/// It speaks frames directly rather than through `HTTP2FramePayloadToHTTP1ServerCodec` because
/// the codec turns every request into an HTTP/1 head and every response back into an HPACK
/// block, header by header: without it a cached page costs about a quarter less CPU. The request is
/// built from the header block (`:method`, `:path`, `:authority` or else `Host`); the response
/// is one HEADERS frame and one DATA frame holding the responder's buffer, which is never copied.
///
/// The behaviour matches ``StorefrontRequestHandler`` on HTTP/1.1: a cache hit is answered on
/// the event loop from ``StorefrontResponder/immediateResponse(to:)``, a miss from a task that
/// hops back; 421 for a host the connection's certificate does not cover; 413 for a body over
/// the limit; the transport's `date`, `content-length` and HSTS fields; `HEAD` gets the `GET`
/// response's fields without its body. A request the server refuses before reading it whole
/// is answered and then reset with `NO_ERROR`, which tells the client to stop sending
/// (RFC 9113 §8.1); frames out of order reset the stream with `PROTOCOL_ERROR`. Shutdown is the
/// connection's business (``HTTP2QuiesceHandler``): a stream always finishes its response.
final class StorefrontHTTP2StreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    /// What the streams of one connection share; it lives on the connection's event loop.
    final class Connection {
        let responder: any StorefrontResponder
        let limits: StorefrontServer.Limits
        let context: ConnectionContext
        let logger: Logger
        /// Shared so the date is formatted once a second per connection, not once per stream.
        var date = HTTPDate()
        /// Shared so the 421 check runs once per connection, not once per stream.
        var coveredAuthority = CoveredAuthority()

        init(
            responder: any StorefrontResponder,
            limits: StorefrontServer.Limits,
            context: ConnectionContext,
            logger: Logger
        ) {
            self.responder = responder
            self.limits = limits
            self.context = context
            self.logger = logger
        }
    }

    private enum State {
        /// Waiting for the request's HEADERS.
        case idle
        /// Reading the request body until `END_STREAM`.
        case receiving(StorefrontRequest)
        /// The request is complete and the responder is working on it.
        case responding
        /// The response is written, or the stream was refused; whatever else arrives is ignored.
        case done
    }

    private let connection: Connection
    private var state = State.idle
    /// The request, for its access-log line; `nil` when the log is off.
    private var logged: ResponseObserver.Request?

    init(connection: Connection) {
        self.connection = connection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (Self.unwrapInboundIn(data), self.state) {
        case (.headers(let headers), .idle):
            self.receiveHead(headers, context: context)
        case (.headers(let trailers), .receiving(let request)):
            // Trailers end the request; nothing here reads them.
            guard trailers.endStream else {
                self.reset(.protocolError, context: context)
                return
            }
            self.dispatch(request, context: context)
        case (.data(let data), .receiving(var request)):
            // Leaving `.receiving` first keeps the body uniquely referenced, so appending to it
            // does not copy it.
            self.state = .responding
            guard case .byteBuffer(var chunk) = data.data else {
                preconditionFailure("HTTP/2 DATA read from the network is always a ByteBuffer")
            }
            let received = request.body?.readableBytes ?? 0
            guard received + chunk.readableBytes <= self.connection.limits.maxBodyBytes else {
                self.refuse(413, context: context)
                return
            }
            if received == 0 {
                request.body = chunk
            } else {
                request.body?.writeBuffer(&chunk)
            }
            if data.endStream {
                self.dispatch(request, context: context)
            } else {
                self.state = .receiving(request)
            }
        case (.headers, .done), (.data, .done):
            break
        case (.headers, .responding), (.data, .idle), (.data, .responding):
            // The connection's state machine never lets these through; answer as a protocol error rather than trap.
            self.reset(.protocolError, context: context)
        case (.priority, _), (.rstStream, _), (.settings, _), (.pushPromise, _), (.ping, _), (.goAway, _),
            (.windowUpdate, _), (.alternativeService, _), (.origin, _):
            // Stream and flow control are the multiplexer's: nothing here for the request.
            break
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.connection.logger.debug("stream error", metadata: ["error": "\(error)"])
        self.state = .done
        context.close(promise: nil)
    }

    private func receiveHead(_ frame: HTTP2Frame.FramePayload.Headers, context: ChannelHandlerContext) {
        var method: String?
        var target: String?
        var authority: String?
        var host: String?
        var headers: [(name: String, value: String)] = []
        headers.reserveCapacity(frame.headers.count)
        // HPACK names are lowercase: the connection's header validation resets streams whose are not.
        for (name, value, _) in frame.headers {
            if name.utf8.first == UInt8(ascii: ":") {
                switch name {
                case ":method": method = value
                case ":path": target = value
                case ":authority": authority = value
                default: break
                }
            } else {
                if name == "host" {
                    host = value
                }
                headers.append((name: name, value: value))
            }
        }
        // A request without these is malformed (RFC 9113 §8.3.1), and so is one whose Host names
        // another server than its :authority (§8.3.1 again), which could split the tenant the
        // server picks from the one a cache or log sees.
        guard let method, let target, !target.isEmpty else {
            self.refuse(400, requestComplete: frame.endStream, context: context)
            return
        }
        if let authority, let host, !HeaderFieldName.equal(host, HeaderFieldName.lowercased(authority)) {
            self.refuse(400, requestComplete: frame.endStream, context: context)
            return
        }
        let request = StorefrontRequest(
            method: method,
            target: target,
            host: authority ?? host ?? "",
            headers: headers,
            body: nil,
            connection: self.connection.context
        )
        if frame.endStream {
            self.dispatch(request, context: context)
        } else if let length = request.header("content-length").flatMap(Int.init),
            length > self.connection.limits.maxBodyBytes
        {
            self.refuse(413, context: context)
        } else {
            self.state = .receiving(request)
        }
    }

    private func dispatch(_ request: StorefrontRequest, context: ChannelHandlerContext) {
        self.state = .responding
        self.logged = self.connection.context.observer.begin(request, version: "HTTP/2.0")
        let isHead = request.method == "HEAD"
        if self.connection.coveredAuthority.isMisdirected(request.authority, on: self.connection.context) {
            self.write(.misdirected, isHead: isHead, context: context)
            return
        }
        let responder = self.connection.responder
        if let response = responder.immediateResponse(to: request) {
            self.write(response, isHead: isHead, context: context)
            return
        }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        Task {
            let response = await responder.respond(to: request)
            loopBound.eventLoop.execute {
                let (handler, context) = loopBound.value
                // The client may have reset the stream meanwhile.
                guard case .responding = handler.state, context.channel.isActive else { return }
                handler.write(response, isHead: isHead, context: context)
            }
        }
    }

    private func write(_ response: StorefrontResponse, isHead: Bool, context: ChannelHandlerContext) {
        self.state = .done
        var headers = HPACKHeaders()
        headers.reserveCapacity(response.headers.count + 4)
        headers.add(name: ":status", value: String(response.status))
        response.forEachHeaderField(date: self.connection.date.now(), http2: true) { name, value in
            headers.add(name: name, value: value)
        }
        let bodyless = isHead || response.body.readableBytes == 0
        context.write(Self.wrapOutboundOut(.headers(.init(headers: headers, endStream: bodyless))), promise: nil)
        if !bodyless {
            context.write(
                Self.wrapOutboundOut(.data(.init(data: .byteBuffer(response.body), endStream: true))),
                promise: nil
            )
        }
        self.connection.context.observer.finish(
            response,
            bodyBytes: bodyless ? 0 : response.body.readableBytes,
            request: self.logged,
            peer: self.connection.context.peerAddress,
            date: &self.connection.date
        )
        // Flushing at once costs nothing extra: while the connection is reading, the multiplexer
        // holds stream flushes back until its read completes, so responses to one read share a
        // TLS record.
        context.flush()
    }

    /// Answers with an empty error response; unless the client has sent the whole request,
    /// then resets the stream with `NO_ERROR` so it stops sending the rest.
    private func refuse(_ status: Int, requestComplete: Bool = false, context: ChannelHandlerContext) {
        self.connection.logger.debug("rejected request", metadata: ["http.response.status_code": "\(status)"])
        self.write(.rejection(status: status), isHead: false, context: context)
        if !requestComplete {
            context.writeAndFlush(Self.wrapOutboundOut(.rstStream(.noError)), promise: nil)
        }
    }

    private func reset(_ code: HTTP2ErrorCode, context: ChannelHandlerContext) {
        self.connection.logger.debug("reset stream", metadata: ["http2.error_code": "\(code)"])
        self.state = .done
        context.writeAndFlush(Self.wrapOutboundOut(.rstStream(code)), promise: nil)
    }
}

@available(*, unavailable)
extension StorefrontHTTP2StreamHandler: Sendable {}

@available(*, unavailable)
extension StorefrontHTTP2StreamHandler.Connection: Sendable {}
