import NIOCore

/// An HTTP/2 error code (RFC 9113 §7), as `GOAWAY` and `RST_STREAM` carry it.
enum HTTP2WireError: UInt32, Sendable {
    case noError = 0x0
    case protocolError = 0x1
    case internalError = 0x2
    case flowControlError = 0x3
    case streamClosed = 0x5
    case frameSizeError = 0x6
    case refusedStream = 0x7
    case compressionError = 0x9
    case enhanceYourCalm = 0xb
}

/// One frame a client sent (RFC 9113 §4, §6), its length checked against its type's rules and
/// its padding taken off. Payloads are slices of the bytes read, never copies.
struct HTTP2InboundFrame {
    /// The frame's type with what this server reads of its payload and flags.
    enum Payload {
        /// `flowControlled` counts the padding too, since the windows do (RFC 9113 §6.1).
        case data(ByteBuffer, flowControlled: Int, endStream: Bool)
        case headers(ByteBuffer, endStream: Bool, endHeaders: Bool)
        case continuation(ByteBuffer, endHeaders: Bool)
        case priority
        case rstStream(UInt32)
        case settings([(parameter: UInt16, value: UInt32)])
        case settingsAck
        case pushPromise
        case ping(UInt64, ack: Bool)
        case goAway
        case windowUpdate(increment: UInt32)
        /// A frame whose length is wrong for a stream-level frame: an error of its stream only.
        case malformedForStream(HTTP2WireError)
        /// Extension frames, which a receiver ignores (RFC 9113 §5.5).
        case unknown
    }

    var stream: UInt32
    var payload: Payload
}

/// Cuts the bytes a client sends into frames, after checking its connection preface.
///
/// Hand-written rather than `NIOHTTP2Handler`'s decoder, which is internal to it: the storefront
/// speaks HTTP/2 itself (see ``StorefrontHTTP2Handler`` for why).
struct HTTP2FrameReader {
    /// `SETTINGS_MAX_FRAME_SIZE`, which the server leaves at its initial value.
    static let maxFrameSize = 16_384
    private static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    private var unread = UnreadBytes()
    private var prefaceRead = false

    /// Adds what was read to the bytes not yet parsed.
    mutating func append(_ bytes: ByteBuffer) {
        self.unread.append(bytes)
    }

    /// The next whole frame, or `nil` until more bytes arrive.
    mutating func next() throws(HTTP2ConnectionError) -> HTTP2InboundFrame? {
        guard var buffer = self.unread.take() else { return nil }
        defer { self.unread.keep(buffer) }
        if !self.prefaceRead {
            let available = min(buffer.readableBytes, Self.preface.count)
            guard buffer.readableBytesView.prefix(available).elementsEqual(Self.preface.prefix(available)) else {
                throw HTTP2ConnectionError(.protocolError, "not the HTTP/2 connection preface")
            }
            guard available == Self.preface.count else { return nil }
            buffer.moveReaderIndex(forwardBy: available)
            self.prefaceRead = true
        }
        guard let (length, type, flags, stream) = buffer.peekFrameHeader() else { return nil }
        guard length <= Self.maxFrameSize else {
            throw HTTP2ConnectionError(.frameSizeError, "frame of \(length) bytes")
        }
        guard buffer.readableBytes >= 9 + length else { return nil }
        buffer.moveReaderIndex(forwardBy: 9)
        let payload = buffer.readSlice(length: length)!
        return HTTP2InboundFrame(
            stream: stream,
            payload: try Self.parse(type: type, flags: flags, stream: stream, payload)
        )
    }

    private static func parse(
        type: UInt8,
        flags: UInt8,
        stream: UInt32,
        _ payload: ByteBuffer
    ) throws(HTTP2ConnectionError) -> HTTP2InboundFrame.Payload {
        var payload = payload
        let endStream = flags & 0x1 != 0
        let endHeaders = flags & 0x4 != 0
        switch type {
        case 0x0:
            try Self.requireStream(stream, "DATA")
            let length = payload.readableBytes
            try Self.removePadding(&payload, flags: flags)
            return .data(payload, flowControlled: length, endStream: endStream)
        case 0x1:
            try Self.requireStream(stream, "HEADERS")
            try Self.removePadding(&payload, flags: flags)
            if flags & 0x20 != 0 {
                // The priority fields, which RFC 9113 deprecates and this server ignores.
                guard payload.readableBytes >= 5 else {
                    throw HTTP2ConnectionError(.frameSizeError, "HEADERS too short for its priority")
                }
                payload.moveReaderIndex(forwardBy: 5)
            }
            return .headers(payload, endStream: endStream, endHeaders: endHeaders)
        case 0x2:
            try Self.requireStream(stream, "PRIORITY")
            return payload.readableBytes == 5 ? .priority : .malformedForStream(.frameSizeError)
        case 0x3:
            try Self.requireStream(stream, "RST_STREAM")
            guard let code = payload.readInteger(as: UInt32.self), payload.readableBytes == 0 else {
                throw HTTP2ConnectionError(.frameSizeError, "RST_STREAM of the wrong length")
            }
            return .rstStream(code)
        case 0x4:
            try Self.requireConnection(stream, "SETTINGS")
            if flags & 0x1 != 0 {
                guard payload.readableBytes == 0 else {
                    throw HTTP2ConnectionError(.frameSizeError, "SETTINGS acknowledgement with a payload")
                }
                return .settingsAck
            }
            guard payload.readableBytes % 6 == 0 else {
                throw HTTP2ConnectionError(.frameSizeError, "SETTINGS of the wrong length")
            }
            var settings: [(parameter: UInt16, value: UInt32)] = []
            settings.reserveCapacity(payload.readableBytes / 6)
            while let (parameter, value) = payload.readMultipleIntegers(as: (UInt16, UInt32).self) {
                settings.append((parameter, value))
            }
            return .settings(settings)
        case 0x5:
            return .pushPromise
        case 0x6:
            try Self.requireConnection(stream, "PING")
            guard let data = payload.readInteger(as: UInt64.self), payload.readableBytes == 0 else {
                throw HTTP2ConnectionError(.frameSizeError, "PING of the wrong length")
            }
            return .ping(data, ack: flags & 0x1 != 0)
        case 0x7:
            try Self.requireConnection(stream, "GOAWAY")
            guard payload.readableBytes >= 8 else { throw HTTP2ConnectionError(.frameSizeError, "GOAWAY too short") }
            return .goAway
        case 0x8:
            guard let increment = payload.readInteger(as: UInt32.self), payload.readableBytes == 0 else {
                throw HTTP2ConnectionError(.frameSizeError, "WINDOW_UPDATE of the wrong length")
            }
            return .windowUpdate(increment: increment & 0x7FFF_FFFF)
        case 0x9:
            try Self.requireStream(stream, "CONTINUATION")
            return .continuation(payload, endHeaders: endHeaders)
        default:
            return .unknown
        }
    }

    private static func requireStream(_ stream: UInt32, _ type: String) throws(HTTP2ConnectionError) {
        guard stream != 0 else { throw HTTP2ConnectionError(.protocolError, "\(type) on stream 0") }
    }

    private static func requireConnection(_ stream: UInt32, _ type: String) throws(HTTP2ConnectionError) {
        guard stream == 0 else { throw HTTP2ConnectionError(.protocolError, "\(type) on stream \(stream)") }
    }

    /// Takes off the pad-length byte and the padding of a `PADDED` frame (RFC 9113 §6.1).
    private static func removePadding(_ payload: inout ByteBuffer, flags: UInt8) throws(HTTP2ConnectionError) {
        guard flags & 0x8 != 0 else { return }
        guard let padding = payload.readInteger(as: UInt8.self), Int(padding) <= payload.readableBytes else {
            throw HTTP2ConnectionError(.protocolError, "padding longer than the frame")
        }
        payload.moveWriterIndex(to: payload.writerIndex - Int(padding))
    }
}

extension ByteBuffer {
    /// Length, type, flags and stream of the frame at the reader index, without reading them.
    fileprivate func peekFrameHeader() -> (length: Int, type: UInt8, flags: UInt8, stream: UInt32)? {
        guard self.readableBytes >= 9,
            let (high, low, type, flags, stream) = self.getMultipleIntegers(
                at: self.readerIndex,
                as: (UInt8, UInt16, UInt8, UInt8, UInt32).self
            )
        else { return nil }
        return (Int(high) << 16 | Int(low), type, flags, stream & 0x7FFF_FFFF)
    }
}
