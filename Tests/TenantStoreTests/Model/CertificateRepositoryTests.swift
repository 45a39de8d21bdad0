import Foundation
import TenantStore
import Testing

extension ModelTests {
    @Suite struct CertificateRepositoryTests {
        /// Look-alike PEM: TenantStore stores what the edge validated and never parses it.
        static let chainPEM = "-----BEGIN CERTIFICATE-----\nMIIBchainLEAF\n-----END CERTIFICATE-----\n"
        static let keyPEM =
            "-----BEGIN PRIVATE KEY-----\nMIGHAgEAkeyMATERIALthatMustNotLeak\n-----END PRIVATE KEY-----\n"
        static let notAfter = Date(timeIntervalSince1970: 1_900_000_000)

        /// `withTenantData`, with the certificate repository able to seal keys.
        func withSealingData<Result>(
            key: SecretKey = .random(),
            _ body: (TenantData, FileKeyValueStore) async throws -> Result
        ) async throws -> Result {
            try await withTenantData { _, store in
                try await body(TenantData(store: store, secrets: SecretBox(key: key)), store)
            }
        }

        func tenant(_ data: TenantData, _ subdomain: String, domains: [String]) async throws -> Tenant {
            try await data.tenants.create(companyName: subdomain, subdomain: subdomain, customDomains: domains)
        }

        @discardableResult
        func put(
            _ data: TenantData,
            _ domain: String,
            tenant: UUID,
            key: String = keyPEM
        ) async throws
            -> CertificateSummary
        {
            try await data.certificates.put(
                domain: domain,
                tenant: tenant,
                chainPEM: Self.chainPEM,
                privateKeyPEM: key,
                notAfter: Self.notAfter
            )
        }

        func code(_ body: () async throws -> Void) async -> TenantStoreError.Code? {
            do {
                try await body()
                return nil
            } catch {
                return (error as? TenantStoreError)?.code
            }
        }

        @Test func roundTripsWithTheKeyOpened() async throws {
            try await withSealingData { data, _ in
                let acme = try await tenant(data, "acme", domains: ["shop.example.com", "www.shop.example.com"])

                let summary = try await put(data, "Shop.Example.COM.", tenant: acme.id)

                #expect(summary.domain == "shop.example.com")
                #expect(summary.tenantId == acme.id)
                #expect(summary.notAfter == Self.notAfter)
                let stored = try #require(try await data.certificates.get(domain: "SHOP.example.com"))
                #expect(stored.summary == summary)
                #expect(stored.chainPEM == Self.chainPEM)
                #expect(stored.privateKeyPEM == Self.keyPEM)
                #expect(!stored.description.contains("MIGH"))
                #expect(try await data.certificates.list(tenant: acme.id) == [summary])
                #expect(try await data.certificates.all() == [summary])
                #expect(try await data.certificates.get(domain: "www.shop.example.com") == nil)

                let replaced = try await put(data, "shop.example.com", tenant: acme.id)
                #expect(replaced.id != summary.id)
                #expect(try await data.certificates.all() == [replaced])
            }
        }

        @Test func storesThePrivateKeyOnlySealed() async throws {
            try await withSealingData { data, store in
                let acme = try await tenant(data, "acme", domains: ["shop.example.com"])
                try await put(data, "shop.example.com", tenant: acme.id)

                let keyBody = "MIGHAgEAkeyMATERIALthatMustNotLeak"
                let base64Key = Data(Self.keyPEM.utf8).base64EncodedString()
                var sawChain = false
                for entry in try await rawEntries(in: store) {
                    let text = entry.key + String(decoding: entry.value.bytes, as: UTF8.self)
                    #expect(!text.contains(keyBody))
                    #expect(!text.contains(base64Key))
                    sawChain = sawChain || text.contains("MIIBchainLEAF")
                }
                #expect(sawChain)
            }
        }

        @Test func aWrongOrMissingKeyFailsClearly() async throws {
            try await withSealingData { data, store in
                let acme = try await tenant(data, "acme", domains: ["shop.example.com"])
                try await put(data, "shop.example.com", tenant: acme.id)

                let otherKey = SecretKey.random()
                let other = TenantData(store: store, secrets: SecretBox(key: otherKey))
                do {
                    _ = try await other.certificates.get(domain: "shop.example.com")
                    Issue.record("a certificate opened under another key")
                } catch let error as TenantStoreError {
                    #expect(error.code == .decryptionFailed)
                    #expect(error.message.contains(otherKey.fingerprint))
                    #expect(error.message.contains("shop.example.com"))
                }
                // Listing needs no key.
                #expect(try await other.certificates.all().map(\.domain) == ["shop.example.com"])

                let keyless = TenantData(store: store)
                let generation = try await keyless.certificates.generation()
                #expect(
                    await code { _ = try await keyless.certificates.get(domain: "shop.example.com") }
                        == .secretKeyUnavailable
                )
                #expect(
                    await code { try await put(keyless, "shop.example.com", tenant: acme.id) } == .secretKeyUnavailable
                )
                #expect(try await keyless.certificates.generation() == generation)
            }
        }

        @Test func aSealedKeyDoesNotOpenInAnotherRecord() async throws {
            try await withSealingData { data, store in
                let acme = try await tenant(data, "acme", domains: ["a.example.com", "b.example.com"])
                try await put(data, "a.example.com", tenant: acme.id)
                try await put(data, "b.example.com", tenant: acme.id, key: "-----BEGIN PRIVATE KEY-----\nB\n")

                // Someone with write access to the store moves a's sealed key into b's record.
                let recordA = try #require(try await store.get("certificate/a.example.com"))
                let forged = String(decoding: recordA.bytes, as: UTF8.self)
                    .replacingOccurrences(of: "a.example.com", with: "b.example.com")
                try await store.put("certificate/b.example.com", Array(forged.utf8))

                #expect(
                    await code { _ = try await data.certificates.get(domain: "b.example.com") } == .decryptionFailed
                )
                #expect(try await data.certificates.get(domain: "a.example.com")?.privateKeyPEM == Self.keyPEM)
            }
        }

        @Test func onlyTheTenantsOwnDomainsTakeCertificates() async throws {
            try await withSealingData { data, _ in
                let acme = try await tenant(data, "acme", domains: ["shop.example.com"])
                let other = try await tenant(data, "other", domains: ["other.example.com"])

                #expect(await code { try await put(data, "other.example.com", tenant: acme.id) } == .notFound)
                #expect(await code { try await put(data, "unknown.example.com", tenant: acme.id) } == .notFound)
                #expect(await code { try await put(data, "shop.example.com", tenant: UUID()) } == .notFound)
                do {
                    try await data.certificates.put(
                        domain: "shop.example.com",
                        tenant: acme.id,
                        chainPEM: " \n",
                        privateKeyPEM: String(repeating: "k", count: CertificateRepository.maximumPrivateKeyBytes + 1),
                        notAfter: Self.notAfter
                    )
                    Issue.record("an empty chain and an oversized key were stored")
                } catch let error as TenantStoreError {
                    #expect(error.code == .validationFailed)
                    #expect(pointers(error) == ["/chainPEM", "/privateKeyPEM"])
                }
                #expect(try await data.certificates.all().isEmpty)
                #expect(try await data.certificates.generation() == 0)

                try await put(data, "other.example.com", tenant: other.id)
                #expect(
                    await code { try await data.certificates.delete(domain: "other.example.com", tenant: acme.id) }
                        == .notFound
                )
                #expect(
                    await code { try await data.certificates.delete(domain: "shop.example.com", tenant: acme.id) }
                        == .notFound
                )
                #expect(try await data.certificates.list(tenant: acme.id).isEmpty)
                #expect(try await data.certificates.list(tenant: other.id).map(\.domain) == ["other.example.com"])
            }
        }

        @Test func deletingTheTenantDeletesItsCertificates() async throws {
            try await withSealingData { data, store in
                let acme = try await tenant(data, "acme", domains: ["a.example.com", "b.example.com"])
                let other = try await tenant(data, "other", domains: ["other.example.com"])
                try await put(data, "a.example.com", tenant: acme.id)
                try await put(data, "b.example.com", tenant: acme.id)
                try await put(data, "other.example.com", tenant: other.id)
                let generation = try await data.certificates.generation()

                try await data.tenants.delete(acme.id)

                #expect(try await data.certificates.all().map(\.domain) == ["other.example.com"])
                #expect(!(try await rawEntries(in: store).map(\.key).contains { $0.contains("a.example.com") }))
                #expect(try await data.certificates.generation() > generation)
                #expect(await code { _ = try await data.certificates.list(tenant: acme.id) } == .notFound)
                #expect(await code { try await put(data, "a.example.com", tenant: acme.id) } == .notFound)
            }
        }

        @Test func releasingADomainDeletesItsCertificate() async throws {
            try await withSealingData { data, _ in
                let acme = try await tenant(data, "acme", domains: ["a.example.com", "b.example.com", "c.example.com"])
                for domain in ["a.example.com", "b.example.com", "c.example.com"] {
                    try await put(data, domain, tenant: acme.id)
                }

                var generation = try await data.certificates.generation()
                _ = try await data.tenants.removeCustomDomain("a.example.com", from: acme.id)
                #expect(try await data.certificates.all().map(\.domain) == ["b.example.com", "c.example.com"])
                #expect(try await data.certificates.generation() > generation)

                generation = try await data.certificates.generation()
                _ = try await data.tenants.update(acme.id, TenantUpdate(customDomains: ["c.example.com"]))
                #expect(try await data.certificates.all().map(\.domain) == ["c.example.com"])
                #expect(try await data.certificates.generation() > generation)

                // The next owner of a released domain starts without a certificate.
                let next = try await tenant(data, "next", domains: ["a.example.com"])
                #expect(try await data.certificates.list(tenant: next.id).isEmpty)
                #expect(try await data.certificates.get(domain: "a.example.com") == nil)
            }
        }

        @Test func theGenerationMovesWithEveryCertificateChangeOnly() async throws {
            try await withSealingData { data, _ in
                let acme = try await tenant(data, "acme", domains: ["shop.example.com"])
                #expect(try await data.certificates.generation() == 0)

                try await put(data, "shop.example.com", tenant: acme.id)
                let afterPut = try await data.certificates.generation()
                #expect(afterPut > 0)

                _ = try await data.certificates.get(domain: "shop.example.com")
                _ = try await data.certificates.list(tenant: acme.id)
                try await data.catalog.createProduct(product("aviator"), tenant: acme.id)
                _ = try await data.tenants.update(acme.id, TenantUpdate(companyName: "Acme Optics"))
                #expect(try await data.certificates.generation() == afterPut)

                try await put(data, "shop.example.com", tenant: acme.id)
                let afterReplace = try await data.certificates.generation()
                #expect(afterReplace > afterPut)

                try await data.certificates.delete(domain: "shop.example.com", tenant: acme.id)
                #expect(try await data.certificates.generation() > afterReplace)
                #expect(try await data.certificates.all().isEmpty)
            }
        }
    }
}
