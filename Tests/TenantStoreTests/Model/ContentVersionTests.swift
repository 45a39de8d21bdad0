import TenantStore
import Testing

extension ModelTests {
    @Suite struct ContentVersionTests {
        @Test func everyChangeThatAffectsRenderingBumpsTheContentVersion() async throws {
            try await withTenantData { data, _ in
                let id = try await data.tenants.create(companyName: "Acme", subdomain: "acme").id
                var version = try await data.tenants.tenant(id).contentVersion
                let changes: [(String, @Sendable () async throws -> Void)] = [
                    ("company name", { _ = try await data.tenants.update(id, TenantUpdate(companyName: "Acme 2")) }),
                    ("subdomain", { _ = try await data.tenants.update(id, TenantUpdate(subdomain: "acme2")) }),
                    ("domains", { _ = try await data.tenants.addCustomDomain("acme.example", to: id) }),
                    ("status", { _ = try await data.tenants.suspend(id) }),
                    ("config", { try await data.configuration.set(.branding, to: ["companyName": "A"], tenant: id) }),
                    ("config removal", { try await data.configuration.remove(.branding, tenant: id) }),
                    ("template", { try await data.templates.save(Template(name: "base"), tenant: id) }),
                    (
                        "template activation",
                        {
                            try await data.templates.save(Template(name: "premium"), tenant: id)
                            try await data.templates.activate("premium", tenant: id)
                        }
                    ),
                    (
                        "category",
                        { try await data.catalog.createCategory(ProductCategory(slug: "sun", name: "Sun"), tenant: id) }
                    ),
                    ("product", { try await data.catalog.createProduct(product("p1"), tenant: id) }),
                    (
                        "product update",
                        { try await data.catalog.updateProduct(product("p1", priceMinor: 5), tenant: id) }
                    ),
                    ("product delete", { try await data.catalog.deleteProduct("p1", tenant: id) }),
                    ("category delete", { try await data.catalog.deleteCategory("sun", tenant: id) }),
                ]
                for (name, change) in changes {
                    try await change()
                    let next = try await data.tenants.tenant(id).contentVersion
                    #expect(next > version, "\(name) did not bump the content version")
                    version = next
                }
            }
        }

        @Test func ordersLeadsAndAPIKeysDoNotBumpTheContentVersion() async throws {
            try await withTenantData { data, _ in
                let id = try await data.tenants.create(companyName: "Acme", subdomain: "acme").id
                try await data.catalog.createProduct(product("p1"), tenant: id)
                let version = try await data.tenants.tenant(id).contentVersion
                _ = try await data.orders.place(
                    OrderRequest(
                        items: [.init(productSlug: "p1", quantity: 2)],
                        customer: .init(name: "Jo", email: "jo@example.com", address: "Here")
                    ),
                    tenant: id
                )
                _ = try await data.leads.submit(
                    LeadRequest(name: "Jo", email: "jo@example.com", message: "Hi"),
                    tenant: id
                )
                let key = try await data.apiKeys.create(name: "ci", tenant: id)
                try await data.apiKeys.revoke(key.key.id, tenant: id)
                #expect(try await data.tenants.tenant(id).contentVersion == version)
            }
        }

        @Test func concurrentCatalogWritesAllLandAndEachBumpsOnce() async throws {
            try await withTenantData { data, _ in
                let id = try await data.tenants.create(companyName: "Acme", subdomain: "acme").id
                let start = try await data.tenants.tenant(id).contentVersion
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 0..<16 {
                        group.addTask { _ = try await data.catalog.createProduct(product("p\(index)"), tenant: id) }
                    }
                    try await group.waitForAll()
                }
                #expect(try await data.catalog.products(tenant: id).items.count == 16)
                #expect(try await data.tenants.tenant(id).contentVersion == start + 16)
            }
        }
    }
}
