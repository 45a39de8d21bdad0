import Logging
import NIOCore
import NIOHTTP1

/// Turns decoded HTTP/1.1 requests into ``StorefrontRequest``s and writes the responder's answers back.
///
/// One handler serves an HTTP/1.1 connection, behind `HTTPServerPipelineHandler`, which holds
/// pipelined requests back until the previous response has ended, so responses keep their
/// order. (HTTP/2 connections have ``StorefrontHTTP2Handler``.) A cache hit is answered on the
/// event loop from ``StorefrontResponder/immediateResponse(to:)`` with no task hop; a miss runs
/// ``StorefrontResponder/respond(to:)`` in a task and hops back to the loop to write. The
/// handler enforces the per-request limits: 413 for bodies over the limit, 431 for heads over
/// it (the decoder reports them), 400 for malformed requests, and the header-read and
/// keep-alive idle timeouts. The transport adds `Date`, `Content-Length` and HSTS; `HEAD` gets
/// the headers of the `GET` response without its body.
final class StorefrontRequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        /// Waiting for the next request head.
        case idle
        /// Reading a request's body.
        case receiving(HTTPRequestHead, body: ByteBuffer?)
        /// The responder is working on a request; nothing else is read meanwhile.
        case responding
        /// An error response was written and the connection closes; the rest is ignored.
        case discarding
    }

    private let responder: any StorefrontResponder
    private let limits: StorefrontServer.Limits
    private let connection: ConnectionContext
    private let logger: Logger
    private var coveredAuthority = CoveredAuthority()
    private var state = State.idle
    private var quiescing = false
    /// When an idle connection (no request head in progress) is closed.
    private var idleDeadline = NIODeadline.distantFuture
    /// The one timer that enforces ``idleDeadline``, and when it fires.
    private var timer: (task: Scheduled<Void>, firesAt: NIODeadline)?
    /// Cache hits on HTTP/1.1 are flushed once per read burst, so pipelined hits share a TLS record.
    private var needsFlush = false
    private var date = HTTPDate()
    /// The request in flight, for its access-log line; `nil` when the log is off.
    private var logged: ResponseObserver.Request?

    init(
        responder: any StorefrontResponder,
        limits: StorefrontServer.Limits,
        connection: ConnectionContext,
        logger: Logger
    ) {
        self.responder = responder
        self.limits = limits
        self.connection = connection
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.closeWhenIdle(after: self.limits.headerReadTimeout, context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.timer?.task.cancel()
        self.timer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (Self.unwrapInboundIn(data), self.state) {
        case (.head(let head), .idle):
            if let length = head.headers.first(name: "content-length").flatMap(Int.init),
                length > self.limits.maxBodyBytes
            {
                self.fail(.payloadTooLarge, context: context)
            } else if head.version.major == 1, head.version.minor >= 1,
                !head.headers.contains(name: "host")
            {
                self.fail(.badRequest, context: context)
            } else {
                self.state = .receiving(head, body: nil)
            }
        case (.body(var chunk), .receiving(let head, let body)):
            guard (body?.readableBytes ?? 0) + chunk.readableBytes <= self.limits.maxBodyBytes else {
                self.fail(.payloadTooLarge, context: context)
                return
            }
            if var body {
                body.writeBuffer(&chunk)
                self.state = .receiving(head, body: body)
            } else {
                self.state = .receiving(head, body: chunk)
            }
        case (.end, .receiving(let head, let body)):
            self.dispatch(head, body: body, context: context)
        case (_, .discarding):
            break
        case (.head, .receiving), (.head, .responding), (.body, _), (.end, _):
            // The decoders never produce these sequences; answer as a protocol error rather than trap.
            self.fail(.badRequest, context: context)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if self.needsFlush {
            self.needsFlush = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? HTTPParserError {
            switch self.state {
            case .idle, .receiving:
                self.fail(error == .headerOverflow ? .requestHeaderFieldsTooLarge : .badRequest, context: context)
            case .responding, .discarding:
                context.close(promise: nil)
            }
        } else {
            self.logger.debug("connection error", metadata: ["error": "\(error)"])
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is StorefrontServer.QuiesceEvent {
            self.quiescing = true
            if case .idle = self.state {
                context.close(promise: nil)
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func dispatch(_ head: HTTPRequestHead, body: ByteBuffer?, context: ChannelHandlerContext) {
        let request = self.makeRequest(head, body: body)
        self.logged = self.connection.observer.begin(
            request,
            version: head.version.major == 1 && head.version.minor == 0 ? "HTTP/1.0" : "HTTP/1.1"
        )
        let keepAlive = head.isKeepAlive && !self.quiescing
        let isHead = head.method == .HEAD
        if self.coveredAuthority.isMisdirected(request.authority, on: self.connection) {
            self.write(.misdirected, isHead: isHead, keepAlive: keepAlive, flush: true, context: context)
            return
        }
        if let response = self.responder.immediateResponse(to: request) {
            // Reads always end with channelReadComplete (also for requests the pipelining
            // handler held back), which flushes.
            self.write(response, isHead: isHead, keepAlive: keepAlive, flush: false, context: context)
            return
        }
        self.state = .responding
        let responder = self.responder
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        Task {
            let response = await responder.respond(to: request)
            loopBound.eventLoop.execute {
                let (handler, context) = loopBound.value
                guard case .responding = handler.state, context.channel.isActive else { return }
                handler.write(
                    response,
                    isHead: isHead,
                    keepAlive: keepAlive && !handler.quiescing,
                    flush: true,
                    context: context
                )
            }
        }
    }

    private func makeRequest(_ head: HTTPRequestHead, body: ByteBuffer?) -> StorefrontRequest {
        var headers: [(name: String, value: String)] = []
        headers.reserveCapacity(head.headers.count)
        var host: String?
        for (name, value) in head.headers {
            let name = HeaderFieldName.lowercased(name)
            if host == nil, name == "host" {
                host = value
            }
            headers.append((name: name, value: value))
        }
        return StorefrontRequest(
            method: head.method.rawValue,
            target: head.uri,
            host: host ?? "",
            headers: headers,
            body: body,
            connection: self.connection
        )
    }

    private func write(
        _ response: StorefrontResponse,
        isHead: Bool,
        keepAlive: Bool,
        flush: Bool,
        context: ChannelHandlerContext
    ) {
        var headers = HTTPHeaders()
        headers.reserveCapacity(response.headers.count + 4)
        response.forEachHeaderField(date: self.date.now(), http2: false) { name, value in
            headers.add(name: name, value: value)
        }
        if !keepAlive {
            headers.replaceOrAdd(name: "connection", value: "close")
        }
        let head = HTTPResponseHead(
            version: .http1_1,
            status: HTTPResponseStatus(statusCode: response.status),
            headers: headers
        )
        context.write(Self.wrapOutboundOut(.head(head)), promise: nil)
        if !isHead, response.body.readableBytes > 0 {
            context.write(Self.wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
        }
        self.connection.observer.finish(
            response,
            bodyBytes: isHead ? 0 : response.body.readableBytes,
            request: self.logged,
            peer: self.connection.peerAddress,
            date: &self.date
        )
        self.logged = nil
        if keepAlive {
            self.state = .idle
            self.closeWhenIdle(after: self.limits.idleTimeout, context: context)
            if flush {
                context.writeAndFlush(Self.wrapOutboundOut(.end(nil)), promise: nil)
            } else {
                self.needsFlush = true
                context.write(Self.wrapOutboundOut(.end(nil)), promise: nil)
            }
            if self.quiescing, case .idle = self.state {
                context.close(promise: nil)
            }
        } else {
            self.state = .discarding
            context.writeAndFlush(Self.wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        }
    }

    /// Answers with an empty error response and closes the connection.
    private func fail(_ status: HTTPResponseStatus, context: ChannelHandlerContext) {
        self.logger.debug("rejected request", metadata: ["http.response.status_code": "\(status.code)"])
        let response = StorefrontResponse.rejection(status: Int(status.code))
        self.write(response, isHead: false, keepAlive: false, flush: true, context: context)
    }

    /// Closes the connection if it is still idle `delay` from now.
    ///
    /// Called after every response, so it moves a deadline rather than scheduling a timer: a
    /// timer already pending for an earlier time checks the deadline when it fires and waits
    /// on. Scheduling and cancelling a task per request cost more than the cache lookup.
    private func closeWhenIdle(after delay: TimeAmount, context: ChannelHandlerContext) {
        self.idleDeadline = .now() + delay
        if let timer = self.timer {
            guard timer.firesAt > self.idleDeadline else { return }
            timer.task.cancel()
        }
        self.scheduleTimer(at: self.idleDeadline, context: context)
    }

    private func scheduleTimer(at deadline: NIODeadline, context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let task = context.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, context) = loopBound.value
            handler.timer = nil
            // A request in progress has its own limits; the next response sets a new deadline.
            guard case .idle = handler.state else { return }
            if NIODeadline.now() >= handler.idleDeadline {
                context.close(promise: nil)
            } else {
                handler.scheduleTimer(at: handler.idleDeadline, context: context)
            }
        }
        self.timer = (task, deadline)
    }
}

@available(*, unavailable)
extension StorefrontRequestHandler: Sendable {}
