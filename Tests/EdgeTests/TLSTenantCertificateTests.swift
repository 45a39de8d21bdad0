import Edge
import Foundation
import Logging
import NIOSSL
import Synchronization
import TenantStore
import Testing
import X509

/// Keeps what was logged, so tests can check warnings without bootstrapping the logging system.
private final class LogRecorder: Sendable {
    private let entries = Mutex<[(level: Logger.Level, message: String)]>([])

    var logger: Logger {
        Logger(label: "tenant-certificate-tests") { _ in Handler(recorder: self) }
    }

    func messages(at level: Logger.Level) -> [String] {
        self.entries.withLock { $0.filter { $0.level == level }.map(\.message) }
    }

    private struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var metadataProvider: Logger.MetadataProvider?
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { self.metadata[key] }
            set { self.metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            self.recorder.entries.withLock { $0.append((event.level, event.message.description)) }
        }
    }
}

@Suite("Tenant certificates: upload, load at start, picked up while running")
struct TenantCertificateTests {
    static let domain = "shop.example.com"

    /// A certificate store serving a platform certificate for `localhost`, tenant data that can
    /// seal keys, and a tenant owning ``domain`` and `second.example.com`.
    struct Fixture {
        var data: TenantData
        var store: any KeyValueStore
        var tenant: Tenant
        var authority: TestAuthority
        var certificates: Edge.CertificateStore
        var platformLeafDER: [UInt8]
    }

    func withFixture<Result>(_ body: (Fixture) async throws -> Result) async throws -> Result {
        let directory = temporaryDirectory()
        let store = try FileKeyValueStore.open(directory: directory)
        defer {
            store.close()
            try? FileManager.default.removeItem(atPath: directory)
        }
        let data = TenantData(store: store, platformDomain: "localhost", secrets: SecretBox(key: .random()))
        let tenant = try await data.tenants.create(
            companyName: "Acme",
            subdomain: "acme",
            customDomains: [Self.domain, "second.example.com"]
        )
        let authority = try TestAuthority()
        let platform = try authority.issue(dnsNames: ["localhost", "*.localhost"])
        let certificates = Edge.CertificateStore(
            platformDomain: "localhost",
            platformCertificate: try platform.bundle(for: "localhost")
        )
        return try await body(
            Fixture(
                data: data,
                store: store,
                tenant: tenant,
                authority: authority,
                certificates: certificates,
                platformLeafDER: try platform.leafDER
            )
        )
    }

    func uploadError(_ body: () async throws -> Void) async -> CertificateValidationError.Code? {
        do {
            try await body()
            return nil
        } catch {
            return (error as? CertificateValidationError)?.code
        }
    }

    func servedLeaf(_ certificates: Edge.CertificateStore, _ serverName: String) throws -> [UInt8] {
        try certificates.certificate(forServerName: serverName).certificateChain[0].toDERBytes()
    }

    /// Polls `condition` until it holds or `timeout` passes.
    func eventually(timeout: Duration = .seconds(5), _ condition: () throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try condition() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return try condition()
    }

    @Test func uploadRefusesWhatCannotBeServed() async throws {
        try await withFixture { fixture in
            let good = try fixture.authority.issue(dnsNames: [Self.domain])
            let stranger = try fixture.authority.issue(dnsNames: [Self.domain])
            let elsewhere = try fixture.authority.issue(dnsNames: ["other.example.com", "*.example.org"])
            let expired = try fixture.authority.issue(
                dnsNames: [Self.domain],
                notValidBefore: Date() - 86_400 * 30,
                notValidAfter: Date() - 86_400
            )
            let cases: [(String, String, CertificateValidationError.Code)] = [
                (good.chainPEM, stranger.keyPEM, .keyMismatch),
                (elsewhere.chainPEM, elsewhere.keyPEM, .domainNotCovered),
                (expired.chainPEM, expired.keyPEM, .expired),
                ("not a certificate", good.keyPEM, .malformedCertificate),
            ]
            for (chainPEM, keyPEM, expected) in cases {
                let code = await uploadError {
                    try await fixture.data.certificates.upload(
                        chainPEM: chainPEM,
                        privateKeyPEM: keyPEM,
                        domain: Self.domain,
                        tenant: fixture.tenant.id
                    )
                }
                #expect(code == expected)
            }
            #expect(try await fixture.data.certificates.all().isEmpty)
            #expect(try await fixture.data.certificates.generation() == 0)

            let summary = try await fixture.data.certificates.upload(
                chainPEM: good.chainPEM,
                privateKeyPEM: good.keyPEM,
                domain: "SHOP.example.com.",
                tenant: fixture.tenant.id
            )
            #expect(summary.domain == Self.domain)
            #expect(abs(summary.notAfter.timeIntervalSince(good.leaf.notValidAfter)) < 1)
            #expect(try await fixture.data.certificates.get(domain: Self.domain)?.privateKeyPEM == good.keyPEM)
        }
    }

    @Test func uploadRefusesADomainTheTenantDoesNotOwn() async throws {
        try await withFixture { fixture in
            let other = try fixture.authority.issue(dnsNames: ["other.example.com"])
            await #expect(throws: TenantStoreError.self) {
                try await fixture.data.certificates.upload(
                    chainPEM: other.chainPEM,
                    privateKeyPEM: other.keyPEM,
                    domain: "other.example.com",
                    tenant: fixture.tenant.id
                )
            }
        }
    }

    @Test func loadsEveryServableCertificateAtStartAndSkipsTheRest() async throws {
        try await withFixture { fixture in
            let good = try fixture.authority.issue(dnsNames: [Self.domain])
            try await fixture.data.certificates.upload(
                chainPEM: good.chainPEM,
                privateKeyPEM: good.keyPEM,
                domain: Self.domain,
                tenant: fixture.tenant.id
            )
            // Valid when uploaded, expired by the time the server starts.
            let expiring = try fixture.authority.issue(
                dnsNames: ["second.example.com"],
                notValidAfter: Date() + 3_600
            )
            try await fixture.data.certificates.upload(
                chainPEM: expiring.chainPEM,
                privateKeyPEM: expiring.keyPEM,
                domain: "second.example.com",
                tenant: fixture.tenant.id
            )
            let recorder = LogRecorder()
            let synchronizer = TenantCertificateSynchronizer(
                certificates: fixture.certificates,
                data: fixture.data,
                logger: recorder.logger
            )

            let report = try await synchronizer.synchronize(now: Date() + 7_200)

            #expect(report.installed == [Self.domain])
            #expect(report.skipped == ["second.example.com"])
            #expect(fixture.certificates.customDomains == [Self.domain])
            #expect(try servedLeaf(fixture.certificates, Self.domain) == good.leafDER)
            #expect(fixture.certificates.selectCertificate(forServerName: "second.example.com") == .default)
            #expect(recorder.messages(at: .warning).count == 1)

            // Nothing changed: nothing is read again and the skipped certificate is not reported twice.
            let again = try await synchronizer.synchronize(now: Date() + 7_200)
            #expect(again.installed.isEmpty && again.removed.isEmpty && again.skipped.isEmpty)
            #expect(recorder.messages(at: .warning).count == 1)
        }
    }

    @Test func skipsCertificatesSealedWithAnotherKey() async throws {
        try await withFixture { fixture in
            let good = try fixture.authority.issue(dnsNames: [Self.domain])
            try await fixture.data.certificates.upload(
                chainPEM: good.chainPEM,
                privateKeyPEM: good.keyPEM,
                domain: Self.domain,
                tenant: fixture.tenant.id
            )
            let recorder = LogRecorder()
            let restartedWithAnotherKey = TenantData(store: fixture.store, secrets: SecretBox(key: .random()))
            let synchronizer = TenantCertificateSynchronizer(
                certificates: fixture.certificates,
                data: restartedWithAnotherKey,
                logger: recorder.logger
            )

            let report = try await synchronizer.synchronize()

            #expect(report.skipped == [Self.domain])
            #expect(fixture.certificates.customDomains.isEmpty)
            #expect(recorder.messages(at: .warning).count == 1)
        }
    }

    @Test func theNextHandshakeServesAnUpload() async throws {
        try await withFixture { fixture in
            let synchronizer = TenantCertificateSynchronizer(
                certificates: fixture.certificates,
                data: fixture.data,
                pollingInterval: .milliseconds(20),
                logger: LogRecorder().logger
            )
            try await synchronizer.synchronize()
            let running = Task { await synchronizer.run() }
            defer { running.cancel() }
            var client = TLSConfiguration.makeClientConfiguration()
            client.trustRoots = .certificates([
                try NIOSSLCertificate(bytes: Array(fixture.authority.pem.utf8), format: .pem)
            ])
            // Full verification against the custom domain: what a browser would check.
            let clientContext = try NIOSSLContext(configuration: client)
            let uploaded = try fixture.authority.issue(dnsNames: [Self.domain])

            try await LoopbackTLSServer.run(fixture.certificates.makeServerConfiguration()) { server in
                // The platform certificate does not name the custom domain, so the client refuses it.
                await #expect(throws: (any Error).self) {
                    try await server.handshake(serverName: Self.domain, client: clientContext)
                }

                try await fixture.data.certificates.upload(
                    chainPEM: uploaded.chainPEM,
                    privateKeyPEM: uploaded.keyPEM,
                    domain: Self.domain,
                    tenant: fixture.tenant.id
                )
                let certificates = fixture.certificates
                #expect(try await eventually { certificates.customDomains == [Self.domain] })

                let after = try await server.handshake(serverName: Self.domain, client: clientContext)
                #expect(after.leaf == (try uploaded.leafDER))
            }
            running.cancel()
            await running.value
        }
    }

    @Test func servesUploadsAndRemovalsWithoutARestart() async throws {
        try await withFixture { fixture in
            let recorder = LogRecorder()
            let synchronizer = TenantCertificateSynchronizer(
                certificates: fixture.certificates,
                data: fixture.data,
                pollingInterval: .milliseconds(20),
                logger: recorder.logger
            )
            try await synchronizer.synchronize()
            let running = Task { await synchronizer.run() }
            defer { running.cancel() }
            let certificates = fixture.certificates

            let first = try fixture.authority.issue(dnsNames: [Self.domain])
            try await fixture.data.certificates.upload(
                chainPEM: first.chainPEM,
                privateKeyPEM: first.keyPEM,
                domain: Self.domain,
                tenant: fixture.tenant.id
            )
            #expect(try await eventually { try servedLeaf(certificates, Self.domain) == first.leafDER })
            #expect(certificates.selectCertificate(forServerName: Self.domain) == .customDomain(Self.domain))

            let renewed = try fixture.authority.issue(dnsNames: [Self.domain, "second.example.com"])
            try await fixture.data.certificates.upload(
                chainPEM: renewed.chainPEM,
                privateKeyPEM: renewed.keyPEM,
                domain: Self.domain,
                tenant: fixture.tenant.id
            )
            #expect(try await eventually { try servedLeaf(certificates, Self.domain) == renewed.leafDER })

            try await fixture.data.certificates.delete(domain: Self.domain, tenant: fixture.tenant.id)
            #expect(try await eventually { certificates.selectCertificate(forServerName: Self.domain) == .default })
            #expect(try servedLeaf(certificates, Self.domain) == fixture.platformLeafDER)

            // Deleting the tenant takes its certificates off the edge too.
            try await fixture.data.certificates.upload(
                chainPEM: renewed.chainPEM,
                privateKeyPEM: renewed.keyPEM,
                domain: "second.example.com",
                tenant: fixture.tenant.id
            )
            #expect(try await eventually { certificates.customDomains == ["second.example.com"] })
            try await fixture.data.tenants.delete(fixture.tenant.id)
            #expect(try await eventually { certificates.customDomains.isEmpty })
            #expect(recorder.messages(at: .warning).isEmpty)

            running.cancel()
            await running.value
        }
    }
}
