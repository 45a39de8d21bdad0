import EdgeTestSupport
import Foundation
import Testing

/// `edge serve` as a process: settings, the admin listener, reload and shutdown by signal.
@Suite("edge serve as a process", .serialized)
struct ServeCommandTests {
    private static func directory() throws -> String {
        let path = NSTemporaryDirectory() + "edge-serve-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private static let loopbackListeners = [
        "--listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
    ]

    /// A request with curl against the running server; `host` resolves to 127.0.0.1.
    private static func curl(
        _ server: ServerProcess,
        _ url: String,
        host: String,
        port: Int,
        extra: [String] = []
    ) throws -> (status: Int, body: String) {
        let outcome = try runProcess(
            "/usr/bin/curl",
            [
                "--silent", "--show-error", "--cacert", server.directory + "/certs/dev-ca.pem",
                "--resolve", "\(host):\(port):127.0.0.1", "--write-out", "\n%{http_code}",
            ] + extra + [url]
        )
        #expect(outcome.status == 0, "\(outcome.errors)")
        let lines = outcome.output.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n").trimmingCharacters(in: .newlines))
    }

    @Test func demoStoresAdminHealthReadinessAndMetrics() async throws {
        try await offPool { try Self.demoStoresAdminHealthReadinessAndMetricsBody() }
    }

    private static func demoStoresAdminHealthReadinessAndMetricsBody() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try ServerProcess(
            arguments: ["serve", "--demo", "--data-dir", directory + "/data"] + Self.loopbackListeners,
            directory: directory
        )
        defer { server.stop() }
        let admin = try #require(server.port("admin"))
        let https = try #require(server.port("https"))

        #expect(
            try Self.curl(server, "https://localhost:\(admin)/healthz", host: "localhost", port: admin) == (200, "ok")
        )
        #expect(
            try Self.curl(server, "https://localhost:\(admin)/readyz", host: "localhost", port: admin) == (200, "ready")
        )
        for _ in 0..<2 {
            let page = try Self.curl(server, "https://acme.localhost:\(https)/", host: "acme.localhost", port: https)
            #expect(page.status == 200)
        }
        let metrics = try Self.curl(server, "https://localhost:\(admin)/metrics", host: "localhost", port: admin)
        #expect(metrics.status == 200)
        for name in [
            "edge_cache_misses_total 1", "edge_render_duration_seconds_count 1",
            "edge_store_commit_duration_seconds_count",
            "edge_tls_handshakes_total{protocol=\"h2\"} 2", "edge_cache_bytes",
            "edge_http_responses_total{class=\"2xx\"} 2",
        ] {
            #expect(metrics.body.contains(name), "\(name) missing from /metrics")
        }

        // The demo's custom domain has its own certificate, uploaded through the store.
        let custom = "shop.example.test"
        let page = try Self.curl(server, "https://\(custom):\(https)/", host: custom, port: https)
        #expect(page.status == 200)
        let www = try Self.curl(server, "https://www.\(custom):\(https)/", host: "www.\(custom)", port: https)
        #expect(www.status == 301)
        #expect(server.stop() == 0)
    }

    @Test func theAccessLogHasALinePerResponseAndIsReopenedOnReload() async throws {
        try await offPool { try Self.theAccessLogHasALinePerResponseAndIsReopenedOnReloadBody() }
    }

    private static func theAccessLogHasALinePerResponseAndIsReopenedOnReloadBody() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let log = directory + "/access.log"
        let server = try ServerProcess(
            arguments: ["serve", "--demo", "--data-dir", directory + "/data"] + Self.loopbackListeners,
            environment: ["EDGE_ACCESS_LOG": log],
            directory: directory
        )
        defer { server.stop() }
        let https = try #require(server.port("https"))
        for http in ["--http1.1", "--http2", "--http2"] {
            let page = try Self.curl(
                server,
                "https://acme.localhost:\(https)/?q=1",
                host: "acme.localhost",
                port: https,
                extra: [http, "--user-agent", "probe \"quoted\""]
            )
            #expect(page.status == 200)
        }
        #expect(
            try Self.curl(server, "https://nobody.localhost:\(https)/", host: "nobody.localhost", port: https).status
                == 404
        )
        let lines = try Self.waitForLines(in: log, count: 4)
        #expect(lines[0].contains("\"GET /?q=1 HTTP/1.1\" 200 "))
        #expect(lines[0].contains("\"probe \\\"quoted\\\"\""))
        #expect(lines[0].contains("cache=miss") && lines[0].contains("tenant=") && lines[0].contains("duration_ms="))
        #expect(lines[1].contains("\"GET /?q=1 HTTP/2.0\" 200 ") && lines[1].contains("cache=hit"))
        #expect(lines[3].contains(" 404 ") && lines[3].contains("tenant=-"))

        try FileManager.default.moveItem(atPath: log, toPath: log + ".1")
        server.signal(SIGHUP)
        #expect(server.waitForLog("reloaded"))
        _ = try Self.curl(server, "https://acme.localhost:\(https)/", host: "acme.localhost", port: https)
        #expect(try Self.waitForLines(in: log, count: 1).count == 1)
        #expect(server.stop() == 0)
    }

    private static func waitForLines(in path: String, count: Int) throws -> [String] {
        let deadline = ContinuousClock.now + .seconds(5)
        var lines: [String] = []
        while ContinuousClock.now < deadline {
            lines = ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
            if lines.count >= count { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return lines
    }

    @Test func settingsComeFromTheFileAndEnvironmentAndBadOnesStopTheStart() async throws {
        try await offPool { try Self.settingsComeFromTheFileAndEnvironmentAndBadOnesStopTheStartBody() }
    }

    private static func settingsComeFromTheFileAndEnvironmentAndBadOnesStopTheStartBody() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "platformDomain: file.test\ncacheMb: 8\n".write(
            toFile: directory + "/edge.yaml",
            atomically: true,
            encoding: .utf8
        )
        let server = try ServerProcess(
            arguments: ["serve", "--config", "edge.yaml", "--data-dir", directory + "/data"] + Self.loopbackListeners,
            environment: ["EDGE_PLATFORM_DOMAIN": "env.test"],
            directory: directory
        )
        #expect(server.standardOutput.contains("https://acme.env.test:"))
        #expect(server.stop() == 0)

        let bad = try runProcess(
            try builtProduct(named: "edge"),
            ["serve", "--data-dir", directory + "/data", "--config", directory + "/missing.yaml"]
        )
        #expect(bad.status != 0)
        #expect(bad.errors.contains("setting config: cannot read"))
    }

    @Test func sighupReloadsWithoutDroppingAConnectionAndSessionsResume() async throws {
        try await offPool { try Self.sighupReloadsWithoutDroppingAConnectionAndSessionsResumeBody() }
    }

    private static func sighupReloadsWithoutDroppingAConnectionAndSessionsResumeBody() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "trustedProxies: []\n".write(toFile: directory + "/edge.yaml", atomically: true, encoding: .utf8)
        let server = try ServerProcess(
            arguments: ["serve", "--demo", "--config", "edge.yaml", "--data-dir", directory + "/data"]
                + Self.loopbackListeners,
            directory: directory
        )
        defer { server.stop() }
        let https = try #require(server.port("https"))

        // One keep-alive connection that spans the reload: a request before and one after it.
        let client = try OpenSSLClient(
            port: https,
            serverName: "acme.localhost",
            caFile: directory + "/certs/dev-ca.pem"
        )
        #expect(try client.request(host: "acme.localhost").hasPrefix("HTTP/1.1 200"))
        try "trustedProxies: [10.0.0.0/8]\ncacheMb: 1\n".write(
            toFile: directory + "/edge.yaml",
            atomically: true,
            encoding: .utf8
        )
        server.signal(SIGHUP)
        #expect(server.waitForLog("reloaded"))
        #expect(server.errorOutput.contains("need a restart"))
        #expect(server.errorOutput.contains("trusted_proxies=10.0.0.0/8"))
        #expect(try client.request(host: "acme.localhost").hasPrefix("HTTP/1.1 200"))
        client.close()

        try "cacheMb: nonsense\n".write(toFile: directory + "/edge.yaml", atomically: true, encoding: .utf8)
        server.signal(SIGHUP)
        #expect(server.waitForLog("reload failed"))

        // TLS session resumption, for TLS 1.2 (session ids) and TLS 1.3 (tickets).
        for version in ["-tls1_2", "-tls1_3"] {
            let session = directory + "/session\(version).pem"
            let first = try OpenSSLClient.once(
                port: https,
                version: version,
                caFile: directory + "/certs/dev-ca.pem",
                session: ["-sess_out", session]
            )
            #expect(first.contains("New, TLSv1."))
            let second = try OpenSSLClient.once(
                port: https,
                version: version,
                caFile: directory + "/certs/dev-ca.pem",
                session: ["-sess_in", session]
            )
            #expect(second.contains("Reused, TLSv1."), "\(version) session was not resumed")
        }
        #expect(server.stop() == 0)
    }
}

/// `openssl s_client` as a raw TLS client, to hold one connection open across a reload.
final class OpenSSLClient {
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()

    init(port: Int, serverName: String, caFile: String) throws {
        self.process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        self.process.arguments = [
            "s_client", "-quiet", "-connect", "127.0.0.1:\(port)", "-servername", serverName, "-CAfile", caFile,
            "-alpn", "http/1.1",
        ]
        self.process.standardInput = self.input
        self.process.standardOutput = self.output
        self.process.standardError = FileHandle.nullDevice
        try self.process.run()
    }

    /// Sends one GET and returns the response head and body read until the body is complete.
    func request(host: String) throws -> String {
        self.input.fileHandleForWriting.write(Data("GET / HTTP/1.1\r\nHost: \(host)\r\n\r\n".utf8))
        var received = Data()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            received.append(self.output.fileHandleForReading.availableData)
            let text = String(decoding: received, as: UTF8.self)
            if let headEnd = text.range(of: "\r\n\r\n"),
                let lengthLine = text[..<headEnd.lowerBound].split(separator: "\r\n")
                    .first(where: { $0.lowercased().hasPrefix("content-length:") }),
                let length = Int(lengthLine.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)),
                text.utf8.count - text[..<headEnd.upperBound].utf8.count >= length
            {
                return text
            }
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// Ends the connection; `-quiet` ignores end of input, so the client is killed.
    func close() {
        kill(self.process.processIdentifier, SIGKILL)
        self.process.waitUntilExit()
    }

    /// One connection that sends a request and waits a moment, so TLS 1.3 tickets arrive; its summary.
    static func once(port: Int, version: String, caFile: String, session: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        let command =
            "(printf 'GET / HTTP/1.1\\r\\nHost: acme.localhost\\r\\nConnection: close\\r\\n\\r\\n'; sleep 1) | "
            + "openssl s_client \(version) -connect 127.0.0.1:\(port) -servername acme.localhost -CAfile \(caFile) "
            + session.joined(separator: " ")
        process.arguments = ["-c", command]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
