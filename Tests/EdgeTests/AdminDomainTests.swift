import Edge
import Foundation
import HTTPTypes
import HummingbirdTesting
import TenantStore
import Testing

/// `/api/tenants/{id}/domains`: attach, detach, status, validated certificate upload.
@Suite struct AdminDomainTests {
    @Test func attachUploadListAndDetach() async throws {
        try await withAdminAPI { client, fixture in
            let token = fixture.tenantAdmin
            let attached = try await client.send(
                .post,
                fixture.path("/domains"),
                token: token,
                json: ["domain": "Shop.Example.COM."] as JSONValue
            )
            #expect(attached.status == .created)
            #expect(try attached.json == ["domain": "shop.example.com", "certificate": nil])
            let again = try await client.send(
                .post,
                fixture.path("/domains"),
                token: token,
                json: ["domain": "shop.example.com"] as JSONValue
            )
            #expect(again.status == .ok)

            let authority = try TestAuthority()
            let issued = try authority.issue(dnsNames: ["*.example.com"])
            let upload: JSONValue = ["chainPEM": .string(issued.chainPEM), "privateKeyPEM": .string(issued.keyPEM)]
            let uploaded = try await client.send(
                .put,
                fixture.path("/domains/shop.example.com/certificate"),
                token: token,
                json: upload
            )
            #expect(uploaded.status == .ok)
            #expect(try uploaded.json["certificate"]?["expired"] == false)
            #expect(try uploaded.json["certificate"]?["coversDomain"] == true)

            let list = try await client.send(.get, fixture.path("/domains"), token: fixture.viewer)
            #expect(list.status == .ok)
            let status = try #require(try list.json.items.first { $0["domain"] == "shop.example.com" })
            #expect(status["certificate"]?["notAfter"]?.stringValue != nil)
            #expect(try list.json.items.contains { $0["domain"] == .string(fixture.tenant.customDomains[0]) })

            let certificate = fixture.path("/domains/shop.example.com/certificate")
            #expect(try await client.send(.delete, certificate, token: token).status == .noContent)
            #expect(try await client.send(.delete, certificate, token: token).status == .notFound)
            #expect(try await fixture.data.certificates.get(domain: "shop.example.com") == nil)

            #expect(
                try await client.send(.delete, fixture.path("/domains/shop.example.com"), token: token).status
                    == .noContent
            )
            #expect(
                try await client.send(.delete, fixture.path("/domains/shop.example.com"), token: token).status
                    == .notFound
            )
            let tenant = try await fixture.data.tenants.tenant(fixture.tenant.id)
            #expect(!tenant.customDomains.contains("shop.example.com"))
        }
    }

    @Test func invalidDomainsAndCertificatesAreRefusedWithTheReason() async throws {
        try await withAdminAPI { client, fixture in
            let token = fixture.tenantAdmin
            let invalid = try await client.send(
                .post,
                fixture.path("/domains"),
                token: token,
                json: ["domain": "not a host"] as JSONValue
            )
            #expect(invalid.status == .unprocessableContent)
            let taken = try await client.send(
                .post,
                fixture.path("/domains", of: fixture.otherTenant),
                token: fixture.platformAdmin,
                json: ["domain": .string(fixture.tenant.customDomains[0])] as JSONValue
            )
            #expect(taken.status == .conflict)

            let domain = fixture.tenant.customDomains[0]
            let path = fixture.path("/domains/\(domain)/certificate")
            let authority = try TestAuthority()
            let wrongName = try authority.issue(dnsNames: ["elsewhere.example.org"])
            let notCovered = try await client.send(
                .put,
                path,
                token: token,
                json: ["chainPEM": .string(wrongName.chainPEM), "privateKeyPEM": .string(wrongName.keyPEM)] as JSONValue
            )
            #expect(notCovered.status == .unprocessableContent)
            #expect(try notCovered.problemPointers == ["/chainPEM"])
            let detail = try #require(try notCovered.json["errors"]?.arrayValue?.first?["detail"]?.stringValue)
            #expect(detail.hasPrefix("domainNotCovered"))

            let right = try authority.issue(dnsNames: [domain])
            let mismatch = try await client.send(
                .put,
                path,
                token: token,
                json: ["chainPEM": .string(right.chainPEM), "privateKeyPEM": .string(wrongName.keyPEM)] as JSONValue
            )
            #expect(mismatch.status == .unprocessableContent)
            #expect(try mismatch.problemPointers == ["/privateKeyPEM"])

            let expired = try authority.issue(
                dnsNames: [domain],
                notValidBefore: Date() - 86_400 * 10,
                notValidAfter: Date() - 86_400
            )
            let expiredResponse = try await client.send(
                .put,
                path,
                token: token,
                json: ["chainPEM": .string(expired.chainPEM), "privateKeyPEM": .string(expired.keyPEM)] as JSONValue
            )
            #expect(expiredResponse.status == .unprocessableContent)
            let garbage = try await client.send(
                .put,
                path,
                token: token,
                json: ["chainPEM": "nope", "privateKeyPEM": "nope"] as JSONValue
            )
            #expect(garbage.status == .unprocessableContent)
            let missingField = try await client.send(.put, path, token: token, json: ["chainPEM": "x"] as JSONValue)
            #expect(missingField.status == .badRequest)
            #expect(try await fixture.data.certificates.get(domain: domain) == nil)

            let unattached = try await client.send(
                .put,
                fixture.path("/domains/unknown.example.com/certificate"),
                token: token,
                json: ["chainPEM": .string(right.chainPEM), "privateKeyPEM": .string(right.keyPEM)] as JSONValue
            )
            #expect(unattached.status == .notFound)
        }
    }

    @Test func viewersCannotWriteAndOtherTenantsSeeNothing() async throws {
        try await withAdminAPI { client, fixture in
            let domain = fixture.tenant.customDomains[0]
            let body: JSONValue = ["domain": "new.example.com"]
            let pem: JSONValue = ["chainPEM": "x", "privateKeyPEM": "y"]
            let viewer = fixture.viewer
            let readable = try await client.send(.get, fixture.path("/domains"), token: viewer)
            #expect(readable.status == .ok)
            #expect(
                try await client.send(.post, fixture.path("/domains"), token: viewer, json: body).status == .forbidden
            )
            #expect(
                try await client.send(.delete, fixture.path("/domains/\(domain)"), token: viewer).status == .forbidden
            )
            #expect(
                try await client.send(.put, fixture.path("/domains/\(domain)/certificate"), token: viewer, json: pem)
                    .status
                    == .forbidden
            )
            #expect(
                try await client.send(.delete, fixture.path("/domains/\(domain)/certificate"), token: viewer).status
                    == .forbidden
            )
            let other = fixture.otherTenantAdmin
            #expect(try await client.send(.get, fixture.path("/domains"), token: other).status == .notFound)
            #expect(
                try await client.send(.delete, fixture.path("/domains/\(domain)"), token: other).status == .notFound
            )
            #expect(
                try await client.send(.put, fixture.path("/domains/\(domain)/certificate"), token: other, json: pem)
                    .status
                    == .notFound
            )
            #expect(try await fixture.data.tenants.tenant(fixture.tenant.id).customDomains.contains(domain))
        }
    }
}
