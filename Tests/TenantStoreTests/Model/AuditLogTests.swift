import Foundation
import TenantStore
import Testing

extension ModelTests {
    @Suite struct AuditLogTests {
        @Test func listsATenantsEventsNewestFirstInPages() async throws {
            try await withTenantData { data, _ in
                let tenant = try await data.tenants.create(companyName: "Acme", subdomain: "acme").id
                var appended: [AuditEvent] = []
                for index in 0..<5 {
                    let event = AuditEvent(
                        actor: "platform-admin:alice",
                        action: "product.update",
                        target: "product/p\(index)",
                        tenantId: tenant,
                        requestId: "req-\(index)",
                        clientAddress: "192.0.2.1",
                        outcome: index == 4 ? .denied : .success
                    )
                    try await data.audit.append(event)
                    appended.append(event)
                }
                try await data.audit.append(AuditEvent(actor: "system", action: "startup", target: "platform"))

                var listed: [AuditEvent] = []
                var cursor: String?
                repeat {
                    let page = try await data.audit.events(tenant: tenant, limit: 2, after: cursor)
                    listed += page.items
                    cursor = page.nextCursor
                } while cursor != nil
                #expect(listed == appended.reversed())
                #expect(try await data.audit.events(tenant: nil).items.map(\.action) == ["startup"])
            }
        }

        @Test func aPendingEventCommitsWithTheFirstChangeThatSucceeds() async throws {
            try await withTenantData { data, _ in
                let tenant = try await data.tenants.create(companyName: "Acme", subdomain: "acme").id
                let version = try await data.configuration.configuration(tenant: tenant).contentVersion
                let event = AuditEvent(actor: "a", action: "PUT config", target: "t", tenantId: tenant)
                let pending = try data.audit.pending(event)
                try await pending.accompanying {
                    // A stale write fails: its batch gives the event back.
                    await #expect(throws: TenantStoreError.self) {
                        try await data.configuration.set(
                            .branding,
                            to: ["companyName": "Stale"],
                            tenant: tenant,
                            ifContentVersion: version + 7
                        )
                    }
                    #expect(try await data.audit.events(tenant: tenant).items.isEmpty)
                    try await data.configuration.set(.branding, to: ["companyName": "New"], tenant: tenant)
                    // Only the first change carries it.
                    try await data.configuration.set(.branding, to: ["companyName": "Newer"], tenant: tenant)
                }
                #expect(try await data.audit.events(tenant: tenant).items == [event])
                #expect(!pending.close())

                let unused = try data.audit.pending(AuditEvent(actor: "a", action: "x", target: "t", tenantId: tenant))
                #expect(unused.close())
                try await unused.accompanying {
                    try await data.configuration.set(.branding, to: ["companyName": "After"], tenant: tenant)
                }
                #expect(try await data.audit.events(tenant: tenant).items == [event])
            }
        }

        @Test func eventsOutliveTheirTenant() async throws {
            try await withTenantData { data, _ in
                let tenant = try await data.tenants.create(companyName: "Acme", subdomain: "acme").id
                try await data.audit.append(
                    AuditEvent(actor: "a", action: "tenant.create", target: "t", tenantId: tenant)
                )
                try await data.tenants.delete(tenant)
                try await data.audit.append(
                    AuditEvent(actor: "a", action: "tenant.delete", target: "t", tenantId: tenant)
                )
                #expect(
                    try await data.audit.events(tenant: tenant).items.map(\.action) == [
                        "tenant.delete", "tenant.create",
                    ]
                )
            }
        }

        @Test func validatesEvents() async throws {
            try await withTenantData { data, _ in
                let error = await #expect(throws: TenantStoreError.self) {
                    try await data.audit.append(AuditEvent(actor: "", action: "x", target: "", requestId: "a\nb"))
                }
                #expect(pointers(error) == ["/actor", "/target", "/requestId"])
                let badCursor = await #expect(throws: TenantStoreError.self) {
                    try await data.audit.events(tenant: nil, after: "has space")
                }
                #expect(badCursor?.code == .invalidArgument)
            }
        }
    }
}
