import EdgeTestSupport
import Foundation
import Testing

/// The admin API fuzzed from its own OpenAPI document with schemathesis, against a real server.
///
/// Checks: no 5xx, every status, content type, header and body as the document says, invalid
/// input rejected, authentication not ignored. Not checked: that every schema-valid request is
/// accepted (the API validates more than JSON Schema can say, e.g. hex colours and unique
/// subdomains) and `405` for undeclared methods (Hummingbird answers `404`).
///
/// Runs when schemathesis is installed (`pip install schemathesis`); `.ci/run` installs it and
/// sets `EDGE_REQUIRE_SCHEMATHESIS=1`, which turns a missing schemathesis into a failure.
@Suite("Admin API fuzzed by schemathesis", .serialized)
struct SchemathesisTests {
    static let executable =
        ["/usr/local/bin/schemathesis", "/usr/bin/schemathesis"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }
        ?? ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":")
        .map { "\($0)/schemathesis" }
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    static let required = ProcessInfo.processInfo.environment["EDGE_REQUIRE_SCHEMATHESIS"] == "1"

    @Test(.enabled(if: Self.executable != nil || Self.required))
    func theAPIKeepsToItsDocument() async throws {
        try await offPool { try Self.fuzz() }
    }

    private static func fuzz() throws {
        let schemathesis = try #require(Self.executable, "schemathesis is not installed: pip install schemathesis")
        let directory = NSTemporaryDirectory() + "edge-fuzz-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try ServerProcess(
            arguments: [
                "serve", "--demo", "--data-dir", directory + "/data", "--listen", "127.0.0.1:0",
                "--http-listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
            ],
            directory: directory
        )
        defer { server.stop() }
        let admin = try #require(server.port("admin"))
        let token = try runProcess(
            try builtProduct(named: "edge"),
            ["token", "--data-dir", directory + "/data", "--role", "platform-admin", "--ttl", "1h"]
        )
        #expect(token.status == 0)
        let fuzz = try runProcess(
            schemathesis,
            [
                "run", "https://localhost:\(admin)/api/openapi.json",
                "--tls-verify", directory + "/certs/dev-ca.pem",
                "--header", "Authorization: Bearer \(token.output.trimmingCharacters(in: .whitespacesAndNewlines))",
                "--exclude-checks", "positive_data_acceptance,unsupported_method",
                "--max-examples", "40", "--seed", "20261127", "--no-color",
            ]
        )
        #expect(
            fuzz.status == 0,
            "schemathesis found problems:\n\(fuzz.output.suffix(6000))\n\(fuzz.errors.suffix(2000))"
        )
    }
}
