import Edge
import EdgeTestSupport
import Foundation
import Logging
import NIOPosix
import Render
import TenantStore
import Testing

/// The whole product on a loopback port: the real store with the demo tenants, the real
/// storefront service and page cache, real TLS with SNI, and curl as the client over HTTP/1.1
/// and HTTP/2.
@Suite("End to end: edge over real TLS", .serialized)
struct EndToEndTests {
    /// A running edge and what a client needs to reach it.
    struct Running {
        let server: StorefrontServer
        let store: FileKeyValueStore
        let data: TenantData
        let caPath: String
        let directory: String

        func stop() async {
            await self.server.shutdown(gracePeriod: .seconds(1))
            self.store.close()
            try? FileManager.default.removeItem(atPath: self.directory)
        }

        /// One request with curl: status, headers (lowercased names) and body. `head` sends
        /// `HEAD` instead of `GET`.
        func curl(
            _ host: String,
            _ path: String = "/",
            http2: Bool = false,
            head: Bool = false,
            headers: [String] = []
        ) async throws -> (status: Int, headers: [String: String], body: String) {
            let port = self.server.port
            var arguments = [
                "--silent", "--show-error", "--cacert", self.caPath, "--resolve", "\(host):\(port):127.0.0.1",
                http2 ? "--http2" : "--http1.1", "--compressed",
            ]
            arguments += head ? ["--head"] : ["--dump-header", "-"]
            for header in headers { arguments += ["--header", header] }
            arguments.append("https://\(host):\(port)\(path)")
            let curlArguments = arguments
            let outcome = try await offPool { try runProcess("/usr/bin/curl", curlArguments) }
            guard outcome.status == 0 else {
                throw CurlFailed(description: "curl \(host)\(path): \(outcome.errors)")
            }
            let parts = outcome.output.components(separatedBy: "\r\n\r\n")
            let headLines = parts[0].components(separatedBy: "\r\n")
            let status = Int(headLines[0].split(separator: " ")[1]) ?? 0
            var headers: [String: String] = [:]
            for line in headLines.dropFirst() {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...]
                    .trimmingCharacters(in: .whitespaces)
            }
            return (status, headers, parts.dropFirst().joined(separator: "\r\n\r\n"))
        }
    }

    struct CurlFailed: Error, CustomStringConvertible {
        var description: String
    }

    static func start() async throws -> Running {
        let directory = NSTemporaryDirectory() + "edge-e2e-" + UUID().uuidString
        let store = try FileKeyValueStore.open(directory: directory + "/store")
        let data = TenantData(store: store, platformDomain: "localhost")
        try await DemoTenants.seed(into: data, platformDomain: "localhost")
        let certificates = try DevelopmentCertificates.ensure(in: directory + "/certs", domain: "localhost")
        let certificateStore = try CertificateStore(development: certificates)
        // A custom domain is served with its own certificate; here one the development CA signs.
        certificateStore.setCertificate(
            try certificates.issuer.issue(for: DemoTenants.customDomain),
            forCustomDomain: DemoTenants.customDomain
        )
        let service = try StorefrontService(
            store: store,
            platformDomain: "localhost",
            themes: ThemeLibrary.builtIn(),
            cache: PageCache(budgetBytes: 16 * 1024 * 1024),
            logger: Logger(label: "e2e", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        let server = try await StorefrontServer.start(
            configuration: .init(host: "127.0.0.1", port: 0, redirectListener: nil),
            certificates: certificateStore,
            responder: service,
            group: MultiThreadedEventLoopGroup.singleton
        )
        return Running(
            server: server,
            store: store,
            data: data,
            caPath: certificates.caCertificatePath,
            directory: directory
        )
    }

    /// Runs `body` against a fresh edge and stops it afterwards, also when `body` throws.
    static func withEdge(_ body: (Running) async throws -> Void) async throws {
        let edge = try await Self.start()
        do {
            try await body(edge)
        } catch {
            await edge.stop()
            throw error
        }
        await edge.stop()
    }

    @Test func demoStoresAreServedAndIsolatedOverBothProtocols() async throws {
        try await Self.withEdge { edge in
            for http2 in [false, true] {
                let acme = try await edge.curl("acme.localhost", http2: http2)
                #expect(acme.status == 200)
                #expect(acme.body.contains("Acme Optics"))
                #expect(!acme.body.contains("Glow Botanics") && !acme.body.contains("North Supply"))
                #expect(acme.headers["strict-transport-security"] != nil)

                let glow = try await edge.curl("glow.localhost", http2: http2)
                #expect(glow.status == 200)
                #expect(glow.body.contains("Glow Botanics"))
                #expect(!glow.body.contains("Acme Optics"))

                let unknown = try await edge.curl("nobody.localhost", http2: http2)
                #expect(unknown.status == 404)
                for name in ["Acme Optics", "Glow Botanics", "North Supply"] { #expect(!unknown.body.contains(name)) }
            }
            let customDomain = try await edge.curl(DemoTenants.customDomain)
            #expect(customDomain.status == 200)
            #expect(customDomain.body.contains("North Supply"))
        }
    }

    @Test func aChangeIsServedAtOnceAndETagsRevalidate() async throws {
        try await Self.withEdge { edge in
            let first = try await edge.curl("acme.localhost")
            let etag = try #require(first.headers["etag"])
            let revalidated = try await edge.curl("acme.localhost", headers: ["If-None-Match: \(etag)"])
            #expect(revalidated.status == 304)

            let acme = try #require(try await edge.data.tenants.tenant(subdomain: "acme"))
            var branding = try #require(try await edge.data.configuration.section(.branding, tenant: acme.id))
            if case .object(var fields) = branding {
                fields["companyName"] = .string("Acme Renamed Optics")
                branding = .object(fields)
            }
            try await edge.data.configuration.set(.branding, to: branding, tenant: acme.id)
            // Cache hits on the event loop trust a tenant snapshot for at most 250 ms.
            try await Task.sleep(for: .milliseconds(300))
            let changed = try await edge.curl("acme.localhost", http2: true)
            #expect(changed.status == 200)
            #expect(changed.headers["etag"] != etag)
            #expect(changed.body.contains("Acme Renamed Optics"))
            let stale = try await edge.curl("acme.localhost", headers: ["If-None-Match: \(etag)"])
            #expect(stale.status == 200)
        }
    }

    @Test func headIsAnsweredWithTheFieldsOfGet() async throws {
        try await Self.withEdge { edge in
            for http2 in [false, true] {
                let get = try await edge.curl("acme.localhost", "/products/aria-round", http2: http2)
                let head = try await edge.curl("acme.localhost", "/products/aria-round", http2: http2, head: true)
                #expect(head.status == 200)
                #expect(head.body.isEmpty)
                #expect(head.headers["content-length"] == get.headers["content-length"])
                #expect(head.headers["content-length"] != "0")
                #expect(head.headers["etag"] == get.headers["etag"])
            }
        }
    }

    @Test func aHostTheConnectionsCertificateDoesNotCoverIsMisdirected() async throws {
        try await Self.withEdge { edge in
            for http2 in [false, true] {
                // SNI names acme, so the connection got acme's certificate; glow's request on it is refused.
                let misdirected = try await edge.curl("acme.localhost", http2: http2, headers: ["Host: glow.localhost"])
                #expect(misdirected.status == 421)
                #expect(!misdirected.body.contains("Glow Botanics") && !misdirected.body.contains("Acme Optics"))
                let custom = try await edge.curl(
                    DemoTenants.customDomain,
                    http2: http2,
                    headers: ["Host: acme.localhost"]
                )
                #expect(custom.status == 421)
            }
            let withPort = try await edge.curl("acme.localhost", headers: ["Host: ACME.localhost:\(edge.server.port)"])
            #expect(withPort.status == 200)
        }
    }

    @Test func concurrentRequestsToManyTenantsNeverMix() async throws {
        try await Self.withEdge { edge in
            let names = (0..<12).map { "Isolated Store \($0) Q\($0 * 7919)Z" }
            for (index, name) in names.enumerated() {
                _ = try await edge.data.tenants.create(companyName: name, subdomain: "iso\(index)")
            }
            let port = edge.server.port
            let output = NSTemporaryDirectory() + "isolation-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: output) }
            for http2 in [false, true] {
                // One curl with 72 transfers in parallel: 6 rounds over the 12 stores, mixing pages.
                var arguments = [
                    "--silent", "--show-error", "--cacert", edge.caPath, "--parallel", "--parallel-max", "24",
                    http2 ? "--http2" : "--http1.1",
                ]
                for index in names.indices {
                    arguments += ["--resolve", "iso\(index).localhost:\(port):127.0.0.1"]
                }
                for round in 0..<6 {
                    for index in names.indices {
                        let path = ["/", "/search?q=x", "/cart", "/robots.txt"][(round + index) % 4]
                        arguments += [
                            "--output", "\(output)/\(http2)-\(round)-\(index)",
                            "https://iso\(index).localhost:\(port)\(path)",
                        ]
                    }
                }
                let curlArguments = arguments
                let outcome = try await offPool { try runProcess("/usr/bin/curl", curlArguments) }
                #expect(outcome.status == 0, "\(outcome.errors)")
                for round in 0..<6 {
                    for index in names.indices {
                        let body = try String(contentsOfFile: "\(output)/\(http2)-\(round)-\(index)", encoding: .utf8)
                        let others = names.indices.filter { $0 != index && body.contains(names[$0]) }
                        #expect(others.isEmpty, "iso\(index) showed \(others.map { names[$0] })")
                        #expect(!body.contains("Acme Optics") && !body.contains("Glow Botanics"))
                        if ((round + index) % 4) != 3 {
                            #expect(body.contains(names[index]), "iso\(index) round \(round) lacks its own name")
                        } else {
                            #expect(body.contains("iso\(index).localhost"), "robots.txt of iso\(index)")
                        }
                    }
                }
            }
        }
    }
}
