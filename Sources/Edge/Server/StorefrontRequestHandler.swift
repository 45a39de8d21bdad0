import Logging
import NIOCore
import NIOHTTP1

/// Reads HTTP/1.1 requests into ``StorefrontRequest``s and writes the responder's answers back.
///
/// One handler serves an HTTP/1.1 connection: it reads requests from the connection's bytes
/// with ``HTTP1RequestParser`` and writes its responses as bytes itself: the answers to one
/// read's requests, status lines, header fields and bodies, into one buffer (the thread's
/// ``SpareOutputBuffer``), so that they share TLS records; a body over a record's size follows
/// as its own buffer, uncopied. NIOHTTP1's response encoder, its outbound header validator and
/// `HTTPServerPipelineHandler` cost a third of the handler's share of a cached page (three
/// response parts through three more handlers, an `HTTPHeaders` built per response), so this
/// handler does their work: it writes only fields it knows are well formed (a value with a CR,
/// LF or NUL is dropped), and it keeps pipelined requests in order by reading no further while a
/// response is being rendered, and holding the channel's reads, until that response is written.
/// (HTTP/2 connections have ``StorefrontHTTP2Handler``.)
///
/// A cache hit is answered on the event loop from ``StorefrontResponder/immediateResponse(to:)``
/// with no task hop; a miss runs ``StorefrontResponder/respond(to:)`` in a task and hops back
/// to the loop to write. The handler enforces the per-request limits: 413 for bodies over the
/// limit, 431 for heads over it, 400 for malformed requests (501 for a transfer coding other
/// than chunked), and the header-read and keep-alive idle timeouts. The transport adds `Date`,
/// `Content-Length` and HSTS; `HEAD` gets the headers of the `GET` response without its body.
final class StorefrontRequestHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum State {
        /// Waiting for the next request head.
        case idle
        /// Reading a request's body.
        case receiving(HTTP1RequestHead, body: ByteBuffer?)
        /// The responder is working on a request; nothing else is read meanwhile.
        case responding
        /// An error response was written and the connection closes; the rest is ignored.
        case discarding
    }

    private var answerer: RequestAnswerer
    private let limits: StorefrontServer.Limits
    private let logger: Logger
    private var connection: ConnectionContext { self.answerer.connection }
    private var state = State.idle
    private var quiescing = false
    /// When an idle connection (no request head in progress) is closed.
    private var idleDeadline = NIODeadline.distantFuture
    /// The one timer that enforces ``idleDeadline``, and when it fires.
    private var timer: (task: Scheduled<Void>, firesAt: NIODeadline)?
    /// The responses written since the last flush, in one buffer (the thread's spare). Cache
    /// hits on HTTP/1.1 are flushed once per read burst, so pipelined hits share a TLS record.
    private var output: ByteBuffer?
    /// A buffer of responses already passed on ahead of a large body, to be recycled once flushed.
    private var writtenOutput: ByteBuffer?
    private var needsFlush: Bool { self.output != nil || self.writtenOutput != nil }
    private var date = HTTPDate()
    /// The request in flight, for its access-log line; `nil` when the log is off.
    private var logged: ResponseObserver.Request?
    /// Holds what was read and not yet handled: pipelined requests wait there while a response
    /// is being rendered.
    private var parser: HTTP1RequestParser
    /// Whether the channel asked to read while a response was being rendered.
    private var readHeld = false
    /// Set while requests are being read, so answering one does not start another read loop.
    private var reading = false

    init(
        responder: any StorefrontResponder,
        limits: StorefrontServer.Limits,
        connection: ConnectionContext,
        logger: Logger
    ) {
        self.answerer = RequestAnswerer(responder: responder, connection: connection)
        self.limits = limits
        self.logger = logger
        self.parser = HTTP1RequestParser(maxHeadBytes: limits.maxHeaderBytes)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.closeWhenIdle(after: self.limits.headerReadTimeout, context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.timer?.task.cancel()
        self.timer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.parser.append(self.unwrapInboundIn(data))
        self.readRequests(context: context)
    }

    /// Handles what the parser has, until it needs more bytes or a response is being rendered.
    private func readRequests(context: ChannelHandlerContext) {
        self.reading = true
        defer { self.reading = false }
        do {
            while self.isReading, let event = try self.parser.next() {
                self.handle(event, context: context)
            }
        } catch {
            self.logger.debug("malformed request", metadata: ["error.message": "\(error)"])
            self.fail(error.answer, context: context)
        }
    }

    /// Holds the channel's reads while a response is being rendered, so a client sending
    /// pipelined requests is pushed back rather than buffered without bound.
    func read(context: ChannelHandlerContext) {
        if case .responding = self.state {
            self.readHeld = true
        } else {
            context.read()
        }
    }

    private func handle(_ event: HTTP1RequestParser.Event, context: ChannelHandlerContext) {
        switch (event, self.state) {
        case (.head(let head), .idle):
            if let length = head.contentLength, length > self.limits.maxBodyBytes {
                self.fail(.payloadTooLarge, context: context)
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
        case (.head, _), (.body, _), (.end, _):
            preconditionFailure("the parser reads a head, its body, then its end, and only while reading")
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if self.needsFlush {
            self.flushOutput(context: context)
        }
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.logger.debug("connection error", metadata: ["error": "\(error)"])
        // NIO closes the socket itself after a read or write fails; closing through the
        // pipeline as well would only write close_notify to a dead connection. (Before
        // `TLSCloseHandler`, that close also left NIOSSL's 5-s shutdown timer holding the
        // connection: 220 MB under full handshakes, whose clients reset every connection.)
        guard !(error is IOError) else { return }
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is StorefrontServer.QuiesceEvent {
            self.quiescing = true
            if case .idle = self.state {
                self.closeAfterResponses(context: context)
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func dispatch(_ head: HTTP1RequestHead, body: ByteBuffer?, context: ChannelHandlerContext) {
        var request = StorefrontRequest(
            method: head.method,
            target: head.target,
            host: head.host ?? "",
            headers: head.fields,
            body: body,
            connection: self.connection
        )
        self.logged = self.connection.observer.begin(request, version: head.isHTTP10 ? "HTTP/1.0" : "HTTP/1.1")
        let keepAlive = head.keepAlive && !self.quiescing
        let isHead = head.method == "HEAD"
        if let ready = self.answerer.immediateAnswer(to: &request) {
            // Flushed by channelReadComplete, or once reading on after a render stops.
            self.write(ready, isHead: isHead, keepAlive: keepAlive, flush: false, context: context)
            return
        }
        self.state = .responding
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        self.answerer.render(request, on: context.eventLoop) { response in
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

    private func write(
        _ response: StorefrontResponse,
        isHead: Bool,
        keepAlive: Bool,
        flush: Bool,
        context: ChannelHandlerContext
    ) {
        let bodyBytes = isHead ? 0 : response.body.readableBytes
        // A body that fits in one TLS record with its head goes out in the head's buffer: one
        // TLS record for both, where two writes would make two.
        let bodyInHead = bodyBytes > 0 && bodyBytes <= Self.tlsRecordSize - Self.headReserve
        var output =
            self.output.take()
            ?? SpareOutputBuffer.take(minimumCapacity: Self.tlsRecordSize)
        output.reserveCapacity(
            minimumWritableBytes: Self.headReserve + response.headers.count * 48 + (bodyInHead ? bodyBytes : 0)
        )
        self.writeHead(of: response, keepAlive: keepAlive, into: &output)
        if bodyInHead {
            output.writeImmutableBuffer(response.body)
        }
        self.connection.observer.finish(
            response,
            bodyBytes: bodyBytes,
            request: self.logged,
            peer: self.connection.peerAddress,
            date: &self.date
        )
        self.logged = nil
        if keepAlive {
            self.state = .idle
            self.closeWhenIdle(after: self.limits.idleTimeout, context: context)
        }
        if bodyBytes > 0, !bodyInHead {
            // A large body goes out as it is, without a copy, after what was written before it.
            context.write(self.wrapOutboundOut(output), promise: nil)
            context.write(self.wrapOutboundOut(response.body), promise: nil)
            self.writtenOutput = output
        } else {
            self.output = output
        }
        guard keepAlive else {
            self.flushOutput(context: context)
            self.closeAfterResponses(context: context)
            return
        }
        if flush {
            self.flushOutput(context: context)
        }
        if self.quiescing {
            self.closeAfterResponses(context: context)
        } else if !self.reading {
            self.resumeReading(context: context)
        }
    }

    /// Writes the responses gathered since the last flush and flushes them; then, encrypted by
    /// `NIOSSLHandler`, their buffer is free for the next flush on this thread.
    private func flushOutput(context: ChannelHandlerContext) {
        if let output = self.output.take() {
            context.write(self.wrapOutboundOut(output), promise: nil)
            context.flush()
            SpareOutputBuffer.recycle(consume output)
        } else {
            context.flush()
        }
        if let written = self.writtenOutput.take() {
            SpareOutputBuffer.recycle(consume written)
        }
    }

    /// The most plaintext one TLS record carries (RFC 8446 §5.1).
    private static let tlsRecordSize = 16_384

    /// Room left in a TLS record for the head of a response whose body goes out with it; a
    /// cached page's head takes about 300 bytes.
    private static let headReserve = 1024

    /// Reads on after a rendered response: the requests that arrived meanwhile, in order, until
    /// one of them starts rendering again; then lets the channel read.
    private func resumeReading(context: ChannelHandlerContext) {
        self.readRequests(context: context)
        if self.needsFlush {
            // Outside a read, no `channelReadComplete` will flush what was answered here.
            self.flushOutput(context: context)
        }
        if case .responding = self.state { return }
        if self.readHeld {
            self.readHeld = false
            context.read()
        }
    }

    /// Whether the next request can be read now (rather than left with the parser).
    private var isReading: Bool {
        switch self.state {
        case .idle, .receiving: true
        case .responding, .discarding: false
        }
    }

    /// Writes the status line and header fields of `response` as HTTP/1.1 puts them on the wire.
    ///
    /// A responder's field whose name is not a token, or whose value holds a CR, LF or NUL, is
    /// left out (and logged): written as is it could split the response. The transport adds
    /// `Date`, `Content-Length` and HSTS, and `Connection: close` when the connection ends.
    private func writeHead(of response: StorefrontResponse, keepAlive: Bool, into buffer: inout ByteBuffer) {
        if response.status == 200 {
            buffer.writeStaticString("HTTP/1.1 200 OK\r\n")
        } else {
            let status = HTTPResponseStatus(statusCode: response.status)
            buffer.writeStaticString("HTTP/1.1 ")
            buffer.writeString(String(status.code))
            buffer.writeStaticString(" ")
            buffer.writeString(status.reasonPhrase)
            buffer.writeStaticString("\r\n")
        }
        response.page?.withRepresentation(for: response.encoding) { _ = buffer.writeImmutableBuffer($0.http1Fields) }
        response.forEachResponderField(http2: false, leftOut: self.logger.responseFieldLeftOut) { name, value in
            if !keepAlive, HeaderFieldName.equal(name, "connection") { return }
            buffer.writeHTTP1Field(name: name, value: value)
        }
        buffer.writeStaticString("date: ")
        buffer.writeString(self.date.now())
        buffer.writeStaticString("\r\ncontent-length: ")
        buffer.writeString(String(response.body.readableBytes))
        buffer.writeStaticString("\r\nstrict-transport-security: ")
        buffer.writeString(StorefrontResponse.strictTransportSecurity)
        buffer.writeStaticString(keepAlive ? "\r\n\r\n" : "\r\nconnection: close\r\n\r\n")
    }

    /// Answers with an empty error response and closes the connection.
    private func fail(_ status: HTTPResponseStatus, context: ChannelHandlerContext) {
        self.logger.debug("rejected request", metadata: ["http.response.status_code": "\(status.code)"])
        let response = StorefrontResponse.rejection(status: Int(status.code))
        self.write(response, isHead: false, keepAlive: false, flush: true, context: context)
    }

    /// Closes the connection once what was written has gone out: `TLSCloseHandler` closes the
    /// output, after NIOSSL's buffered records and NIO's pending writes. The client may send on
    /// until it sees the close; what it sends is not answered.
    private func closeAfterResponses(context: ChannelHandlerContext) {
        self.state = .discarding
        context.close(promise: nil)
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
                handler.closeAfterResponses(context: context)
            } else {
                handler.scheduleTimer(at: handler.idleDeadline, context: context)
            }
        }
        self.timer = (task, deadline)
    }
}

@available(*, unavailable)
extension StorefrontRequestHandler: Sendable {}
