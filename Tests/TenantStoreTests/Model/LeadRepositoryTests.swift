import TenantStore
import Testing

extension ModelTests {
    @Suite struct LeadRepositoryTests {
        @Test func storesAndListsLeadsNewestFirst() async throws {
            try await withTenantData { data, _ in
                let id = try await data.tenants.create(companyName: "Acme", subdomain: "acme").id
                let first = try await data.leads.submit(
                    LeadRequest(
                        name: "Jo",
                        email: "jo@example.com",
                        phone: "+49 (0)30 123-45",
                        message: "Which frame?"
                    ),
                    tenant: id
                )
                let second = try await data.leads.submit(
                    LeadRequest(name: "Al", email: "al@example.com", message: "Hi", productSlug: "aviator"),
                    tenant: id
                )
                #expect(try await data.leads.leads(tenant: id).items.map(\.id) == [second.id, first.id])
                #expect(try await data.leads.lead(first.id, tenant: id) == first)
                let other = try await data.tenants.create(companyName: "Other", subdomain: "other").id
                #expect(try await data.leads.leads(tenant: other).items.isEmpty)
                let missing = await #expect(throws: TenantStoreError.self) {
                    try await data.leads.lead(first.id, tenant: other)
                }
                #expect(missing?.code == .notFound)
            }
        }

        @Test func validatesLeads() async throws {
            try await withTenantData { data, _ in
                let id = try await data.tenants.create(companyName: "Acme", subdomain: "acme").id
                let error = await #expect(throws: TenantStoreError.self) {
                    try await data.leads.submit(
                        LeadRequest(name: "", email: "jo@", phone: "call me", message: " ", productSlug: "No"),
                        tenant: id
                    )
                }
                #expect(pointers(error) == ["/name", "/email", "/phone", "/message", "/productSlug"])
            }
        }
    }
}
