import Foundation
import HTTPTypes
import HummingbirdTesting
import TenantStore
import Testing

/// `/api/tenants/{id}/orders` and `/leads`: paged listings of what shoppers sent.
@Suite struct AdminShopperDataTests {
    @Test func ordersAndLeadsArePaged() async throws {
        try await withAdminAPI { client, fixture in
            let tenant = fixture.tenant.id
            let product = try #require(try await fixture.data.catalog.products(tenant: tenant).items.first)
            let customer = Order.Customer(name: "Ada", email: "ada@example.com", address: "1 Main St")
            for quantity in 1...3 {
                _ = try await fixture.data.orders.place(
                    OrderRequest(items: [.init(productSlug: product.slug, quantity: quantity)], customer: customer),
                    tenant: tenant
                )
            }
            _ = try await fixture.data.leads.submit(
                LeadRequest(name: "Bo", email: "bo@example.com", message: "Call me"),
                tenant: tenant
            )

            let first = try await client.send(.get, fixture.path("/orders?limit=2"), token: fixture.viewer)
            #expect(first.status == .ok)
            #expect(try first.json.items.count == 2)
            // Newest first.
            #expect(try first.json.items.first?["items"]?.arrayValue?.first?["quantity"] == 3)
            let cursor = try #require(try first.json["nextCursor"]?.stringValue)
            let second = try await client.send(
                .get,
                fixture.path("/orders?limit=2&cursor=\(cursor)"),
                token: fixture.viewer
            )
            #expect(try second.json.items.count == 1)
            #expect(try second.json["nextCursor"] == nil)

            let leads = try await client.send(.get, fixture.path("/leads"), token: fixture.tenantAdmin)
            #expect(leads.status == .ok)
            #expect(try leads.json.items.map { $0["email"] } == ["bo@example.com"])

            #expect(
                try await client.send(.get, fixture.path("/orders?limit=0"), token: fixture.viewer).status
                    == .badRequest
            )
            #expect(
                try await client.send(.get, fixture.path("/leads?limit=x"), token: fixture.viewer).status == .badRequest
            )
        }
    }

    @Test func otherTenantsSeeNothing() async throws {
        try await withAdminAPI { client, fixture in
            let own = try await client.send(.get, fixture.path("/orders"), token: fixture.viewer)
            #expect(own.status == .ok)
            #expect(
                try await client.send(.get, fixture.path("/orders"), token: fixture.otherTenantAdmin).status
                    == .notFound
            )
            #expect(
                try await client.send(.get, fixture.path("/leads"), token: fixture.otherTenantAdmin).status == .notFound
            )
            let missing = "/api/tenants/\(UUID().uuidString.lowercased())/orders"
            #expect(try await client.send(.get, missing, token: fixture.platformAdmin).status == .notFound)
        }
    }
}
