import Logging
import NIOCore
import NIOHPACK

/// Speaks HTTP/2 (RFC 9113) on one connection: reads the client's frames, answers every stream,
/// and keeps the connection's flow control, settings and shutdown.
///
/// Hand-written rather than `NIOHTTP2Handler`: with NIOHTTP2, even a server answering fixed
/// bytes reached only 0.55–0.92× nginx's HTTP/2 requests per second here, and with the storefront
/// its connection and stream state machines, frame coding and HPACK encoder took more than half
/// of the server's CPU under h2load (twice nginx's CPU per request). This handler keeps only what
/// a server that never pushes needs: a stream map, the send windows, and the checks of RFC 9113
/// §5–6. Header blocks are decoded by NIOHPACK's `HPACKDecoder`; responses' blocks are written
/// as literals (`ByteBuffer+HTTP2.swift`). Everything written while a read is handled goes out
/// in one buffer at the end of the read, so answers to the same read share TLS records.
///
/// The behaviour matches ``StorefrontRequestHandler`` on HTTP/1.1: a cache hit is answered on
/// the event loop from ``StorefrontResponder/immediateResponse(to:)``, a miss from a task that
/// hops back; 421 for a host the connection's certificate does not cover; 413 for a body over
/// the limit; the transport's `date`, `content-length` and HSTS fields; `HEAD` gets the `GET`
/// response's fields without its body. A request refused before it was read whole is answered
/// and then reset with `NO_ERROR`, which tells the client to stop sending (RFC 9113 §8.1);
/// trailers that do not end the stream reset it with `PROTOCOL_ERROR`, and so does a malformed
/// header block (``HTTP2RequestHead``).
///
/// Limits: at most `http2MaxConcurrentStreams` streams open (more are refused with
/// `REFUSED_STREAM`); a request whose header list is over `http2MaxHeaderListSize` gets 431
/// (RFC 9113 §10.5.1), and one that decodes to more than twice that ends the connection, as does
/// a compressed block over it; and 200 resets by the client in 30 seconds (the "rapid reset"
/// attack, CVE-2023-44487) end the connection with `ENHANCE_YOUR_CALM`. While the client does
/// not read what the server writes (the channel is not writable), nothing more is read from it,
/// so pings and settings it keeps sending cannot pile up answers.
///
/// Request bodies are bounded by the body limit, so every DATA byte read is returned to the
/// connection's window (and, while the request goes on, the stream's) at once. On shutdown the
/// connection announces `GOAWAY`, finishes the streams it has, then says which was the last and
/// closes; an idle connection does the same.
final class StorefrontHTTP2Handler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private struct Stream {
        enum Phase {
            /// Reading the request body until `END_STREAM`; it must add up to the declared length.
            case receiving(StorefrontRequest, declaredLength: Int?)
            /// The request is complete and the responder is working on it.
            case responding(ResponseObserver.Request?)
            /// Answered, with body bytes waiting for the client's flow-control windows.
            case sending(ByteBuffer)
        }

        var phase: Phase
        /// What the client lets the server send on this stream (RFC 9113 §6.9).
        var sendWindow: Int
    }

    /// A header block whose CONTINUATION frames are still to come.
    private struct PartialHeaderBlock {
        var stream: UInt32
        var endStream: Bool
        var fragments: ByteBuffer
    }

    private static let maxWindow = Int(Int32.max)
    private static let initialWindow = 65_535
    private static let resetLimit = 200
    private static let resetPeriod = TimeAmount.seconds(30)

    private var answerer: RequestAnswerer
    private let limits: StorefrontServer.Limits
    private let logger: Logger
    private var connection: ConnectionContext { self.answerer.connection }
    private var date = HTTPDate()
    private var reader = HTTP2FrameReader()
    private var decoder: HPACKDecoder
    /// Frames written since the last flush.
    private var output = ByteBuffer()
    private var needsFlush = false
    private var streams: [UInt32: Stream] = [:]
    /// Streams with body bytes waiting for a window, in the order they were answered.
    private var sending: [UInt32] = []
    private var partialBlock: PartialHeaderBlock?
    /// The highest stream the client opened; lower ones not in ``streams`` are closed.
    private var lastStream: UInt32 = 0
    private var settingsReceived = false
    private var peerInitialWindow = StorefrontHTTP2Handler.initialWindow
    private var peerMaxFrameSize = HTTP2FrameReader.maxFrameSize
    private var connectionSendWindow = StorefrontHTTP2Handler.initialWindow
    /// The client's HPACK table size, which it may lower; the next block then says the server
    /// keeps within it (RFC 7541 §4.2), though it puts nothing in that table.
    private var encoderTableSize = 4_096
    private var encoderTableSizeChanged = false
    private var resets = (count: 0, since: NIODeadline.uptimeNanoseconds(0))
    private var quiescing = false
    private var closing = false
    private var readHeld = false

    init(
        responder: any StorefrontResponder,
        limits: StorefrontServer.Limits,
        connection: ConnectionContext,
        logger: Logger
    ) {
        self.answerer = RequestAnswerer(responder: responder, connection: connection)
        self.limits = limits
        self.logger = logger
        self.decoder = HPACKDecoder(
            allocator: ByteBufferAllocator(),
            maxDynamicTableSize: HPACKDecoder.maxDynamicTableSize,
            // Twice the advertised size, so that a list merely over it is still decoded whole
            // (the decoder's table stays in step) and answered 431; this bound is for blocks
            // that expand from a few bytes to many through the table.
            maxHeaderListSize: 2 * limits.http2MaxHeaderListSize
        )
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // The server's connection preface (RFC 9113 §3.4).
        self.output.writeHTTP2Settings([
            (parameter: 0x3, value: UInt32(clamping: self.limits.http2MaxConcurrentStreams)),
            (parameter: 0x6, value: UInt32(clamping: self.limits.http2MaxHeaderListSize)),
        ])
        self.flushOutput(context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.closing else { return }
        self.reader.append(self.unwrapInboundIn(data))
        do {
            while !self.closing, let frame = try self.reader.next() {
                try self.process(frame, context: context)
            }
        } catch {
            self.fail(error, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        // Renders still running find no stream to answer.
        self.closing = true
        self.streams = [:]
        context.fireChannelInactive()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if self.quiescing, self.streams.isEmpty {
            self.finishShutdown(context: context)
        } else if self.needsFlush {
            self.flushOutput(context: context)
        }
        context.fireChannelReadComplete()
    }

    func read(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            context.read()
        } else {
            self.readHeld = true
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if self.readHeld, context.channel.isWritable {
            self.readHeld = false
            context.read()
        }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is StorefrontServer.QuiesceEvent:
            guard !self.closing else { return }
            self.quiescing = true
            self.output.writeHTTP2GoAway(lastStream: UInt32(Int32.max), .noError)
            if self.streams.isEmpty {
                self.finishShutdown(context: context)
            } else {
                self.flushOutput(context: context)
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
        // I/O and TLS errors close the channel by themselves.
        self.logger.debug("HTTP/2 connection error", metadata: ["error": "\(error)"])
    }

    // MARK: - Frames

    private func process(_ frame: HTTP2InboundFrame, context: ChannelHandlerContext) throws(HTTP2ConnectionError) {
        let id = frame.stream
        if var partial = self.partialBlock {
            guard case .continuation(var fragment, let endHeaders) = frame.payload, id == partial.stream else {
                throw HTTP2ConnectionError(.protocolError, "a header block interrupted before its end")
            }
            guard partial.fragments.readableBytes + fragment.readableBytes <= self.limits.http2MaxHeaderListSize else {
                throw HTTP2ConnectionError(.enhanceYourCalm, "a header block over the header list size")
            }
            partial.fragments.writeBuffer(&fragment)
            if endHeaders {
                self.partialBlock = nil
                try self.receiveHeaderBlock(
                    partial.fragments,
                    stream: id,
                    endStream: partial.endStream,
                    context: context
                )
            } else {
                self.partialBlock = partial
            }
            return
        }
        if !self.settingsReceived {
            guard case .settings = frame.payload else {
                throw HTTP2ConnectionError(.protocolError, "the client's preface does not start with SETTINGS")
            }
        }
        switch frame.payload {
        case .headers(let fragment, let endStream, let endHeaders):
            if endHeaders {
                try self.receiveHeaderBlock(fragment, stream: id, endStream: endStream, context: context)
            } else {
                self.partialBlock = PartialHeaderBlock(stream: id, endStream: endStream, fragments: fragment)
            }
        case .continuation:
            throw HTTP2ConnectionError(.protocolError, "CONTINUATION without HEADERS")
        case .data(let data, let flowControlled, let endStream):
            try self.receiveData(
                data,
                flowControlled: flowControlled,
                endStream: endStream,
                stream: id,
                context: context
            )
        case .priority, .settingsAck, .goAway, .unknown:
            break
        case .malformedForStream(let code):
            self.reset(id, code)
        case .rstStream:
            guard id <= self.lastStream else {
                throw HTTP2ConnectionError(.protocolError, "RST_STREAM on an idle stream")
            }
            // A render still running for it finds no stream when it is done.
            self.streams[id] = nil
            try self.countReset()
        case .settings(let settings):
            try self.apply(settings)
            self.settingsReceived = true
            self.output.writeHTTP2FrameHeader(length: 0, type: .settings, flags: ByteBuffer.http2EndStreamOrAck)
            self.needsFlush = true
        case .pushPromise:
            throw HTTP2ConnectionError(.protocolError, "PUSH_PROMISE from a client")
        case .ping(let data, let ack):
            guard !ack else { return }
            self.output.writeHTTP2FrameHeader(length: 8, type: .ping, flags: ByteBuffer.http2EndStreamOrAck)
            self.output.writeInteger(data)
            self.needsFlush = true
        case .windowUpdate(let increment):
            try self.receiveWindowUpdate(Int(increment), stream: id)
        }
    }

    private func receiveHeaderBlock(
        _ block: ByteBuffer,
        stream id: UInt32,
        endStream: Bool,
        context: ChannelHandlerContext
    ) throws(HTTP2ConnectionError) {
        var block = block
        let headers: HPACKHeaders
        do {
            // Decoded whatever becomes of the stream, to keep the decoder's table in step with the client's.
            headers = try self.decoder.decodeHeaders(from: &block)
        } catch {
            throw HTTP2ConnectionError(.compressionError, "header block: \(error)")
        }
        if let stream = self.streams[id] {
            guard case .receiving(let request, let declaredLength) = stream.phase else {
                self.reset(id, .streamClosed)
                return
            }
            // Trailers end the request; nothing here reads them.
            do {
                try HTTP2RequestHead.validateTrailers(headers)
                try Self.checkLength(request.body?.readableBytes ?? 0, declared: declaredLength, complete: true)
            } catch {
                self.reset(id, .protocolError, malformed: error)
                return
            }
            guard endStream else {
                self.reset(id, .protocolError)
                return
            }
            self.streams[id] = nil
            self.dispatch(request, stream: id, sendWindow: stream.sendWindow, context: context)
            return
        }
        guard id & 1 == 1 else { throw HTTP2ConnectionError(.protocolError, "stream \(id) opened by a client") }
        // A stream the server reset or finished: what the client sent before it learned is dropped.
        guard id > self.lastStream else { return }
        self.lastStream = id
        guard self.streams.count < self.limits.http2MaxConcurrentStreams else {
            self.reset(id, .refusedStream)
            return
        }
        self.receiveHead(headers, stream: id, endStream: endStream, context: context)
    }

    private func receiveHead(
        _ headers: HPACKHeaders,
        stream id: UInt32,
        endStream: Bool,
        context: ChannelHandlerContext
    ) {
        let head: HTTP2RequestHead
        do {
            head = try HTTP2RequestHead(validating: headers)
        } catch {
            self.reset(id, .protocolError, malformed: error)
            return
        }
        guard head.listSize <= self.limits.http2MaxHeaderListSize else {
            self.refuse(431, stream: id, requestComplete: endStream, context: context)
            return
        }
        // A request without a path is one this server does not serve (`CONNECT`), and so is
        // one whose Host names another server than its :authority (RFC 9113 §8.3.1), which
        // could split the tenant the server picks from the one a cache or log sees.
        guard let target = head.path else {
            self.refuse(400, stream: id, requestComplete: endStream, context: context)
            return
        }
        if let authority = head.authority, let host = head.host,
            !HeaderFieldName.equal(host, HeaderFieldName.lowercased(authority))
        {
            self.refuse(400, stream: id, requestComplete: endStream, context: context)
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
        if endStream {
            do {
                try Self.checkLength(0, declared: head.contentLength, complete: true)
            } catch {
                self.reset(id, .protocolError, malformed: error)
                return
            }
            self.dispatch(request, stream: id, sendWindow: self.peerInitialWindow, context: context)
        } else if let length = head.contentLength, length > self.limits.maxBodyBytes {
            self.refuse(413, stream: id, context: context)
        } else {
            self.streams[id] = Stream(
                phase: .receiving(request, declaredLength: head.contentLength),
                sendWindow: self.peerInitialWindow
            )
        }
    }

    private func receiveData(
        _ chunk: ByteBuffer,
        flowControlled: Int,
        endStream: Bool,
        stream id: UInt32,
        context: ChannelHandlerContext
    ) throws(HTTP2ConnectionError) {
        if flowControlled > 0 {
            self.output.writeHTTP2WindowUpdate(stream: 0, increment: flowControlled)
            self.needsFlush = true
        }
        // Taking the stream out first keeps the body uniquely referenced, so appending to it
        // does not copy it; it goes back only while the body goes on.
        guard var stream = self.streams.removeValue(forKey: id) else {
            guard id <= self.lastStream else { throw HTTP2ConnectionError(.protocolError, "DATA on an idle stream") }
            // The rest of a body the server refused; the connection's window still counts it.
            return
        }
        guard case .receiving(var request, let declaredLength) = stream.phase else {
            self.streams[id] = stream
            self.reset(id, .streamClosed)
            return
        }
        var chunk = chunk
        let received = request.body?.readableBytes ?? 0
        guard received + chunk.readableBytes <= self.limits.maxBodyBytes else {
            self.refuse(413, stream: id, sendWindow: stream.sendWindow, context: context)
            return
        }
        do {
            try Self.checkLength(received + chunk.readableBytes, declared: declaredLength, complete: endStream)
        } catch {
            self.reset(id, .protocolError, malformed: error)
            return
        }
        if received == 0 {
            request.body = chunk
        } else {
            request.body?.writeBuffer(&chunk)
        }
        if endStream {
            self.dispatch(request, stream: id, sendWindow: stream.sendWindow, context: context)
        } else {
            if flowControlled > 0 {
                self.output.writeHTTP2WindowUpdate(stream: id, increment: flowControlled)
            }
            stream.phase = .receiving(request, declaredLength: declaredLength)
            self.streams[id] = stream
        }
    }

    private func receiveWindowUpdate(_ increment: Int, stream id: UInt32) throws(HTTP2ConnectionError) {
        guard id != 0 else {
            guard increment > 0 else { throw HTTP2ConnectionError(.protocolError, "WINDOW_UPDATE of 0") }
            self.connectionSendWindow += increment
            guard self.connectionSendWindow <= Self.maxWindow else {
                throw HTTP2ConnectionError(.flowControlError, "connection window over 2^31-1")
            }
            self.sendWaitingData()
            return
        }
        guard var stream = self.streams[id] else {
            guard id <= self.lastStream else {
                throw HTTP2ConnectionError(.protocolError, "WINDOW_UPDATE on an idle stream")
            }
            return
        }
        guard increment > 0 else {
            self.reset(id, .protocolError)
            return
        }
        stream.sendWindow += increment
        guard stream.sendWindow <= Self.maxWindow else {
            self.reset(id, .flowControlError)
            return
        }
        self.streams[id] = stream
        if case .sending = stream.phase {
            self.sendWaitingData()
        }
    }

    private func apply(_ settings: [(parameter: UInt16, value: UInt32)]) throws(HTTP2ConnectionError) {
        var windowsGrew = false
        for (parameter, value) in settings {
            switch parameter {
            case 0x1:
                if Int(value) < self.encoderTableSize {
                    self.encoderTableSize = Int(value)
                    self.encoderTableSizeChanged = true
                }
            case 0x2:
                guard value <= 1 else { throw HTTP2ConnectionError(.protocolError, "SETTINGS_ENABLE_PUSH \(value)") }
            case 0x4:
                guard value <= Self.maxWindow else {
                    throw HTTP2ConnectionError(.flowControlError, "SETTINGS_INITIAL_WINDOW_SIZE \(value)")
                }
                let change = Int(value) - self.peerInitialWindow
                self.peerInitialWindow = Int(value)
                for index in self.streams.values.indices {
                    self.streams.values[index].sendWindow += change
                    guard self.streams.values[index].sendWindow <= Self.maxWindow else {
                        throw HTTP2ConnectionError(.flowControlError, "a stream's window over 2^31-1")
                    }
                }
                windowsGrew = windowsGrew || change > 0
            case 0x5:
                guard (16_384...16_777_215).contains(value) else {
                    throw HTTP2ConnectionError(.protocolError, "SETTINGS_MAX_FRAME_SIZE \(value)")
                }
                self.peerMaxFrameSize = Int(value)
            default:
                // The others do not bind a server that never pushes; unknown ones are ignored (§6.5.2).
                break
            }
        }
        if windowsGrew {
            self.sendWaitingData()
        }
    }

    private func countReset() throws(HTTP2ConnectionError) {
        let now = NIODeadline.now()
        if now - self.resets.since > Self.resetPeriod {
            self.resets = (0, now)
        }
        self.resets.count += 1
        guard self.resets.count <= Self.resetLimit else {
            throw HTTP2ConnectionError(.enhanceYourCalm, "more than \(Self.resetLimit) streams reset by the client")
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

    // MARK: - Answers

    /// Answers a complete request, whose stream is not in ``streams``: a cache hit at once,
    /// without ever entering it; a render from there, so that a reset can drop its answer.
    private func dispatch(
        _ request: StorefrontRequest,
        stream id: UInt32,
        sendWindow: Int,
        context: ChannelHandlerContext
    ) {
        let logged = self.connection.observer.begin(request, version: "HTTP/2.0")
        let isHead = request.method == "HEAD"
        var request = request
        if let ready = self.answerer.immediateAnswer(to: &request) {
            self.write(ready, logged: logged, isHead: isHead, stream: id, sendWindow: sendWindow)
            return
        }
        self.streams[id] = Stream(phase: .responding(logged), sendWindow: sendWindow)
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        self.answerer.render(request, on: context.eventLoop) { response in
            let (handler, context) = loopBound.value
            // The client may have reset the stream meanwhile.
            guard !handler.closing, let stream = handler.streams.removeValue(forKey: id),
                case .responding(let logged) = stream.phase
            else { return }
            handler.write(response, logged: logged, isHead: isHead, stream: id, sendWindow: stream.sendWindow)
            if handler.quiescing, handler.streams.isEmpty {
                handler.finishShutdown(context: context)
            } else {
                handler.flushOutput(context: context)
            }
        }
    }

    /// Writes a response's HEADERS frame and as much of its body as the windows allow; the
    /// rest waits in ``streams``.
    private func write(
        _ response: StorefrontResponse,
        logged: ResponseObserver.Request?,
        isHead: Bool,
        stream id: UInt32,
        sendWindow: Int
    ) {
        let bodyless = isHead || response.body.readableBytes == 0
        let bodyBytes = bodyless ? 0 : response.body.readableBytes
        let frameBytes =
            512 + (response.page?.prepared.http2Block.readableBytes ?? 0)
            + bodyBytes + 9 * (1 + bodyBytes / self.peerMaxFrameSize)
        if self.output.readableBytes == 0 {
            self.output = SpareOutputBuffer.take(minimumCapacity: frameBytes)
        } else {
            self.output.reserveCapacity(minimumWritableBytes: frameBytes)
        }
        self.writeHeaders(response, stream: id, endStream: bodyless)
        if !bodyless {
            var body = response.body
            var window = sendWindow
            self.writeData(&body, stream: id, window: &window)
            if body.readableBytes > 0 {
                self.streams[id] = Stream(phase: .sending(body), sendWindow: window)
                self.sending.append(id)
            }
        }
        self.connection.observer.finish(
            response,
            bodyBytes: bodyless ? 0 : response.body.readableBytes,
            request: logged,
            peer: self.connection.peerAddress,
            date: &self.date
        )
        self.needsFlush = true
    }

    private func writeHeaders(_ response: StorefrontResponse, stream id: UInt32, endStream: Bool) {
        let frameStart = self.output.writerIndex
        let endStreamFlag = endStream ? ByteBuffer.http2EndStreamOrAck : 0
        self.output.writeHTTP2FrameHeader(
            length: 0,
            type: .headers,
            flags: endStreamFlag | ByteBuffer.http2EndHeaders,
            stream: id
        )
        let blockStart = self.output.writerIndex
        if self.encoderTableSizeChanged {
            self.encoderTableSizeChanged = false
            self.output.writeHPACKInteger(self.encoderTableSize, prefixBits: 5, flags: 0x20)
        }
        response.writeHTTP2HeaderBlock(
            into: &self.output,
            date: self.date.now(),
            leftOut: self.logger.responseFieldLeftOut
        )
        let blockLength = self.output.writerIndex - blockStart
        if blockLength <= self.peerMaxFrameSize {
            self.output.setInteger(UInt8(truncatingIfNeeded: blockLength >> 16), at: frameStart)
            self.output.setInteger(UInt16(truncatingIfNeeded: blockLength), at: frameStart + 1)
            return
        }
        // A block longer than a frame continues in CONTINUATION frames (RFC 9113 §6.10).
        var block = ByteBuffer(self.output.getSlice(at: blockStart, length: blockLength)!.readableBytesView)
        self.output.moveWriterIndex(to: frameStart)
        var type = ByteBuffer.HTTP2FrameType.headers
        var flags = endStreamFlag
        while block.readableBytes > 0 {
            var fragment = block.readSlice(length: min(block.readableBytes, self.peerMaxFrameSize))!
            let last = block.readableBytes == 0
            self.output.writeHTTP2FrameHeader(
                length: fragment.readableBytes,
                type: type,
                flags: flags | (last ? ByteBuffer.http2EndHeaders : 0),
                stream: id
            )
            self.output.writeBuffer(&fragment)
            type = .continuation
            flags = 0
        }
    }

    /// Writes DATA frames from `body` while the stream's and the connection's windows allow,
    /// the last with `END_STREAM`.
    private func writeData(_ body: inout ByteBuffer, stream id: UInt32, window: inout Int) {
        while body.readableBytes > 0 {
            let length = min(body.readableBytes, self.peerMaxFrameSize, window, self.connectionSendWindow)
            guard length > 0 else { return }
            var frame = body.readSlice(length: length)!
            self.output.writeHTTP2FrameHeader(
                length: length,
                type: .data,
                flags: body.readableBytes == 0 ? ByteBuffer.http2EndStreamOrAck : 0,
                stream: id
            )
            self.output.writeBuffer(&frame)
            window -= length
            self.connectionSendWindow -= length
        }
    }

    /// Sends what waiting bodies the windows now allow, oldest answer first.
    private func sendWaitingData() {
        var index = 0
        while index < self.sending.count, self.connectionSendWindow > 0 {
            let id = self.sending[index]
            guard var stream = self.streams[id], case .sending(var body) = stream.phase else {
                // Reset by the client meanwhile.
                self.sending.remove(at: index)
                continue
            }
            self.writeData(&body, stream: id, window: &stream.sendWindow)
            self.needsFlush = true
            if body.readableBytes == 0 {
                self.streams[id] = nil
                self.sending.remove(at: index)
            } else {
                stream.phase = .sending(body)
                self.streams[id] = stream
                index += 1
            }
        }
    }

    private func refuse(
        _ status: Int,
        stream id: UInt32,
        requestComplete: Bool = false,
        sendWindow: Int? = nil,
        context: ChannelHandlerContext
    ) {
        self.logger.debug("rejected request", metadata: ["http.response.status_code": "\(status)"])
        self.streams[id] = nil
        self.write(
            .rejection(status: status),
            logged: nil,
            isHead: false,
            stream: id,
            sendWindow: sendWindow ?? self.peerInitialWindow
        )
        if !requestComplete {
            self.output.writeHTTP2ResetStream(id, .noError)
        }
    }

    private func reset(_ id: UInt32, _ code: HTTP2WireError, malformed: HTTP2RequestHead.Malformed? = nil) {
        self.logger.debug(
            "reset stream",
            metadata: ["http2.error_code": "\(code)", "error.message": "\(malformed?.description ?? "")"]
        )
        self.streams[id] = nil
        self.output.writeHTTP2ResetStream(id, code)
        self.needsFlush = true
    }

    // MARK: - Connection

    private func flushOutput(context: ChannelHandlerContext) {
        self.needsFlush = false
        guard self.output.readableBytes > 0 else { return }
        let output = self.takeOutput()
        context.writeAndFlush(self.wrapOutboundOut(output), promise: nil)
        SpareOutputBuffer.recycle(consume output)
    }

    /// The frames written since the last flush, for the channel. An empty buffer takes their
    /// place: one kept per connection would hold its largest batch of answers for as long as
    /// the connection stays open; the next answer takes the thread's spare.
    private func takeOutput() -> ByteBuffer {
        let output = self.output
        self.output = ByteBuffer()
        return output
    }

    /// Ends the connection for a protocol violation: `GOAWAY` with its code, then close.
    private func fail(_ error: HTTP2ConnectionError, context: ChannelHandlerContext) {
        self.logger.debug(
            "HTTP/2 connection error",
            metadata: ["http2.error_code": "\(error.answer)", "error.message": "\(error.description)"]
        )
        self.close(with: error.answer, context: context)
    }

    /// Says which stream was the last one served, then closes: once shutdown has no stream to
    /// wait for, or when the connection has been idle.
    private func finishShutdown(context: ChannelHandlerContext) {
        self.close(with: .noError, context: context)
    }

    private func close(with code: HTTP2WireError, context: ChannelHandlerContext) {
        guard !self.closing else { return }
        self.closing = true
        self.streams = [:]
        self.output.writeHTTP2GoAway(lastStream: self.lastStream, code)
        context.writeAndFlush(self.wrapOutboundOut(self.takeOutput())).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}

@available(*, unavailable)
extension StorefrontHTTP2Handler: Sendable {}
