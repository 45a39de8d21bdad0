import Foundation
import HTTPTypes
import HummingbirdTesting
import TenantStore
import Testing

/// `/api/tenants/{id}/templates`: upload compiled by Render, activation, deletion, authorization.
@Suite struct AdminTemplateTests {
    @Test func uploadListActivateAndDelete() async throws {
        try await withAdminAPI { client, fixture in
            let token = fixture.tenantAdmin
            let created = try await client.send(
                .put,
                fixture.path("/templates/spring"),
                token: token,
                json: ["config": ["theme": "premium"], "source": ["banner": "<p>{{name}}</p>"]] as JSONValue
            )
            #expect(created.status == .created)
            #expect(created.headers[.location] == fixture.path("/templates/spring"))
            #expect(try created.json["isActive"] == false)

            let replaced = try await client.send(
                .put,
                fixture.path("/templates/spring"),
                token: token,
                json: ["source": ["banner": "<p>{{name}}!</p>"]] as JSONValue
            )
            #expect(replaced.status == .ok)
            #expect(try replaced.json["source"]?["banner"] == "<p>{{name}}!</p>")

            let list = try await client.send(.get, fixture.path("/templates"), token: fixture.viewer)
            #expect(list.status == .ok)
            let names = try list.json.items.compactMap { $0["name"]?.stringValue }
            #expect(names.contains("spring"))
            let previouslyActive = try #require(
                try list.json.items.first { $0["isActive"] == true }?["name"]?.stringValue
            )

            let activated = try await client.send(.post, fixture.path("/templates/spring/activate"), token: token)
            #expect(activated.status == .ok)
            #expect(try activated.json["isActive"] == true)
            #expect(try await fixture.data.templates.active(tenant: fixture.tenant.id)?.name == "spring")

            // The active template cannot go while others exist.
            let refused = try await client.send(.delete, fixture.path("/templates/spring"), token: token)
            #expect(refused.status == .conflict)
            let deleted = try await client.send(.delete, fixture.path("/templates/\(previouslyActive)"), token: token)
            #expect(deleted.status == .noContent)
            let again = try await client.send(.delete, fixture.path("/templates/\(previouslyActive)"), token: token)
            #expect(again.status == .notFound)
            let missing = try await client.send(.post, fixture.path("/templates/nope/activate"), token: token)
            #expect(missing.status == .notFound)
        }
    }

    @Test func aTemplateThatDoesNotCompileIsRefusedWithWhereAndWhy() async throws {
        try await withAdminAPI { client, fixture in
            let syntax = try await client.send(
                .put,
                fixture.path("/templates/broken"),
                token: fixture.tenantAdmin,
                json: ["source": ["banner": "line one\n{{#items}}never closed"]] as JSONValue
            )
            #expect(syntax.status == .unprocessableContent)
            #expect(syntax.headers[.contentType] == "application/problem+json")
            #expect(try syntax.problemPointers == ["/source/banner"])
            let message = try #require(try syntax.json["errors"]?.arrayValue?.first?["detail"]?.stringValue)
            #expect(message.contains("syntax"))

            let recursive = try await client.send(
                .put,
                fixture.path("/templates/broken"),
                token: fixture.tenantAdmin,
                json: ["source": ["loop": "{{> loop}}"]] as JSONValue
            )
            #expect(recursive.status == .unprocessableContent)

            let theme = try await client.send(
                .put,
                fixture.path("/templates/broken"),
                token: fixture.tenantAdmin,
                json: ["config": ["theme": "no-such-theme"]] as JSONValue
            )
            #expect(theme.status == .unprocessableContent)
            #expect(try theme.problemPointers == ["/config/theme"])

            let badName = try await client.send(
                .put,
                fixture.path("/templates/Not_A_Slug"),
                token: fixture.tenantAdmin,
                json: [:] as JSONValue
            )
            #expect(badName.status == .unprocessableContent)
            #expect(try badName.problemPointers == ["/name"])

            let names = try await fixture.data.templates.list(tenant: fixture.tenant.id).map(\.name)
            #expect(!names.contains("broken"))
        }
    }

    @Test func viewersCannotWriteAndOtherTenantsSeeNothing() async throws {
        try await withAdminAPI { client, fixture in
            let body = ["source": [:]] as JSONValue
            let readable = try await client.send(.get, fixture.path("/templates"), token: fixture.viewer)
            #expect(readable.status == .ok)
            #expect(
                try await client.send(.put, fixture.path("/templates/x"), token: fixture.viewer, json: body).status
                    == .forbidden
            )
            #expect(
                try await client.send(.post, fixture.path("/templates/base/activate"), token: fixture.viewer).status
                    == .forbidden
            )
            #expect(
                try await client.send(.delete, fixture.path("/templates/base"), token: fixture.viewer).status
                    == .forbidden
            )
            let other = fixture.otherTenantAdmin
            #expect(try await client.send(.get, fixture.path("/templates"), token: other).status == .notFound)
            #expect(
                try await client.send(.put, fixture.path("/templates/x"), token: other, json: body).status == .notFound
            )
            #expect(try await client.send(.get, fixture.path("/templates"), token: nil).status == .unauthorized)
        }
    }
}
