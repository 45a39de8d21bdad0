import Foundation
import TenantStore
import Testing

extension ModelTests {
    @Suite struct TenantDeletionTests {
        /// A tenant with at least one record of every kind.
        private func populatedTenant(_ data: TenantData, subdomain: String) async throws -> (Tenant, CreatedAPIKey) {
            let tenant = try await data.tenants.create(
                companyName: "Acme",
                subdomain: subdomain,
                customDomains: ["\(subdomain).example.com"]
            )
            try await data.configuration.set(.features, to: ["vto": true], tenant: tenant.id)
            try await data.templates.save(Template(name: "base"), tenant: tenant.id)
            try await data.catalog.createCategory(ProductCategory(slug: "sun", name: "Sun"), tenant: tenant.id)
            try await data.catalog.createProduct(product("aviator"), tenant: tenant.id)
            _ = try await data.orders.place(
                OrderRequest(
                    items: [.init(productSlug: "aviator", quantity: 1)],
                    customer: .init(name: "Jo", email: "jo@example.com", address: "1 Main St")
                ),
                tenant: tenant.id
            )
            _ = try await data.leads.submit(
                LeadRequest(name: "Jo", email: "jo@example.com", message: "Hi"),
                tenant: tenant.id
            )
            let key = try await data.apiKeys.create(name: "ci", tenant: tenant.id)
            try await data.audit.append(
                AuditEvent(actor: "admin", action: "tenant.create", target: "t", tenantId: tenant.id)
            )
            return (try await data.tenants.tenant(tenant.id), key)
        }

        @Test func deletesEverythingTheTenantOwnsAndKeepsTheRecord() async throws {
            try await withTenantData { data, store in
                let (tenant, key) = try await populatedTenant(data, subdomain: "acme")
                let (neighbour, neighbourKey) = try await populatedTenant(data, subdomain: "other")
                let before = try await rawEntries(in: store).map(\.key)

                let deleted = try await data.tenants.delete(tenant.id)

                #expect(deleted.status == .deleted)
                #expect(deleted.contentVersion == tenant.contentVersion + 1)
                #expect(try await data.tenants.tenant(tenant.id, includeDeleted: true) == deleted)
                await #expect(throws: TenantStoreError.self) { try await data.tenants.tenant(tenant.id) }
                let after = try await rawEntries(in: store).map(\.key)
                let owned = "t/\(tenant.id.uuidString.lowercased())/"
                #expect(before.contains { $0.hasPrefix(owned) })
                #expect(!after.contains { $0.hasPrefix(owned) })
                #expect(!after.contains("idx/subdomain/acme"))
                #expect(!after.contains("idx/domain/acme.example.com"))
                #expect(after.filter { $0.hasPrefix("idx/apikey/") }.count == 1)
                // Exactly the deleted tenant's keys went; the tenant record and audit stayed.
                let removed = Set(before).subtracting(after)
                #expect(removed.allSatisfy { $0.hasPrefix(owned) || $0.hasPrefix("idx/") })
                #expect(after.contains("tenant/\(tenant.id.uuidString.lowercased())"))

                #expect(try await data.tenants.tenant(subdomain: "acme") == nil)
                #expect(try await data.tenants.tenant(domain: "acme.example.com") == nil)
                #expect(try await data.apiKeys.authenticate(key: key.plaintext) == nil)
                #expect(try await data.audit.events(tenant: tenant.id).items.count == 1)
                #expect(try await data.apiKeys.authenticate(key: neighbourKey.plaintext)?.tenant.id == neighbour.id)
                #expect(try await data.catalog.products(tenant: neighbour.id).items.count == 1)
            }
        }

        @Test func freesTheSubdomainAndDomainsForANewTenant() async throws {
            try await withTenantData { data, _ in
                let (tenant, _) = try await populatedTenant(data, subdomain: "acme")
                try await data.tenants.delete(tenant.id)
                let successor = try await data.tenants.create(
                    companyName: "Acme 2",
                    subdomain: "acme",
                    customDomains: ["acme.example.com"]
                )
                #expect(successor.id != tenant.id)
                #expect(try await data.tenants.tenant(subdomain: "acme")?.id == successor.id)
                #expect(try await data.catalog.products(tenant: successor.id).items.isEmpty)
            }
        }

        @Test func aDeletedTenantTakesNoWritesAndDeletingAgainIsHarmless() async throws {
            try await withTenantData { data, _ in
                let (tenant, _) = try await populatedTenant(data, subdomain: "acme")
                let deleted = try await data.tenants.delete(tenant.id)
                let writes: [@Sendable () async throws -> Void] = [
                    { _ = try await data.catalog.createProduct(product("new"), tenant: tenant.id) },
                    { _ = try await data.configuration.set(.features, to: [:], tenant: tenant.id) },
                    { _ = try await data.templates.save(Template(name: "base"), tenant: tenant.id) },
                    { _ = try await data.apiKeys.create(name: "x", tenant: tenant.id) },
                    {
                        _ = try await data.leads.submit(
                            LeadRequest(name: "a", email: "a@b.co", message: "m"),
                            tenant: tenant.id
                        )
                    },
                    { _ = try await data.tenants.resume(tenant.id) },
                ]
                for write in writes {
                    let error = await #expect(throws: TenantStoreError.self) { try await write() }
                    #expect(error?.code == .notFound)
                }
                #expect(try await data.tenants.delete(tenant.id) == deleted)
                let missing = await #expect(throws: TenantStoreError.self) { try await data.tenants.delete(UUID()) }
                #expect(missing?.code == .notFound)
            }
        }
    }
}
