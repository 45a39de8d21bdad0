import Logging
import NIOCore
import NIOHPACK
import NIOHTTP2

/// Serves every stream of one HTTP/2 connection from the frames `NIOHTTP2Handler` reads: a
/// request's HEADERS and DATA frames in, the response as HEADERS and DATA frames out.
///
/// One handler on the connection rather than a child channel per stream
/// (`HTTP2StreamMultiplexer`): creating, registering, activating and tearing down a channel and
/// its pipeline for every request cost about a seventh of the CPU of a cached page. Frames rather
/// than `HTTP2FramePayloadToHTTP1ServerCodec`, because the codec turns every request into an HTTP/1
/// head and every response back into an HPACK block, header by header. The request is built from
/// the header block (`:method`, `:path`, `:authority` or else `Host`); the response is one HEADERS
/// frame and one DATA frame holding the responder's buffer, which is never copied.
///
/// The behaviour matches ``StorefrontRequestHandler`` on HTTP/1.1: a cache hit is answered on
/// the event loop from ``StorefrontResponder/immediateResponse(to:)`` and flushed with the other
/// answers to the same read, a miss from a task that hops back; 421 for a host the connection's
/// certificate does not cover; 413 for a body over the limit; the transport's `date`,
/// `content-length` and HSTS fields; `HEAD` gets the `GET` response's fields without its body.
/// A request the server refuses before reading it whole is answered and then reset with
/// `NO_ERROR`, which tells the client to stop sending (RFC 9113 §8.1); trailers that do not end
/// the stream reset it with `PROTOCOL_ERROR`, and so does a malformed header block
/// (``HTTP2RequestHead``). Other protocol errors are `NIOHTTP2Handler`'s: it resets the stream or
/// sends `GOAWAY`.
///
/// Without the multiplexer, flow control of request bodies is this handler's: every DATA byte
/// read is returned to the connection's and the stream's windows at once (bodies are bounded by
/// the body limit, so the windows never need to hold anything back). On shutdown the connection
/// announces `GOAWAY`, finishes the streams it has, then says which was the last and closes.
final class StorefrontHTTP2Handler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    /// A stream whose request is still arriving or being answered.
    private enum Stream {
        /// Reading the request body until `END_STREAM`; it must add up to the declared length.
        case receiving(StorefrontRequest, declaredLength: Int?)
        /// The request is complete and the responder is working on it.
        case responding(ResponseObserver.Request?)
    }

    private var answerer: RequestAnswerer
    private let limits: StorefrontServer.Limits
    private let logger: Logger
    private var connection: ConnectionContext { self.answerer.connection }
    private var date = HTTPDate()
    private var streams: [HTTP2StreamID: Stream] = [:]
    /// Streams the protocol considers open, which shutdown waits for.
    private var openStreams = 0
    private var lastStreamID = HTTP2StreamID.rootStream
    private var quiescing = false
    /// Answers written while reading are flushed once the read completes, so they share TLS records.
    private var needsFlush = false

    init(
        responder: any StorefrontResponder,
        limits: StorefrontServer.Limits,
        connection: ConnectionContext,
        logger: Logger
    ) {
        self.answerer = RequestAnswerer(responder: responder, connection: connection)
        self.limits = limits
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = self.unwrapInboundIn(data)
        let id = frame.streamID
        switch (frame.payload, self.streams[id]) {
        case (.headers(let headers), nil):
            self.receiveHead(headers, stream: id, context: context)
        case (.headers(let trailers), .receiving(let request, let declaredLength)):
            // Trailers end the request; nothing here reads them.
            do {
                try HTTP2RequestHead.validateTrailers(trailers.headers)
                try Self.checkLength(request.body?.readableBytes ?? 0, declared: declaredLength, complete: true)
            } catch {
                self.reset(id, .protocolError, context: context, malformed: error)
                return
            }
            guard trailers.endStream else {
                self.reset(id, .protocolError, context: context)
                return
            }
            self.streams[id] = nil
            self.dispatch(request, stream: id, context: context)
        case (.data(let data), .receiving(var request, let declaredLength)):
            self.returnToWindows(data, stream: id, context: context)
            // Taking the stream out first keeps the body uniquely referenced, so appending to it
            // does not copy it; it goes back only while the body goes on.
            self.streams[id] = nil
            guard case .byteBuffer(var chunk) = data.data else {
                preconditionFailure("HTTP/2 DATA read from the network is always a ByteBuffer")
            }
            let received = request.body?.readableBytes ?? 0
            guard received + chunk.readableBytes <= self.limits.maxBodyBytes else {
                self.refuse(413, stream: id, context: context)
                return
            }
            do {
                try Self.checkLength(received + chunk.readableBytes, declared: declaredLength, complete: data.endStream)
            } catch {
                self.reset(id, .protocolError, context: context, malformed: error)
                return
            }
            if received == 0 {
                request.body = chunk
            } else {
                request.body?.writeBuffer(&chunk)
            }
            if data.endStream {
                self.dispatch(request, stream: id, context: context)
            } else {
                self.streams[id] = .receiving(request, declaredLength: declaredLength)
            }
        case (.data(let data), _):
            // The rest of a body this handler refused; the connection's window still counts it.
            self.returnToWindows(data, stream: nil, context: context)
        case (.headers, .responding):
            // The connection's state machine never lets these through; answer as a protocol error rather than trap.
            self.reset(id, .protocolError, context: context)
        case (.priority, _), (.rstStream, _), (.settings, _), (.pushPromise, _), (.ping, _), (.goAway, _),
            (.windowUpdate, _), (.alternativeService, _), (.origin, _):
            // Connection management is `NIOHTTP2Handler`'s; a reset arrives as `StreamClosedEvent`.
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if self.needsFlush {
            self.needsFlush = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let created as NIOHTTP2StreamCreatedEvent:
            self.openStreams += 1
            self.lastStreamID = max(self.lastStreamID, created.streamID)
        case let closed as StreamClosedEvent:
            // A reset stream's answer, should one still be rendering, is dropped when it arrives.
            self.streams[closed.streamID] = nil
            self.openStreams -= 1
            if self.quiescing, self.openStreams == 0 {
                self.finishShutdown(context: context)
            }
        case is StorefrontServer.QuiesceEvent:
            self.quiescing = true
            let goAway = HTTP2Frame(
                streamID: .rootStream,
                payload: .goAway(lastStreamID: .maxID, errorCode: .noError, opaqueData: nil)
            )
            context.writeAndFlush(self.wrapOutboundOut(goAway), promise: nil)
            if self.openStreams == 0 {
                context.close(promise: nil)
            }
        case let idle as IdleStateHandler.IdleStateEvent where idle == .read:
            // Nothing read for the idle timeout, so no request is on its way: the client learns
            // which stream was the last one served before the connection closes (RFC 9113 §6.8).
            self.finishShutdown(context: context)
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // `NIOHTTP2Handler` has already reset the stream (a stream error) or sent GOAWAY (a
        // connection error); either way the other streams go on, and I/O errors close the
        // channel by themselves. Inbound errors arrive unwrapped, so they cannot tell which.
        if let error = error as? NIOHTTP2Errors.StreamError {
            self.streams[error.streamID] = nil
        }
        self.logger.debug("HTTP/2 error", metadata: ["error": "\(error)"])
    }

    private func receiveHead(
        _ frame: HTTP2Frame.FramePayload.Headers,
        stream id: HTTP2StreamID,
        context: ChannelHandlerContext
    ) {
        let head: HTTP2RequestHead
        do {
            head = try HTTP2RequestHead(validating: frame.headers)
        } catch {
            self.reset(id, .protocolError, context: context, malformed: error)
            return
        }
        // A request without a path is one this server does not serve (`CONNECT`), and so is
        // one whose Host names another server than its :authority (RFC 9113 §8.3.1), which
        // could split the tenant the server picks from the one a cache or log sees.
        guard let target = head.path else {
            self.refuse(400, stream: id, requestComplete: frame.endStream, context: context)
            return
        }
        if let authority = head.authority, let host = head.host,
            !HeaderFieldName.equal(host, HeaderFieldName.lowercased(authority))
        {
            self.refuse(400, stream: id, requestComplete: frame.endStream, context: context)
            return
        }
        let request = StorefrontRequest(
            method: head.method,
            target: target,
            host: head.authority ?? head.host ?? "",
            headers: head.fields,
            body: nil,
            connection: self.connection
        )
        if frame.endStream {
            do {
                try Self.checkLength(0, declared: head.contentLength, complete: true)
            } catch {
                self.reset(id, .protocolError, context: context, malformed: error)
                return
            }
            self.dispatch(request, stream: id, context: context)
        } else if let length = head.contentLength, length > self.limits.maxBodyBytes {
            self.refuse(413, stream: id, context: context)
        } else {
            self.streams[id] = .receiving(request, declaredLength: head.contentLength)
        }
    }

    /// A request whose DATA frames do not add up to its `content-length` is malformed (RFC 9113
    /// §8.1.1); `received` is what arrived so far, all of it when `complete`.
    private static func checkLength(
        _ received: Int,
        declared: Int?,
        complete: Bool
    ) throws(HTTP2RequestHead.Malformed) {
        guard let declared else { return }
        guard received <= declared, !complete || received == declared else {
            throw HTTP2RequestHead.Malformed(description: "content-length \(declared), body \(received) bytes or more")
        }
    }

    /// Answers a complete request, whose stream is not in ``streams``: a cache hit at once,
    /// without ever entering it; a render from there, so that a reset can drop its answer.
    private func dispatch(_ request: StorefrontRequest, stream id: HTTP2StreamID, context: ChannelHandlerContext) {
        let logged = self.connection.observer.begin(request, version: "HTTP/2.0")
        let isHead = request.method == "HEAD"
        var request = request
        if let ready = self.answerer.immediateAnswer(to: &request) {
            self.write(ready, logged: logged, isHead: isHead, stream: id, flush: false, context: context)
            return
        }
        self.streams[id] = .responding(logged)
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        self.answerer.render(request, on: context.eventLoop) { response in
            let (handler, context) = loopBound.value
            // The client may have reset the stream meanwhile.
            guard case .responding(let logged) = handler.streams.removeValue(forKey: id), context.channel.isActive
            else { return }
            handler.write(response, logged: logged, isHead: isHead, stream: id, flush: true, context: context)
        }
    }

    private func write(
        _ response: StorefrontResponse,
        logged: ResponseObserver.Request?,
        isHead: Bool,
        stream id: HTTP2StreamID,
        flush: Bool,
        context: ChannelHandlerContext
    ) {
        var headers = HPACKHeaders()
        headers.reserveCapacity(response.headers.count + (response.representation?.pageFields.http2.count ?? 0) + 6)
        headers.add(name: ":status", value: String(response.status))
        response.forEachHeaderField(date: self.date.now(), http2: true, leftOut: self.logger.responseFieldLeftOut) {
            name,
            value,
            recurring in
            headers.add(name: name, value: value, indexing: recurring ? .indexable : .nonIndexable)
        }
        let bodyless = isHead || response.body.readableBytes == 0
        // The handlers here wrap and unwrap with the instance methods: Swift 6.3 leaves calls of
        // the static `Self.wrapOutboundOut` unspecialized, and the generic `NIOAny` then tries
        // four dynamic casts per frame (1.6 % of the server's CPU under h2load).
        context.write(
            self.wrapOutboundOut(
                HTTP2Frame(streamID: id, payload: .headers(.init(headers: headers, endStream: bodyless)))
            ),
            promise: nil
        )
        if !bodyless {
            let data = HTTP2Frame.FramePayload.Data(data: .byteBuffer(response.body), endStream: true)
            context.write(self.wrapOutboundOut(HTTP2Frame(streamID: id, payload: .data(data))), promise: nil)
        }
        self.connection.observer.finish(
            response,
            bodyBytes: bodyless ? 0 : response.body.readableBytes,
            request: logged,
            peer: self.connection.peerAddress,
            date: &self.date
        )
        if flush {
            context.flush()
        } else {
            self.needsFlush = true
        }
    }

    /// Gives the flow-controlled length of `data` back to the connection's window and, while
    /// the request goes on, to the stream's.
    private func returnToWindows(
        _ data: HTTP2Frame.FramePayload.Data,
        stream id: HTTP2StreamID?,
        context: ChannelHandlerContext
    ) {
        let length = data.data.readableBytes + (data.paddingBytes.map { $0 + 1 } ?? 0)
        guard length > 0 else { return }
        context.write(
            self.wrapOutboundOut(
                HTTP2Frame(streamID: .rootStream, payload: .windowUpdate(windowSizeIncrement: length))
            ),
            promise: nil
        )
        if let id, !data.endStream {
            context.write(
                self.wrapOutboundOut(HTTP2Frame(streamID: id, payload: .windowUpdate(windowSizeIncrement: length))),
                promise: nil
            )
        }
        self.needsFlush = true
    }

    private func refuse(
        _ status: Int,
        stream id: HTTP2StreamID,
        requestComplete: Bool = false,
        context: ChannelHandlerContext
    ) {
        self.logger.debug("rejected request", metadata: ["http.response.status_code": "\(status)"])
        self.streams[id] = nil
        self.write(
            .rejection(status: status),
            logged: nil,
            isHead: false,
            stream: id,
            flush: requestComplete,
            context: context
        )
        if !requestComplete {
            context.writeAndFlush(
                self.wrapOutboundOut(HTTP2Frame(streamID: id, payload: .rstStream(.noError))),
                promise: nil
            )
        }
    }

    private func reset(
        _ id: HTTP2StreamID,
        _ code: HTTP2ErrorCode,
        context: ChannelHandlerContext,
        malformed: HTTP2RequestHead.Malformed? = nil
    ) {
        self.logger.debug(
            "reset stream",
            metadata: ["http2.error_code": "\(code)", "error.message": "\(malformed?.description ?? "")"]
        )
        self.streams[id] = nil
        context.writeAndFlush(self.wrapOutboundOut(HTTP2Frame(streamID: id, payload: .rstStream(code))), promise: nil)
    }

    /// Says which stream was the last one served, then closes: once shutdown has no stream to
    /// wait for, or when the connection has been idle.
    private func finishShutdown(context: ChannelHandlerContext) {
        let goAway = HTTP2Frame(
            streamID: .rootStream,
            payload: .goAway(lastStreamID: self.lastStreamID, errorCode: .noError, opaqueData: nil)
        )
        // The close event arrives while `NIOHTTP2Handler` is in the middle of a write.
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.execute {
            let (handler, context) = loopBound.value
            context.writeAndFlush(handler.wrapOutboundOut(goAway)).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }
}

@available(*, unavailable)
extension StorefrontHTTP2Handler: Sendable {}
