import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TenantStore
import Testing

/// `/api/tenants/{id}/api-keys`: create (shown once), list, revoke.
@Suite struct AdminAPIKeyTests {
    @Test func createListAndRevoke() async throws {
        try await withAdminAPI { client, fixture in
            let created = try await client.send(
                .post,
                fixture.path("/api-keys"),
                token: fixture.tenantAdmin,
                json: ["name": "ci"] as JSONValue
            )
            #expect(created.status == .created)
            let key = try #require(try created.json["apiKey"]?.stringValue)
            let id = try #require(try created.json["key"]?["id"]?.stringValue)
            let prefix = try #require(try created.json["key"]?["prefix"]?.stringValue)
            #expect(key.hasPrefix(prefix))
            #expect(created.headers[.location] == fixture.path("/api-keys/\(id)"))

            let withKey = try await client.execute(
                uri: fixture.path("/products"),
                method: .get,
                headers: [.init("X-API-Key")!: key]
            )
            #expect(withKey.status == .ok)

            let list = try await client.send(.get, fixture.path("/api-keys"), token: fixture.viewer)
            #expect(list.status == .ok)
            let listed = try #require(try list.json.items.first { $0["id"] == .string(id) })
            #expect(listed["name"] == "ci")
            #expect(listed["prefix"] == .string(prefix))
            #expect(listed["revoked"] == false)
            #expect(listed["lastUsedAt"]?.stringValue != nil)
            #expect(listed["createdAt"]?.stringValue != nil)
            // The key is shown once: nothing listed contains it.
            #expect(!String(buffer: list.body).contains(key))

            let revoked = try await client.send(.delete, fixture.path("/api-keys/\(id)"), token: fixture.tenantAdmin)
            #expect(revoked.status == .ok)
            #expect(try revoked.json["revoked"] == true)
            #expect(try revoked.json["revokedAt"]?.stringValue != nil)
            let refused = try await client.execute(
                uri: fixture.path("/products"),
                method: .get,
                headers: [.init("X-API-Key")!: key]
            )
            #expect(refused.status == .unauthorized)
        }
    }

    @Test func invalidRequestsAndAuthorization() async throws {
        try await withAdminAPI { client, fixture in
            let path = fixture.path("/api-keys")
            let empty = try await client.send(.post, path, token: fixture.tenantAdmin, json: ["name": ""] as JSONValue)
            #expect(empty.status == .unprocessableContent)
            #expect(try empty.problemPointers == ["/name"])
            #expect(
                try await client.send(.post, path, token: fixture.tenantAdmin, json: [:] as JSONValue).status
                    == .badRequest
            )
            #expect(try await client.send(.delete, path + "/not-an-id", token: fixture.tenantAdmin).status == .notFound)
            let unknown = RecordID().description
            #expect(
                try await client.send(.delete, path + "/\(unknown)", token: fixture.tenantAdmin).status == .notFound
            )

            #expect(
                try await client.send(.post, path, token: fixture.viewer, json: ["name": "x"] as JSONValue).status
                    == .forbidden
            )
            let key = try await fixture.data.apiKeys.create(name: "victim", tenant: fixture.tenant.id).key
            #expect(try await client.send(.delete, path + "/\(key.id)", token: fixture.viewer).status == .forbidden)
            let other = fixture.otherTenantAdmin
            #expect(try await client.send(.get, path, token: other).status == .notFound)
            #expect(try await client.send(.delete, path + "/\(key.id)", token: other).status == .notFound)
            // The other tenant's own path does not reach this tenant's key either.
            let otherPath = fixture.path("/api-keys/\(key.id)", of: fixture.otherTenant)
            #expect(try await client.send(.delete, otherPath, token: other).status == .notFound)
            #expect(
                try await fixture.data.apiKeys.list(tenant: fixture.tenant.id).first { $0.id == key.id }?.isRevoked
                    == false
            )
        }
    }
}
