import EdgeTestSupport
import Foundation
import Testing

/// `edge certs dev` run as a developer runs it: the built binary writing into a fresh directory.
@Suite("edge certs dev")
struct CertsCommandTests {
    @Test func writesThenReusesAndExplainsTrust() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let edge = try builtProduct(named: "edge")

        let first = try runProcess(edge, ["certs", "dev", "--out", directory])
        #expect(first.status == 0, "\(first.errors)")
        #expect(first.output.contains("created: \(directory)/dev-ca.pem"))
        #expect(first.output.contains("names: localhost, *.localhost, 127.0.0.1, ::1"))
        #expect(first.output.contains("curl --cacert \(directory)/dev-ca.pem https://acme.localhost:8443/"))
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(files == ["dev-ca-key.pem", "dev-ca.pem", "platform-key.pem", "platform.pem"])

        let again = try runProcess(edge, ["certs", "dev", "--out", directory])
        #expect(again.output.contains("reused: \(directory)/dev-ca.pem"))
        #expect(again.output.contains("reused: \(directory)/platform.pem"))

        let other = try runProcess(edge, ["certs", "dev", "--out", directory, "--domain", "shops.example.test"])
        #expect(other.output.contains("reused: \(directory)/dev-ca.pem"))
        #expect(other.output.contains("replaced: \(directory)/platform.pem"))
        #expect(other.output.contains("https://acme.shops.example.test:8443/"))

        let invalid = try runProcess(edge, ["certs", "dev", "--out", directory, "--domain", "not a domain"])
        #expect(invalid.status != 0)
        #expect(invalid.errors.contains("not a valid DNS name"))
    }
}
