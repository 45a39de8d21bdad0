import Edge
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import Testing

@Suite("Certificate selection by SNI")
struct CertificateSelectionTests {
    private func makeStore() throws -> (CertificateStore, TestAuthority) {
        let authority = try TestAuthority()
        let platform = try authority.issue(dnsNames: ["localhost", "*.localhost"])
        let store = CertificateStore(
            platformDomain: "localhost",
            platformCertificate: try platform.bundle(for: "localhost")
        )
        return (store, authority)
    }

    @Test func selectionTable() throws {
        let (store, authority) = try self.makeStore()
        let custom = try authority.issue(dnsNames: ["shop.example.com"])
        try store.install(custom, forCustomDomain: "shop.example.com")
        // A tenant may own a custom domain under the platform domain; its own certificate wins.
        let nested = try authority.issue(dnsNames: ["vip.localhost"])
        try store.install(nested, forCustomDomain: "vip.localhost")

        let table: [(String?, CertificateStore.Selection)] = [
            ("shop.example.com", .customDomain("shop.example.com")),
            ("SHOP.example.com.", .customDomain("shop.example.com")),
            ("vip.localhost", .customDomain("vip.localhost")),
            ("acme.localhost", .platformWildcard),
            ("Acme.LOCALHOST", .platformWildcard),
            ("a.b.localhost", .default),
            ("localhost", .default),
            ("evillocalhost", .default),
            ("www.shop.example.com", .customDomain("shop.example.com")),
            ("www.unknown.example.com", .default),
            ("unknown.example.org", .default),
            ("", .default),
            (nil, .default),
        ]
        for (serverName, expected) in table {
            #expect(store.selectCertificate(forServerName: serverName) == expected, "\(serverName ?? "no SNI")")
        }
        #expect(store.customDomains == ["shop.example.com", "vip.localhost"])
    }

    @Test func replaceAndRemoveAtRuntime() throws {
        let (store, authority) = try self.makeStore()
        let first = try authority.issue(dnsNames: ["shop.example.com"])
        let second = try authority.issue(dnsNames: ["shop.example.com"])
        try store.install(first, forCustomDomain: "shop.example.com")
        #expect(
            try store.certificate(forServerName: "shop.example.com").certificateChain[0].toDERBytes()
                == first.leafDER
        )

        try store.install(second, forCustomDomain: "shop.example.com")
        #expect(
            try store.certificate(forServerName: "shop.example.com").certificateChain[0].toDERBytes()
                == second.leafDER
        )

        let uncovered = try authority.issue(dnsNames: ["other.example.com"])
        #expect(throws: CertificateValidationError.self) {
            try store.install(uncovered, forCustomDomain: "shop.example.com")
        }
        #expect(
            try store.certificate(forServerName: "shop.example.com").certificateChain[0].toDERBytes()
                == second.leafDER
        )

        #expect(store.removeCertificate(forCustomDomain: "Shop.Example.com"))
        #expect(!store.removeCertificate(forCustomDomain: "shop.example.com"))
        #expect(store.selectCertificate(forServerName: "shop.example.com") == .default)
    }

    @Test func serverConfigurationIsModernAndLoads() throws {
        let (store, _) = try self.makeStore()
        let configuration = store.makeServerConfiguration()
        #expect(configuration.minimumTLSVersion == .tlsv12)
        #expect(configuration.applicationProtocols == ["h2", "http/1.1"])
        #expect(configuration.sslContextCallback != nil)
        let suites = configuration.cipherSuites.split(separator: ":")
        #expect(!suites.isEmpty)
        // Forward secrecy (ECDHE) and AEAD only: no RSA key exchange, no CBC.
        #expect(suites.allSatisfy { $0.contains("ECDHE") && ($0.contains("GCM") || $0.contains("CHACHA20")) })
        _ = try NIOSSLContext(configuration: configuration)
    }
}

/// Completes a promise when the TLS handshake finishes, with the negotiated ALPN protocol.
final class HandshakeRecorder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let promise: EventLoopPromise<String?>

    init(promise: EventLoopPromise<String?>) {
        self.promise = promise
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted(let negotiatedProtocol) = event as? TLSUserEvent {
            self.promise.succeed(negotiatedProtocol)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.promise.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.promise.fail(ChannelError.alreadyClosed)
        context.fireChannelInactive()
    }
}

@available(*, unavailable)
extension HandshakeRecorder: Sendable {}

/// A TLS server on 127.0.0.1, port 0, serving `configuration`; clients connect, finish the handshake and report.
/// Also used by the tenant-certificate tests.
struct LoopbackTLSServer {
    let group: MultiThreadedEventLoopGroup
    let channel: any Channel

    static func run<Result>(
        _ configuration: TLSConfiguration,
        _ body: (LoopbackTLSServer) async throws -> Result
    ) async throws -> Result {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let context = try NIOSSLContext(configuration: configuration)
        do {
            let channel = try await ServerBootstrap(group: group)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    }
                }
                .bind(host: "127.0.0.1", port: 0)
                .get()
            let server = LoopbackTLSServer(group: group, channel: channel)
            let result: Result
            do {
                result = try await body(server)
            } catch {
                try? await channel.close()
                throw error
            }
            try await channel.close()
            try await group.shutdownGracefully()
            return result
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// Handshakes with `serverName` as SNI; returns the ALPN protocol and the served leaf in DER.
    func handshake(
        serverName: String?,
        client: NIOSSLContext
    ) async throws -> (negotiatedProtocol: String?, leaf: [UInt8]?) {
        try await Self.handshake(
            with: try #require(self.channel.localAddress),
            serverName: serverName,
            client: client,
            group: self.group
        )
    }

    /// Handshakes with the TLS server at `address`, `serverName` as SNI; returns the ALPN
    /// protocol and the served leaf in DER.
    static func handshake(
        with address: SocketAddress,
        serverName: String?,
        client: NIOSSLContext,
        group: any EventLoopGroup
    ) async throws -> (negotiatedProtocol: String?, leaf: [UInt8]?) {
        let handshake = group.next().makePromise(of: String?.self)
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let tls = try NIOSSLClientHandler(context: client, serverHostname: serverName)
                    try channel.pipeline.syncOperations.addHandler(tls)
                    try channel.pipeline.syncOperations.addHandler(HandshakeRecorder(promise: handshake))
                }
            }
            .connect(to: address)
            .get()
        do {
            let negotiated = try await handshake.futureResult.get()
            let peer = try await channel.nioSSL_peerCertificate().get()
            try await channel.close()
            return (negotiated, try peer?.toDERBytes())
        } catch {
            try? await channel.close()
            throw error
        }
    }
}

@Suite("TLS handshake picks the certificate by SNI")
struct TLSHandshakeTests {
    @Test func realHandshakeOnLoopback() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let development = try DevelopmentCertificates.ensure(in: directory, domain: "localhost")
        let store = CertificateStore(
            platformDomain: "localhost",
            platformCertificate: try CertificateBundle.validated(
                chainPEM: development.certificateChainPEM,
                privateKeyPEM: development.privateKeyPEM,
                for: "localhost"
            )
        )
        let tenantAuthority = try TestAuthority(name: "Tenant CA")
        let custom = try tenantAuthority.issue(dnsNames: ["shop.example.com"])
        try store.install(custom, forCustomDomain: "shop.example.com")

        var client = TLSConfiguration.makeClientConfiguration()
        client.trustRoots = .certificates([
            try NIOSSLCertificate(bytes: Array(read(development.caCertificatePath).utf8), format: .pem),
            try NIOSSLCertificate(bytes: Array(tenantAuthority.pem.utf8), format: .pem),
        ])
        // BoringSSL, like OpenSSL, refuses a wildcard directly under a single-label name such as
        // `*.localhost`, so the chain is verified here and the served certificate compared by bytes.
        client.certificateVerification = .noHostnameVerification
        client.applicationProtocols = ["h2", "http/1.1"]
        let clientContext = try NIOSSLContext(configuration: client)

        let developmentLeaf = try leafDER(inPEM: development.certificateChainPEM)
        let expectations: [(String?, [UInt8])] = try [
            ("shop.example.com", custom.leafDER),
            ("acme.localhost", developmentLeaf),
            (nil, developmentLeaf),
        ]
        try await LoopbackTLSServer.run(store.makeServerConfiguration()) { server in
            for (serverName, expectedLeaf) in expectations {
                let result = try await server.handshake(serverName: serverName, client: clientContext)
                #expect(result.negotiatedProtocol == "h2", "\(serverName ?? "no SNI")")
                #expect(result.leaf == expectedLeaf, "\(serverName ?? "no SNI")")
            }
        }
    }

    /// The storefront listener picks each connection's TLS context by the ClientHello's SNI
    /// name, one context per certificate, and one that lets the handshake choose for a
    /// ClientHello without a name: an installed, replaced or removed certificate counts from
    /// the next connection on.
    @Test func theStorefrontListenerServesEachConnectionTheCertificateOfItsName() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let development = try DevelopmentCertificates.ensure(in: directory, domain: "localhost")
        let store = try CertificateStore(development: development)
        let tenantAuthority = try TestAuthority(name: "Tenant CA")
        let first = try tenantAuthority.issue(dnsNames: ["shop.example.com"])
        let renewed = try tenantAuthority.issue(dnsNames: ["shop.example.com"])
        try store.install(first, forCustomDomain: "shop.example.com")
        var client = TLSConfiguration.makeClientConfiguration()
        client.certificateVerification = .none
        client.applicationProtocols = ["h2", "http/1.1"]
        let clientContext = try NIOSSLContext(configuration: client)
        let server = try await StorefrontServer.start(
            configuration: .init(host: "127.0.0.1", port: 0),
            certificates: store,
            responder: NotFoundResponder(),
            group: MultiThreadedEventLoopGroup.singleton
        )
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: server.port)
        func leaf(_ serverName: String?) async throws -> [UInt8]? {
            let result = try await LoopbackTLSServer.handshake(
                with: address,
                serverName: serverName,
                client: clientContext,
                group: MultiThreadedEventLoopGroup.singleton
            )
            #expect(result.negotiatedProtocol == "h2", "\(serverName ?? "no SNI")")
            return result.leaf
        }
        let platformLeaf = try leafDER(inPEM: development.certificateChainPEM)
        let served = try await (
            custom: leaf("shop.example.com"),
            again: leaf("SHOP.example.com."),
            tenant: leaf("acme.localhost"),
            platform: leaf("localhost"),
            none: leaf(nil)
        )
        try store.install(renewed, forCustomDomain: "shop.example.com")
        let afterRenewal = try await leaf("shop.example.com")
        store.removeCertificate(forCustomDomain: "shop.example.com")
        let afterRemoval = try await leaf("shop.example.com")
        let nextPlatform = try tenantAuthority.issue(dnsNames: ["localhost", "*.localhost"])
        store.replacePlatformCertificate(
            try nextPlatform.bundle(for: "localhost")
        )
        let afterPlatformRenewal = try await (named: leaf("localhost"), unnamed: leaf(nil))
        await server.shutdown(gracePeriod: .seconds(1))

        #expect(served.custom == (try first.leafDER))
        #expect(served.again == (try first.leafDER))
        let issued = try store.certificate(forServerName: "acme.localhost").certificateChain[0].toDERBytes()
        #expect(served.tenant == issued)
        #expect(served.tenant != platformLeaf)
        #expect(served.platform == platformLeaf)
        #expect(served.none == platformLeaf)
        #expect(afterRenewal == (try renewed.leafDER))
        #expect(afterRemoval == platformLeaf)
        #expect(afterPlatformRenewal.named == (try nextPlatform.leafDER))
        #expect(afterPlatformRenewal.unnamed == (try nextPlatform.leafDER))
    }

    @Test func developmentIssuerPassesStrictHostnameVerification() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let development = try DevelopmentCertificates.ensure(in: directory, domain: "localhost")
        let store = try CertificateStore(development: development)
        let first = store.certificate(forServerName: "acme.localhost")
        #expect(first.dnsNames == ["acme.localhost"])
        #expect(store.certificate(forServerName: "ACME.localhost.").certificateChain == first.certificateChain)
        #expect(store.certificate(forServerName: "localhost").dnsNames == ["localhost", "*.localhost"])

        var client = TLSConfiguration.makeClientConfiguration()
        client.trustRoots = .certificates([
            try NIOSSLCertificate(bytes: Array(read(development.caCertificatePath).utf8), format: .pem)
        ])
        let clientContext = try NIOSSLContext(configuration: client)
        try await LoopbackTLSServer.run(store.makeServerConfiguration()) { server in
            for serverName in ["acme.localhost", "glow.localhost", "localhost"] {
                let result = try await server.handshake(serverName: serverName, client: clientContext)
                #expect(result.leaf != nil, "\(serverName)")
            }
        }
    }
}
