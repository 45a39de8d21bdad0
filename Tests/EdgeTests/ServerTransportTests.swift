import Edge
import Foundation
import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import NIOSSL
import Testing

/// Answers at once unless the path starts with `/slow`, which waits the milliseconds in the query.
private struct EchoResponder: StorefrontResponder {
    /// Told the path of every request that reaches the slow path, as it starts.
    var started: AsyncStream<String>.Continuation?

    func immediateResponse(to request: StorefrontRequest) -> StorefrontResponse? {
        request.path.hasPrefix("/slow") ? nil : Self.answer(request)
    }

    func respond(to request: StorefrontRequest) async -> StorefrontResponse {
        self.started?.yield(request.path)
        try? await Task.sleep(for: .milliseconds(Int(request.query ?? "") ?? 50))
        return Self.answer(request)
    }

    private static func answer(_ request: StorefrontRequest) -> StorefrontResponse {
        let text =
            "\(request.method) \(request.authority) \(request.path) \(request.query ?? "-") "
            + "body=\(request.body?.readableBytes ?? 0) x-test=\(request.header("x-test") ?? "-") "
            + "client=\(request.clientAddress ?? "-")"
        return StorefrontResponse(
            status: 200,
            headers: [("content-type", "text/plain")],
            body: ByteBuffer(string: text)
        )
    }
}

/// A response as the HTTP/1.1 client saw it.
private struct ClientResponse {
    var head: HTTPResponseHead
    var body: String
}

/// A real server on a loopback port with real TLS, and clients that talk to it.
private struct ServerFixture {
    let server: StorefrontServer
    let caPath: String
    let directory: String

    static func start(
        limits: StorefrontServer.Limits = .init(),
        responder: EchoResponder = EchoResponder()
    ) async throws -> ServerFixture {
        let directory = temporaryDirectory()
        let outcome = try DevelopmentCertificates.ensure(in: directory, domain: "localhost")
        let store = try CertificateStore(development: outcome)
        let server = try await StorefrontServer.start(
            configuration: .init(host: "127.0.0.1", port: 0, redirectListener: ("127.0.0.1", 0), limits: limits),
            tlsConfiguration: store.makeServerConfiguration(),
            responder: responder,
            group: MultiThreadedEventLoopGroup.singleton
        )
        return ServerFixture(server: server, caPath: outcome.caCertificatePath, directory: directory)
    }

    func stop() async {
        await self.server.shutdown(gracePeriod: .seconds(1))
        try? FileManager.default.removeItem(atPath: self.directory)
    }

    private func tlsContext(alpn: [String]) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(self.caPath))
        configuration.applicationProtocols = alpn
        return try NIOSSLContext(configuration: configuration)
    }

    /// Sends `requests` on one HTTP/1.1 TLS connection without waiting, and collects `count` responses.
    func http1(_ requests: [(HTTPRequestHead, String?)], count: Int? = nil) async throws -> [ClientResponse] {
        let tls = try self.tlsContext(alpn: ["http/1.1"])
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: self.server.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        NIOSSLClientHandler(context: tls, serverHostname: "acme.localhost")
                    )
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                        wrappingChannelSynchronously: channel
                    )
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            for (head, body) in requests {
                try await outbound.write(.head(head))
                if let body {
                    try await outbound.write(.body(.byteBuffer(ByteBuffer(string: body))))
                }
                try await outbound.write(.end(nil))
            }
            var responses: [ClientResponse] = []
            var current: ClientResponse?
            for try await part in inbound {
                switch part {
                case .head(let head):
                    current = ClientResponse(head: head, body: "")
                case .body(let buffer):
                    current?.body += String(buffer: buffer)
                case .end:
                    if let current {
                        responses.append(current)
                    }
                    current = nil
                }
                if responses.count == count ?? requests.count {
                    break
                }
            }
            return responses
        }
    }

    /// Sends one request per path, each on its own stream of one HTTP/2 connection, all at once.
    func http2(_ paths: [String]) async throws -> [String: ClientResponse] {
        let tls = try self.tlsContext(alpn: ["h2"])
        let (connection, multiplexer) = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: self.server.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        NIOSSLClientHandler(context: tls, serverHostname: "acme.localhost")
                    )
                    let multiplexer = try channel.pipeline.syncOperations.configureAsyncHTTP2Pipeline(mode: .client) {
                        stream in stream.eventLoop.makeSucceededFuture(stream)
                    }
                    return (channel, multiplexer)
                }
            }
        defer { connection.close(promise: nil) }
        return try await withThrowingTaskGroup(of: (String, ClientResponse?).self) { group in
            for path in paths {
                group.addTask {
                    let stream = try await multiplexer.openStream { stream in
                        stream.eventLoop.makeCompletedFuture {
                            try stream.pipeline.syncOperations.addHandler(
                                HTTP2FramePayloadToHTTP1ClientCodec(httpProtocol: .https)
                            )
                            return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                                wrappingChannelSynchronously: stream
                            )
                        }
                    }
                    return try await stream.executeThenClose { inbound, outbound in
                        try await outbound.write(.head(get(path)))
                        try await outbound.write(.end(nil))
                        var response: ClientResponse?
                        for try await part in inbound {
                            switch part {
                            case .head(let head):
                                response = ClientResponse(head: head, body: "")
                            case .body(let buffer):
                                response?.body += String(buffer: buffer)
                            case .end:
                                return (path, response)
                            }
                        }
                        return (path, response)
                    }
                }
            }
            var responses: [String: ClientResponse] = [:]
            for try await (path, response) in group {
                responses[path] = response
            }
            return responses
        }
    }

    /// Writes raw bytes over TLS (or plain TCP) and returns everything read until the server closes.
    func raw(_ bytes: String, tls: Bool = true, port: Int? = nil) async throws -> String {
        let context = tls ? try self.tlsContext(alpn: ["http/1.1"]) : nil
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port ?? self.server.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let context {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: context, serverHostname: "acme.localhost")
                        )
                    }
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            if !bytes.isEmpty {
                try await outbound.write(ByteBuffer(string: bytes))
            }
            var text = ""
            do {
                for try await chunk in inbound {
                    text += String(buffer: chunk)
                }
            } catch let error as NIOSSLError where error == .uncleanShutdown {
                // The server may close without close_notify after an error response.
            }
            return text
        }
    }
}

private func get(_ uri: String, method: HTTPMethod = .GET, headers: [(String, String)] = []) -> HTTPRequestHead {
    HTTPRequestHead(
        version: .http1_1,
        method: method,
        uri: uri,
        headers: HTTPHeaders([("host", "acme.localhost")] + headers)
    )
}

@Suite("Storefront server transport")
struct ServerTransportTests {
    @Test func keepAliveAnswersPipelinedRequestsInOrder() async throws {
        let fixture = try await ServerFixture.start()
        let responses = try await fixture.http1([
            (get("/slow/first?150", headers: [("X-Test", "One")]), nil),
            (get("/second"), nil),
        ])
        await fixture.stop()

        #expect(responses.count == 2)
        #expect(
            responses.first?.body.hasPrefix("GET acme.localhost /slow/first 150 body=0 x-test=One client=127.0.0.1")
                == true
        )
        #expect(responses.last?.body.hasPrefix("GET acme.localhost /second - body=0") == true)
        for response in responses {
            #expect(response.head.status == .ok)
            #expect(response.head.headers["strict-transport-security"] == ["max-age=31536000"])
            #expect(response.head.headers["content-length"] == ["\(response.body.utf8.count)"])
            #expect(response.head.headers["date"].first?.hasSuffix(" GMT") == true)
            #expect(response.head.headers["connection"].isEmpty)
            #expect(response.head.headers["content-type"] == ["text/plain"])
        }
    }

    @Test func pipelinedCacheHitsAreAllAnswered() async throws {
        let fixture = try await ServerFixture.start()
        let responses = try await fixture.http1((1...5).map { (get("/hit/\($0)"), nil) })
        await fixture.stop()
        let paths = responses.map { $0.body.split(separator: " ").dropFirst(2).first.map(String.init) }
        #expect(paths == ["/hit/1", "/hit/2", "/hit/3", "/hit/4", "/hit/5"])
    }

    @Test func headGetsHeadersWithoutBody() async throws {
        let fixture = try await ServerFixture.start()
        let responses = try await fixture.http1([(get("/page", method: .HEAD), nil), (get("/page"), nil)])
        await fixture.stop()

        #expect(responses.count == 2)
        #expect(responses.first?.body == "")
        let length = responses.last?.body.utf8.count ?? 0
        #expect(length > 0)
        // The echo starts with the method, so the HEAD body it would send is one byte longer.
        #expect(responses.first?.head.headers["content-length"] == ["\(length + 1)"])
    }

    @Test func postBodyReachesTheResponder() async throws {
        let fixture = try await ServerFixture.start()
        let body = String(repeating: "x", count: 5000)
        let responses = try await fixture.http1([
            (get("/slow/order", method: .POST, headers: [("content-length", "5000")]), body)
        ])
        await fixture.stop()
        #expect(responses.first?.body.contains("POST acme.localhost /slow/order - body=5000") == true)
    }

    @Test func oversizedHeaderIs431() async throws {
        let fixture = try await ServerFixture.start()
        let big = String(repeating: "a", count: 64 * 1024)
        let text = try await fixture.raw("GET / HTTP/1.1\r\nHost: acme.localhost\r\nX-Big: \(big)\r\n\r\n")
        await fixture.stop()
        #expect(text.hasPrefix("HTTP/1.1 431 "))
    }

    @Test func oversizedBodyIs413() async throws {
        let fixture = try await ServerFixture.start(limits: .init(maxBodyBytes: 1024))
        let declared = try await fixture.raw(
            "POST /api/orders HTTP/1.1\r\nHost: acme.localhost\r\nContent-Length: 2000000\r\n\r\n"
        )
        let chunked = try await fixture.raw(
            "POST /api/orders HTTP/1.1\r\nHost: acme.localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "800\r\n\(String(repeating: "y", count: 2048))\r\n0\r\n\r\n"
        )
        await fixture.stop()
        #expect(declared.hasPrefix("HTTP/1.1 413 "))
        #expect(chunked.hasPrefix("HTTP/1.1 413 "))
    }

    @Test func garbageIs400() async throws {
        let fixture = try await ServerFixture.start()
        let text = try await fixture.raw("\u{1}\u{2}NOT HTTP AT ALL\r\n\r\n")
        let noHost = try await fixture.raw("GET / HTTP/1.1\r\n\r\n")
        await fixture.stop()
        #expect(text.hasPrefix("HTTP/1.1 400 "))
        #expect(noHost.hasPrefix("HTTP/1.1 400 "))
    }

    @Test func silentAndSlowClientsAreClosed() async throws {
        let fixture = try await ServerFixture.start(
            limits: .init(headerReadTimeout: .milliseconds(300), idleTimeout: .milliseconds(600))
        )
        let clock = ContinuousClock()
        // The server closing the connection is the outcome under test; on a loaded machine it
        // may come before the client has finished writing, which the client sees as an error.
        func untilClosed(_ body: () async throws -> String) async throws -> Duration {
            try await clock.measure {
                do {
                    _ = try await body()
                } catch ChannelError.ioOnClosedChannel {
                }
            }
        }
        // Completes the TLS handshake, then sends nothing: the header-read timeout closes it.
        let silent = try await untilClosed { try await fixture.raw("") }
        // Trickles half a request head.
        let slow = try await untilClosed { try await fixture.raw("GET / HTTP/1.1\r\nHost: acme") }
        // Never even starts TLS: the idle timeout closes it.
        let silentTCP = try await untilClosed { try await fixture.raw("", tls: false) }
        await fixture.stop()
        #expect(silent >= .milliseconds(250) && silent < .seconds(3))
        #expect(slow >= .milliseconds(250) && slow < .seconds(3))
        #expect(silentTCP >= .milliseconds(550) && silentTCP < .seconds(3))
    }

    @Test func connectionCapPausesAccepting() async throws {
        let (started, continuation) = AsyncStream.makeStream(of: String.self)
        let fixture = try await ServerFixture.start(
            limits: .init(maxConnections: 1),
            responder: EchoResponder(started: continuation)
        )
        // The only connection the cap allows, busy for 800 ms.
        async let holder = fixture.http1([(get("/slow/hold?800"), nil)])
        for await _ in started {
            break
        }
        let clock = ContinuousClock()
        let start = clock.now
        // Waits in the backlog until the first connection has closed, then is served.
        let served = try await fixture.raw(
            "GET /capped HTTP/1.1\r\nHost: acme.localhost\r\nConnection: close\r\n\r\n"
        )
        let waited = clock.now - start
        let held = try await holder
        await fixture.stop()
        #expect(held.first?.head.status == .ok)
        #expect(served.hasPrefix("HTTP/1.1 200 "))
        #expect(waited >= .milliseconds(600))
    }

    @Test func plainHTTPRedirectsToHTTPS() async throws {
        let fixture = try await ServerFixture.start()
        let port = try #require(fixture.server.redirectPort)
        let text = try await fixture.raw(
            "GET /products/frame?color=red HTTP/1.1\r\nHost: acme.localhost:8080\r\nConnection: close\r\n\r\n",
            tls: false,
            port: port
        )
        let evil = try await fixture.raw(
            "GET / HTTP/1.1\r\nHost: evil.com/\r\nConnection: close\r\n\r\n",
            tls: false,
            port: port
        )
        await fixture.stop()
        #expect(text.hasPrefix("HTTP/1.1 301 "))
        #expect(
            text.lowercased().contains(
                "location: https://acme.localhost:\(fixture.server.port)/products/frame?color=red\r\n"
            )
        )
        #expect(evil.hasPrefix("HTTP/1.1 400 "))
    }

    @Test func http2StreamsAreAnsweredConcurrently() async throws {
        let fixture = try await ServerFixture.start()
        let paths = ["/slow/a?200", "/b", "/c?q=1"]
        let responses = try await fixture.http2(paths)
        await fixture.stop()

        #expect(responses.count == 3)
        for path in paths {
            let response = try #require(responses[path])
            let uri = path.split(separator: "?", maxSplits: 1)
            let query = uri.count > 1 ? String(uri[1]) : "-"
            #expect(response.head.status == .ok)
            #expect(response.body.hasPrefix("GET acme.localhost \(uri[0]) \(query) body=0"))
            #expect(response.head.headers["strict-transport-security"] == ["max-age=31536000"])
            #expect(response.head.headers["content-length"] == ["\(response.body.utf8.count)"])
            #expect(response.head.headers["date"].count == 1)
        }
    }

    @Test func http2WithCurl() async throws {
        let fixture = try await ServerFixture.start()
        let port = fixture.server.port
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = [
            "--silent", "--show-error", "--http2", "--cacert", fixture.caPath,
            "--resolve", "acme.localhost:\(port):127.0.0.1",
            "--include", "--write-out", "\nversion=%{http_version}",
            "https://acme.localhost:\(port)/h2/page?x=1",
            "https://acme.localhost:\(port)/slow/h2?20",
        ]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        await fixture.stop()
        let text = String(decoding: data, as: UTF8.self)
        #expect(process.terminationStatus == 0)
        #expect(text.contains("HTTP/2 200"))
        #expect(text.contains("strict-transport-security: max-age=31536000"))
        #expect(text.contains("GET acme.localhost:\(port) /h2/page x=1"))
        #expect(text.contains("GET acme.localhost:\(port) /slow/h2 20"))
        #expect(text.contains("version=2"))
    }

    @Test func shutdownFinishesRequestsInFlight() async throws {
        let (started, continuation) = AsyncStream.makeStream(of: String.self)
        let fixture = try await ServerFixture.start(responder: EchoResponder(started: continuation))
        async let responses = fixture.http1([(get("/slow/drain?1500"), nil)])
        for await _ in started {
            break
        }
        let clock = ContinuousClock()
        let elapsed = await clock.measure {
            await fixture.server.shutdown(gracePeriod: .seconds(5))
        }
        let answered = try await responses
        try? FileManager.default.removeItem(atPath: fixture.directory)
        #expect(answered.first?.head.status == .ok)
        #expect(answered.first?.head.headers["connection"] == ["close"])
        #expect(elapsed < .seconds(4.5))
    }
}
