import Edge
import NIOCore
import NIOHPACK
import NIOSSL
import Testing

/// One frame as the server sent it.
private struct ServerFrame {
    var type: UInt8
    var flags: UInt8
    var stream: UInt32
    var payload: ByteBuffer

    var errorCode: UInt32? {
        switch self.type {
        case 0x3: self.payload.getInteger(at: self.payload.readerIndex, as: UInt32.self)
        case 0x7: self.payload.getInteger(at: self.payload.readerIndex + 4, as: UInt32.self)
        default: nil
        }
    }
}

/// A client that writes HTTP/2 frames byte by byte, the way a conformance tester does, so that
/// it can send what a well-behaved client library never would.
private struct RawHTTP2Connection {
    var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    var received = ByteBuffer()
    var encoder = HPACKEncoder(allocator: ByteBufferAllocator(), useHuffmanEncoding: false)

    static let preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

    static func frame(
        type: UInt8,
        flags: UInt8 = 0,
        stream: UInt32 = 0,
        _ payload: ByteBuffer = ByteBuffer()
    ) -> ByteBuffer {
        var frame = ByteBuffer()
        frame.writeMultipleIntegers(
            UInt8(truncatingIfNeeded: payload.readableBytes >> 16),
            UInt16(truncatingIfNeeded: payload.readableBytes),
            type,
            flags,
            stream
        )
        var payload = payload
        frame.writeBuffer(&payload)
        return frame
    }

    static func settings(_ settings: [(UInt16, UInt32)]) -> ByteBuffer {
        var payload = ByteBuffer()
        for (parameter, value) in settings { payload.writeMultipleIntegers(parameter, value) }
        return Self.frame(type: 0x4, payload)
    }

    static func windowUpdate(stream: UInt32, _ increment: UInt32) -> ByteBuffer {
        var payload = ByteBuffer()
        payload.writeInteger(increment)
        return Self.frame(type: 0x8, stream: stream, payload)
    }

    static func ping(_ data: UInt64) -> ByteBuffer {
        var payload = ByteBuffer()
        payload.writeInteger(data)
        return Self.frame(type: 0x6, payload)
    }

    static func reset(stream: UInt32) -> ByteBuffer {
        var payload = ByteBuffer()
        payload.writeInteger(UInt32(0x8))
        return Self.frame(type: 0x3, stream: stream, payload)
    }

    /// A GET's header block, with `fields` after the pseudo-fields.
    mutating func requestBlock(
        _ path: String,
        method: String = "GET",
        fields: [(String, String)] = []
    ) throws -> ByteBuffer {
        var block = ByteBuffer()
        try self.encoder.encode(
            headers: HPACKHeaders(
                [(":method", method), (":scheme", "https"), (":path", path), (":authority", "acme.localhost")] + fields
            ),
            to: &block
        )
        return block
    }

    mutating func get(_ path: String, stream: UInt32, fields: [(String, String)] = []) throws -> ByteBuffer {
        Self.frame(type: 0x1, flags: 0x5, stream: stream, try self.requestBlock(path, fields: fields))
    }

    func send(_ frames: ByteBuffer...) async throws {
        var bytes = ByteBuffer()
        for var frame in frames { bytes.writeBuffer(&frame) }
        try await self.outbound.write(bytes)
    }

    /// The server's next frame; `nil` once it has closed the connection.
    mutating func next() async throws -> ServerFrame? {
        while true {
            if self.received.readableBytes >= 9,
                let (high, low, type, flags, stream) = self.received.getMultipleIntegers(
                    at: self.received.readerIndex,
                    as: (UInt8, UInt16, UInt8, UInt8, UInt32).self
                ),
                self.received.readableBytes >= 9 + (Int(high) << 16 | Int(low))
            {
                self.received.moveReaderIndex(forwardBy: 9)
                let payload = self.received.readSlice(length: Int(high) << 16 | Int(low))!
                return ServerFrame(type: type, flags: flags, stream: stream & 0x7FFF_FFFF, payload: payload)
            }
            do {
                guard var chunk = try await self.inbound.next() else { return nil }
                self.received.writeBuffer(&chunk)
            } catch let error as NIOSSLError where error == .uncleanShutdown {
                return nil
            }
        }
    }

    /// The next frame that is not SETTINGS or a WINDOW_UPDATE, which the server sends on its own.
    mutating func nextAnswer() async throws -> ServerFrame? {
        while let frame = try await self.next() {
            if frame.type != 0x4 && frame.type != 0x8 { return frame }
        }
        return nil
    }

    /// Sends the preface with `settings`, and reads the server's SETTINGS and its acknowledgement.
    mutating func start(settings: [(UInt16, UInt32)] = []) async throws -> ServerFrame {
        try await self.send(ByteBuffer(string: Self.preface), Self.settings(settings))
        let serverSettings = try #require(try await self.next())
        #expect(serverSettings.type == 0x4 && serverSettings.flags == 0)
        let ack = try #require(try await self.next())
        #expect(ack.type == 0x4 && ack.flags == 0x1)
        return serverSettings
    }

    /// Reads until the server's GOAWAY, returns its error code, and checks that the server then closes.
    mutating func goAwayCode() async throws -> UInt32? {
        while let frame = try await self.next() {
            guard frame.type == 0x7 else { continue }
            #expect(try await self.next() == nil)
            return frame.errorCode
        }
        return nil
    }
}

extension ServerFixture {
    fileprivate func withRawHTTP2<Result: Sendable>(
        _ body: (inout RawHTTP2Connection) async throws -> Result
    ) async throws -> Result {
        let channel = try await self.connect(alpn: ["h2"]) { channel in
            try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
        }
        return try await channel.executeThenClose { inbound, outbound in
            var connection = RawHTTP2Connection(inbound: inbound.makeAsyncIterator(), outbound: outbound)
            return try await body(&connection)
        }
    }
}

/// The storefront's own HTTP/2 connection handling, frame by frame (RFC 9113 §5–6), with a
/// client that can break the rules. The well-behaved side (NIOHTTP2's client, curl) is in
/// ``ServerTransportTests``.
@Suite(.timeLimit(.minutes(1)))
struct HTTP2ProtocolTests {
    @Test func settingsAreAcknowledgedAndPingsAnswered() async throws {
        let fixture = try await ServerFixture.start(limits: .init(http2MaxConcurrentStreams: 7))
        defer { Task { await fixture.stop() } }
        try await fixture.withRawHTTP2 { connection in
            var settings = try await connection.start()
            var advertised: [UInt16: UInt32] = [:]
            while let (parameter, value) = settings.payload.readMultipleIntegers(as: (UInt16, UInt32).self) {
                advertised[parameter] = value
            }
            #expect(advertised[0x3] == 7)
            try await connection.send(RawHTTP2Connection.ping(0x0123_4567_89AB_CDEF))
            let pong = try #require(try await connection.next())
            #expect(pong.type == 0x6 && pong.flags == 0x1)
            #expect(pong.payload.getInteger(at: pong.payload.readerIndex, as: UInt64.self) == 0x0123_4567_89AB_CDEF)
        }
    }

    @Test func aConnectionMustOpenWithThePrefaceThenSettings() async throws {
        let fixture = try await ServerFixture.start()
        defer { Task { await fixture.stop() } }
        let notThePreface = try await fixture.withRawHTTP2 { connection in
            try await connection.send(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: acme.localhost\r\n\r\n"))
            return try await connection.goAwayCode()
        }
        #expect(notThePreface == 0x1)
        let headersFirst = try await fixture.withRawHTTP2 { connection in
            try await connection.send(
                ByteBuffer(string: RawHTTP2Connection.preface),
                try connection.get("/", stream: 1)
            )
            return try await connection.goAwayCode()
        }
        #expect(headersFirst == 0x1)
    }

    @Test(
        arguments: [
            ("DATA on an idle stream", 0x1),
            ("a stream with an even number", 0x1),
            ("a frame over SETTINGS_MAX_FRAME_SIZE", 0x6),
            ("CONTINUATION without HEADERS", 0x1),
            ("a header block interrupted by another frame", 0x1),
            ("PING on a stream", 0x1),
            ("a connection WINDOW_UPDATE of 0", 0x1),
            ("an initial window over 2^31-1", 0x3),
            ("a maximum frame size under 16384", 0x1),
            ("a header block HPACK cannot decode", 0x9),
            ("PUSH_PROMISE from the client", 0x1),
            ("RST_STREAM on an idle stream", 0x1),
        ] as [(String, UInt32)]
    )
    func protocolViolationsEndTheConnectionWithGoAway(_ violation: String, _ code: UInt32) async throws {
        typealias Raw = RawHTTP2Connection
        let fixture = try await ServerFixture.start()
        defer { Task { await fixture.stop() } }
        let received = try await fixture.withRawHTTP2 { connection -> UInt32? in
            _ = try await connection.start()
            let frames: [ByteBuffer]
            switch violation {
            case "DATA on an idle stream":
                frames = [Raw.frame(type: 0x0, stream: 5, ByteBuffer(string: "x"))]
            case "a stream with an even number":
                frames = [try connection.get("/", stream: 2)]
            case "a frame over SETTINGS_MAX_FRAME_SIZE":
                frames = [Raw.frame(type: 0x0, stream: 1, ByteBuffer(repeating: 0, count: 16_385))]
            case "CONTINUATION without HEADERS":
                frames = [Raw.frame(type: 0x9, flags: 0x4, stream: 1, try connection.requestBlock("/"))]
            case "a header block interrupted by another frame":
                frames = [Raw.frame(type: 0x1, flags: 0x1, stream: 1, try connection.requestBlock("/")), Raw.ping(1)]
            case "PING on a stream":
                frames = [Raw.frame(type: 0x6, stream: 1, ByteBuffer(repeating: 0, count: 8))]
            case "a connection WINDOW_UPDATE of 0":
                frames = [Raw.windowUpdate(stream: 0, 0)]
            case "an initial window over 2^31-1":
                frames = [Raw.settings([(0x4, 1 << 31)])]
            case "a maximum frame size under 16384":
                frames = [Raw.settings([(0x5, 100)])]
            case "a header block HPACK cannot decode":
                frames = [
                    Raw.frame(type: 0x1, flags: 0x5, stream: 1, ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF]))
                ]
            case "PUSH_PROMISE from the client":
                frames = [Raw.frame(type: 0x5, flags: 0x4, stream: 1, ByteBuffer(bytes: [0, 0, 0, 2]))]
            default:
                frames = [Raw.reset(stream: 9)]
            }
            var bytes = ByteBuffer()
            for var frame in frames { bytes.writeBuffer(&frame) }
            try await connection.send(bytes)
            return try await connection.goAwayCode()
        }
        #expect(received == code)
    }

    @Test func responsesWaitForTheClientsWindows() async throws {
        typealias Raw = RawHTTP2Connection
        let fixture = try await ServerFixture.start()
        defer { Task { await fixture.stop() } }
        try await fixture.withRawHTTP2 { connection in
            // A stream window of 100 bytes: the first DATA frame stops there.
            _ = try await connection.start(settings: [(0x4, 100)])
            try await connection.send(try connection.get("/sized?1000", stream: 1), Raw.ping(1))
            let headers = try #require(try await connection.nextAnswer())
            #expect(headers.type == 0x1 && headers.flags == 0x4)
            let first = try #require(try await connection.nextAnswer())
            #expect(first.type == 0x0 && first.payload.readableBytes == 100 && first.flags == 0)
            #expect(try await connection.nextAnswer()?.type == 0x6)

            // More window for the stream, then a larger initial window, each let more through.
            try await connection.send(Raw.windowUpdate(stream: 1, 400))
            let second = try #require(try await connection.nextAnswer())
            #expect(second.payload.readableBytes == 400 && second.flags == 0)
            try await connection.send(Raw.settings([(0x4, 10_000)]))
            let last = try #require(try await connection.nextAnswer())
            #expect(last.payload.readableBytes == 500 && last.flags == 0x1)
            var body = ""
            for frame in [first, second, last] { body += String(buffer: frame.payload) }
            #expect(Array(body.utf8) == EchoResponder.sizedBody(1000))
        }
    }

    @Test func responsesWaitForTheConnectionsWindow() async throws {
        typealias Raw = RawHTTP2Connection
        let fixture = try await ServerFixture.start()
        defer { Task { await fixture.stop() } }
        try await fixture.withRawHTTP2 { connection in
            // Large stream windows, but the connection's stays at its initial 65,535 bytes,
            // shared by two answers of 40,000 bytes: the second waits for it, in frames of 16 KiB.
            _ = try await connection.start(settings: [(0x4, 1 << 20)])
            try await connection.send(
                try connection.get("/sized?40000", stream: 1),
                try connection.get("/sized?40000", stream: 3),
                Raw.ping(1)
            )
            var received: [UInt32: Int] = [:]
            while let frame = try await connection.nextAnswer(), frame.type != 0x6 {
                if frame.type == 0x0 {
                    #expect(frame.payload.readableBytes <= 16_384)
                    received[frame.stream, default: 0] += frame.payload.readableBytes
                }
            }
            #expect(received[1] == 40_000 && received[3] == 65_535 - 40_000)
            try await connection.send(Raw.windowUpdate(stream: 0, 100_000))
            while received[3, default: 0] < 40_000, let frame = try await connection.nextAnswer() {
                if frame.type == 0x0 { received[frame.stream, default: 0] += frame.payload.readableBytes }
            }
            #expect(received[3] == 40_000)
        }
    }

    @Test func aHeaderBlockMayContinueAndTheTableSizeTheClientLowersIsAcknowledged() async throws {
        typealias Raw = RawHTTP2Connection
        let fixture = try await ServerFixture.start()
        defer { Task { await fixture.stop() } }
        try await fixture.withRawHTTP2 { connection in
            _ = try await connection.start(settings: [(0x1, 0)])
            var block = try connection.requestBlock("/continued")
            let front = block.readSlice(length: 3)!
            try await connection.send(
                Raw.frame(type: 0x1, flags: 0x1, stream: 1, front),
                Raw.frame(type: 0x9, flags: 0x4, stream: 1, block)
            )
            let headers = try #require(try await connection.nextAnswer())
            #expect(headers.type == 0x1)
            // A dynamic table size update to 0 opens the block (RFC 7541 §6.3).
            #expect(headers.payload.getInteger(at: headers.payload.readerIndex, as: UInt8.self) == 0x20)
            var decoder = HPACKDecoder(allocator: ByteBufferAllocator(), maxDynamicTableSize: 0)
            var payload = headers.payload
            let fields = try decoder.decodeHeaders(from: &payload)
            #expect(fields.first(name: ":status") == "200")
            let data = try #require(try await connection.nextAnswer())
            #expect(String(buffer: data.payload).hasPrefix("GET acme.localhost /continued"))
        }
    }

    @Test func aHeaderListOverTheLimitIs431AndTheConnectionGoesOn() async throws {
        let fixture = try await ServerFixture.start(limits: .init(http2MaxHeaderListSize: 1024))
        defer { Task { await fixture.stop() } }
        try await fixture.withRawHTTP2 { connection in
            _ = try await connection.start()
            let big = [("x-big", String(repeating: "a", count: 1500))]
            try await connection.send(try connection.get("/big", stream: 1, fields: big))
            let refused = try #require(try await connection.nextAnswer())
            #expect(refused.type == 0x1 && refused.stream == 1 && refused.flags & 0x1 != 0)
            var decoder = HPACKDecoder(allocator: ByteBufferAllocator())
            var block = refused.payload
            #expect(try decoder.decodeHeaders(from: &block).first(name: ":status") == "431")
            try await connection.send(try connection.get("/small", stream: 3))
            let answered = try #require(try await connection.nextAnswer())
            #expect(answered.type == 0x1 && answered.stream == 3)
            let body = try #require(try await connection.nextAnswer())
            #expect(String(buffer: body.payload).hasPrefix("GET acme.localhost /small"))
        }
    }

    @Test func streamsOverTheConcurrencyLimitAreRefused() async throws {
        let fixture = try await ServerFixture.start(limits: .init(http2MaxConcurrentStreams: 2))
        defer { Task { await fixture.stop() } }
        try await fixture.withRawHTTP2 { connection in
            _ = try await connection.start()
            try await connection.send(
                try connection.get("/slow/one?300", stream: 1),
                try connection.get("/slow/two?300", stream: 3),
                try connection.get("/slow/three?300", stream: 5)
            )
            let refused = try #require(try await connection.nextAnswer())
            #expect(refused.type == 0x3 && refused.stream == 5 && refused.errorCode == 0x7)
            var answered: Set<UInt32> = []
            while answered.count < 2, let frame = try await connection.nextAnswer() {
                if frame.type == 0x0 && frame.flags & 0x1 != 0 { answered.insert(frame.stream) }
            }
            #expect(answered == [1, 3])
        }
    }

    @Test func aClientThatKeepsResettingStreamsIsCutOff() async throws {
        typealias Raw = RawHTTP2Connection
        let fixture = try await ServerFixture.start()
        defer { Task { await fixture.stop() } }
        let code = try await fixture.withRawHTTP2 { connection in
            _ = try await connection.start()
            var frames = ByteBuffer()
            for stream in stride(from: UInt32(1), through: 403, by: 2) {
                var request = try connection.get("/slow/reset?1000", stream: stream)
                var reset = Raw.reset(stream: stream)
                frames.writeBuffer(&request)
                frames.writeBuffer(&reset)
            }
            try await connection.send(frames)
            return try await connection.goAwayCode()
        }
        #expect(code == 0xB)
    }
}
