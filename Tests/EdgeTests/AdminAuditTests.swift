import Foundation
import HTTPTypes
import HummingbirdTesting
import TenantStore
import Testing

/// `GET /api/audit`: who may read which tenant's events.
@Suite struct AdminAuditTests {
    @Test func eventsOfMutatingCallsAreReadableByTheRightCallers() async throws {
        try await withAdminAPI { client, fixture in
            let lamp: JSONValue = ["slug": "audit-lamp", "name": "Lamp", "priceMinor": 1, "currency": "EUR"]
            #expect(
                try await client.send(.post, fixture.path("/products"), token: fixture.tenantAdmin, json: lamp).status
                    == .created
            )
            let tenantID = fixture.tenant.id.uuidString.lowercased()

            let own = try await client.send(.get, "/api/audit", token: fixture.viewer)
            #expect(own.status == .ok)
            let event = try #require(try own.json.items.first)
            #expect(
                event["action"] == "POST /api/tenants/:id/products"
                    || event["target"] == .string(fixture.path("/products"))
            )
            #expect(event["outcome"] == "success")
            #expect(try own.json.items.allSatisfy { $0["tenantId"]?.stringValue?.lowercased() == tenantID })

            let named = try await client.send(
                .get,
                "/api/audit?tenant=\(tenantID)&limit=1",
                token: fixture.platformAdmin
            )
            #expect(named.status == .ok)
            #expect(try named.json.items.count == 1)
            #expect(try named.json.items.first?["id"] == event["id"])

            let platform = try await client.send(.get, "/api/audit", token: fixture.platformAdmin)
            #expect(platform.status == .ok)
            #expect(try platform.json.items.allSatisfy { $0["tenantId"] == nil })

            let otherID = fixture.otherTenant.id.uuidString.lowercased()
            #expect(
                try await client.send(.get, "/api/audit?tenant=\(otherID)", token: fixture.tenantAdmin).status
                    == .notFound
            )
            #expect(
                try await client.send(.get, "/api/audit?tenant=\(tenantID)", token: fixture.otherTenantAdmin).status
                    == .notFound
            )
            #expect(
                try await client.send(.get, "/api/audit?tenant=nope", token: fixture.platformAdmin).status
                    == .badRequest
            )
            #expect(
                try await client.send(.get, "/api/audit?limit=5000", token: fixture.platformAdmin).status == .badRequest
            )
            #expect(try await client.send(.get, "/api/audit", token: nil).status == .unauthorized)
        }
    }

    @Test func everyCallIsRecordedOnceWhetherItsChangeCarriedTheEventOrNot() async throws {
        try await withAdminAPI { client, fixture in
            let tenantID = fixture.tenant.id.uuidString.lowercased()
            // Committed with the change itself.
            for colour in ["#111111", "#222222"] {
                let branding: JSONValue = ["companyName": "Audited", "colors": ["primary": .string(colour)]]
                #expect(
                    try await client.send(
                        .put,
                        fixture.path("/config/branding"),
                        token: fixture.tenantAdmin,
                        json: branding
                    )
                    .status == .ok
                )
            }
            // Refused before any change: recorded on its own.
            let invalid: JSONValue = ["companyName": 42]
            #expect(
                try await client.send(.put, fixture.path("/config/branding"), token: fixture.tenantAdmin, json: invalid)
                    .status == .unprocessableContent
            )
            let events = try await client.send(.get, "/api/audit?tenant=\(tenantID)", token: fixture.platformAdmin)
                .json.items.filter { $0["target"] == .string(fixture.path("/config/branding")) }
            #expect(events.map { $0["outcome"] } == ["failure", "success", "success"])
            #expect(events.allSatisfy { $0["action"]?.stringValue?.hasPrefix("PUT ") == true })
            #expect(Set(events.map { $0["id"] }).count == 3)
        }
    }
}
