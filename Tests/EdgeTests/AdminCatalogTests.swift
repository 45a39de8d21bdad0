import Foundation
import HTTPTypes
import HummingbirdTesting
import TenantStore
import Testing

/// Products and categories CRUD under `/api/tenants/{id}`.
@Suite struct AdminCatalogTests {
    static let lamp: JSONValue = [
        "slug": "desk-lamp", "name": "Desk lamp", "priceMinor": 4_900, "currency": "EUR",
        "images": ["/img/lamp.jpg"], "attributes": ["colour": "brass"],
    ]

    @Test func productLifecycle() async throws {
        try await withAdminAPI { client, fixture in
            let token = fixture.tenantAdmin
            let created = try await client.send(.post, fixture.path("/products"), token: token, json: Self.lamp)
            #expect(created.status == .created)
            #expect(created.headers[.location] == fixture.path("/products/desk-lamp"))
            #expect(try created.json["featured"] == false)
            #expect(try created.json["createdAt"]?.stringValue != nil)

            let read = try await client.send(.get, fixture.path("/products/desk-lamp"), token: fixture.viewer)
            #expect(read.status == .ok)
            #expect(try read.json["attributes"]?["colour"] == "brass")

            var changed = Self.lamp
            if case .object(var members) = changed {
                members["priceMinor"] = 5_900
                members["slug"] = nil
                changed = .object(members)
            }
            let updated = try await client.send(.put, fixture.path("/products/desk-lamp"), token: token, json: changed)
            #expect(updated.status == .ok)
            #expect(try updated.json["priceMinor"] == 5_900)

            let page = try await client.send(.get, fixture.path("/products?limit=1000"), token: fixture.viewer)
            #expect(page.status == .ok)
            #expect(try page.json.items.contains { $0["slug"] == "desk-lamp" })
            let first = try await client.send(.get, fixture.path("/products?limit=1"), token: fixture.viewer)
            #expect(try first.json.items.count == 1)
            #expect(try first.json["nextCursor"]?.stringValue != nil)

            #expect(
                try await client.send(.delete, fixture.path("/products/desk-lamp"), token: token).status == .noContent
            )
            #expect(try await client.send(.get, fixture.path("/products/desk-lamp"), token: token).status == .notFound)
            #expect(
                try await client.send(.delete, fixture.path("/products/desk-lamp"), token: token).status == .notFound
            )
            let unknown = try await client.send(
                .put,
                fixture.path("/products/desk-lamp"),
                token: token,
                json: Self.lamp
            )
            #expect(unknown.status == .notFound)
        }
    }

    @Test func invalidProductsAreRefusedFieldByField() async throws {
        try await withAdminAPI { client, fixture in
            let token = fixture.tenantAdmin
            let missing = try await client.send(
                .post,
                fixture.path("/products"),
                token: token,
                json: ["slug": "x"] as JSONValue
            )
            #expect(missing.status == .unprocessableContent)
            #expect(try Set(missing.problemPointers) == ["/name", "/priceMinor", "/currency"])

            let invalid = try await client.send(
                .post,
                fixture.path("/products"),
                token: token,
                json: ["slug": "Bad Slug", "name": "x", "priceMinor": -1, "currency": "euro"] as JSONValue
            )
            #expect(invalid.status == .unprocessableContent)
            #expect(try Set(invalid.problemPointers) == ["/slug", "/priceMinor", "/currency"])

            let wrongType = try await client.send(
                .post,
                fixture.path("/products"),
                token: token,
                json: ["slug": "x", "name": "x", "priceMinor": "cheap", "currency": "EUR"] as JSONValue
            )
            #expect(wrongType.status == .badRequest)

            #expect(
                try await client.send(.post, fixture.path("/products"), token: token, json: Self.lamp).status
                    == .created
            )
            let duplicate = try await client.send(.post, fixture.path("/products"), token: token, json: Self.lamp)
            #expect(duplicate.status == .conflict)

            let renamed = try await client.send(
                .put,
                fixture.path("/products/other-slug"),
                token: token,
                json: Self.lamp
            )
            #expect(renamed.status == .unprocessableContent)
            #expect(try renamed.problemPointers == ["/slug"])

            let deep = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
            #expect(
                try await client.send(.post, fixture.path("/products"), token: token, json: deep).status == .badRequest
            )
        }
    }

    @Test func categoryLifecycle() async throws {
        try await withAdminAPI { client, fixture in
            let token = fixture.tenantAdmin
            let body: JSONValue = ["slug": "lighting", "name": "Lighting", "position": 3]
            let created = try await client.send(.post, fixture.path("/categories"), token: token, json: body)
            #expect(created.status == .created)
            #expect(created.headers[.location] == fixture.path("/categories/lighting"))
            #expect(
                try await client.send(.post, fixture.path("/categories"), token: token, json: body).status == .conflict
            )

            let list = try await client.send(.get, fixture.path("/categories"), token: fixture.viewer)
            #expect(try list.json.items.contains { $0["slug"] == "lighting" })
            let read = try await client.send(.get, fixture.path("/categories/lighting"), token: fixture.viewer)
            #expect(try read.json["position"] == 3)

            let updated = try await client.send(
                .put,
                fixture.path("/categories/lighting"),
                token: token,
                json: ["name": "Lamps"] as JSONValue
            )
            #expect(updated.status == .ok)
            #expect(try updated.json["name"] == "Lamps")

            let missing = try await client.send(
                .post,
                fixture.path("/categories"),
                token: token,
                json: [:] as JSONValue
            )
            #expect(missing.status == .unprocessableContent)
            #expect(try Set(missing.problemPointers) == ["/slug", "/name"])
            let invalid = try await client.send(
                .post,
                fixture.path("/categories"),
                token: token,
                json: ["slug": "No Good", "name": "x"] as JSONValue
            )
            #expect(invalid.status == .unprocessableContent)
            #expect(try invalid.problemPointers == ["/slug"])

            #expect(
                try await client.send(.delete, fixture.path("/categories/lighting"), token: token).status == .noContent
            )
            #expect(try await client.send(.get, fixture.path("/categories/lighting"), token: token).status == .notFound)
        }
    }

    @Test func viewersCannotWriteAndOtherTenantsSeeNothing() async throws {
        try await withAdminAPI { client, fixture in
            let slug = try #require(
                try await fixture.data.catalog.products(tenant: fixture.tenant.id).items.first?.slug
            )
            let viewer = fixture.viewer
            #expect(
                try await client.send(.post, fixture.path("/products"), token: viewer, json: Self.lamp).status
                    == .forbidden
            )
            #expect(
                try await client.send(.put, fixture.path("/products/\(slug)"), token: viewer, json: Self.lamp).status
                    == .forbidden
            )
            #expect(
                try await client.send(.delete, fixture.path("/products/\(slug)"), token: viewer).status == .forbidden
            )
            #expect(
                try await client.send(.post, fixture.path("/categories"), token: viewer, json: Self.lamp).status
                    == .forbidden
            )
            #expect(
                try await client.send(
                    .post,
                    fixture.path("/products/import"),
                    token: viewer,
                    text: "",
                    contentType: "text/csv"
                )
                .status == .forbidden
            )

            let other = fixture.otherTenantAdmin
            #expect(try await client.send(.get, fixture.path("/products"), token: other).status == .notFound)
            #expect(try await client.send(.get, fixture.path("/products/\(slug)"), token: other).status == .notFound)
            #expect(try await client.send(.delete, fixture.path("/products/\(slug)"), token: other).status == .notFound)
            #expect(try await client.send(.get, fixture.path("/categories"), token: other).status == .notFound)
            #expect(try await fixture.data.catalog.product(slug, tenant: fixture.tenant.id).slug == slug)
        }
    }
}
