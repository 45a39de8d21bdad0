import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TenantStore
import Testing

@testable import Edge

/// `GET /api/tenants/{id}/preview`: the draft rendered, the shoppers' cache untouched.
@Suite struct AdminPreviewTests {
    typealias Harness = AdminProvisioningHarness

    @Test func previewRendersTheDraftAndIsNeverCached() async throws {
        try await Harness.with { harness in
            let tenant = try await harness.tenant("preview")
            try await harness.data.configuration.set(.branding, to: ["companyName": "Live Lamps"], tenant: tenant.id)
            try await harness.data.drafts.setConfiguration(
                ["branding": ["companyName": "Draft Lamps"]],
                tenant: tenant.id
            )
            let viewer = try await harness.token(.viewer, tenant: tenant.id)
            let stranger = try await harness.token(.viewer, tenant: UUID())
            let before = harness.cache.statistics
            try await harness.test { client in
                for path in ["/", "/products/first-lamp"] {
                    let preview = try await Harness.call(
                        client,
                        .get,
                        "/api/tenants/\(tenant.id)/preview?path=\(path)",
                        token: viewer
                    )
                    #expect(preview.status == .ok, "\(path)")
                    #expect(preview.headers[.cacheControl] == "no-store")
                    #expect(preview.headers[.contentType]?.hasPrefix("text/html") == true)
                    #expect(preview.body.contains("Draft Lamps"), "\(path)")
                }
                let missing = try await Harness.call(
                    client,
                    .get,
                    "/api/tenants/\(tenant.id)/preview?path=/products/ghost",
                    token: viewer
                )
                #expect(missing.status == .notFound)
                #expect(
                    try await Harness.call(client, .get, "/api/tenants/\(tenant.id)/preview?path=nope", token: viewer)
                        .status == .badRequest
                )
                #expect(
                    try await Harness.call(client, .get, "/api/tenants/\(tenant.id)/preview", token: stranger).status
                        == .notFound
                )
            }
            let after = harness.cache.statistics
            #expect(after.entries == before.entries)
            #expect(after.renders == before.renders)
            // Shoppers still get the live store, rendered (not served from a preview) on first request.
            #expect(harness.storefront.immediateResponse(to: Harness.request("preview.localhost")) == nil)
            let live = await harness.storefront.respond(to: Harness.request("preview.localhost"))
            #expect(String(buffer: live.body).contains("Live Lamps"))
            #expect(!String(buffer: live.body).contains("Draft Lamps"))
        }
    }

    @Test func previewWithoutADraftShowsTheLiveStore() async throws {
        try await Harness.with { harness in
            let tenant = try await harness.tenant("plain")
            try await harness.data.configuration.set(.branding, to: ["companyName": "Plain Lamps"], tenant: tenant.id)
            let token = try await harness.token()
            let preview = try await harness.test { client in
                try await Harness.call(client, .get, "/api/tenants/\(tenant.id)/preview?path=/", token: token)
            }
            #expect(preview.status == .ok)
            #expect(preview.body.contains("Plain Lamps"))
        }
    }
}
