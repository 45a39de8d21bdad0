import Crypto
import Foundation
import TenantStore
import Testing

extension ModelTests {
    @Suite struct APIKeyRepositoryTests {
        @Test func createsAKeyInTheDocumentedFormat() async throws {
            try await withTenantData { data, _ in
                let id = try await data.tenants.create(companyName: "Acme", subdomain: "acme").id
                let created = try await data.apiKeys.create(name: "ci", tenant: id)
                let parts = created.plaintext.split(separator: "_")
                #expect(parts.count == 3)
                #expect(parts[0] == "sfe")
                #expect(parts[1].count == 8)
                #expect(parts[2].count == 52)  // 256 bits of base32
                #expect(created.key.prefix == "sfe_" + parts[1])
                #expect(created.plaintext.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" })
                let another = try await data.apiKeys.create(name: "ci", tenant: id)
                #expect(another.plaintext != created.plaintext)
            }
        }

        @Test func storesOnlyTheDigestOfTheKey() async throws {
            try await withTenantData { data, store in
                let id = try await data.tenants.create(companyName: "Acme", subdomain: "acme").id
                let created = try await data.apiKeys.create(name: "ci", tenant: id)
                let secret = String(created.plaintext.split(separator: "_")[2])
                let digest = SHA256.hash(data: Array(created.plaintext.utf8)).map { String(format: "%02x", $0) }
                    .joined()
                var sawDigest = false
                for entry in try await rawEntries(in: store) {
                    let text = entry.key + String(decoding: entry.value.bytes, as: UTF8.self)
                    #expect(!text.contains(created.plaintext))
                    #expect(!text.contains(secret))
                    sawDigest = sawDigest || text.contains(digest)
                }
                #expect(sawDigest)
                #expect(try await rawEntries(in: store).map(\.key).contains("idx/apikey/\(digest)"))
            }
        }

        @Test func authenticatesAndRevokes() async throws {
            try await withTenantData { data, _ in
                let tenant = try await data.tenants.create(companyName: "Acme", subdomain: "acme")
                let created = try await data.apiKeys.create(name: "ci", tenant: tenant.id)
                let authenticated = try #require(try await data.apiKeys.authenticate(key: created.plaintext))
                #expect(authenticated.tenant.id == tenant.id)
                #expect(authenticated.key.id == created.key.id)
                #expect(authenticated.key.lastUsedAt != nil)
                #expect(try await data.apiKeys.list(tenant: tenant.id).first?.lastUsedAt != nil)

                let revoked = try await data.apiKeys.revoke(created.key.id, tenant: tenant.id)
                #expect(revoked.isRevoked)
                #expect(try await data.apiKeys.authenticate(key: created.plaintext) == nil)
                #expect(try await data.apiKeys.list(tenant: tenant.id).map(\.isRevoked) == [true])
            }
        }

        @Test func rejectsMalformedAndUnknownKeys() async throws {
            try await withTenantData { data, _ in
                let id = try await data.tenants.create(companyName: "Acme", subdomain: "acme").id
                let created = try await data.apiKeys.create(name: "ci", tenant: id)
                var tampered = Array(created.plaintext)
                tampered[tampered.count - 1] = tampered.last == "a" ? "b" : "a"
                for key in [
                    "", "sfe_", String(created.plaintext.dropLast()), created.plaintext + "a",
                    created.plaintext.uppercased(), String(tampered), "Bearer " + created.plaintext,
                ] {
                    #expect(try await data.apiKeys.authenticate(key: key) == nil)
                }
            }
        }

        @Test func keysAreScopedToTheirTenant() async throws {
            try await withTenantData { data, _ in
                let a = try await data.tenants.create(companyName: "A", subdomain: "tenant-a").id
                let b = try await data.tenants.create(companyName: "B", subdomain: "tenant-b").id
                let key = try await data.apiKeys.create(name: "ci", tenant: a)
                #expect(try await data.apiKeys.list(tenant: b).isEmpty)
                let error = await #expect(throws: TenantStoreError.self) {
                    try await data.apiKeys.revoke(key.key.id, tenant: b)
                }
                #expect(error?.code == .notFound)
                #expect(try await data.apiKeys.authenticate(key: key.plaintext)?.tenant.id == a)
            }
        }

        @Test func validatesTheName() async throws {
            try await withTenantData { data, _ in
                let id = try await data.tenants.create(companyName: "Acme", subdomain: "acme").id
                let error = await #expect(throws: TenantStoreError.self) {
                    try await data.apiKeys.create(name: " ", tenant: id)
                }
                #expect(pointers(error) == ["/name"])
            }
        }
    }
}
