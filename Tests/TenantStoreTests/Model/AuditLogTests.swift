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

        /// Pruning removes exactly the events made before the cutoff, of every owner: tenants,
        /// deleted ones among them, and the platform.
        @Test func pruningRemovesEveryOwnersEventsBeforeTheCutoff() async throws {
            try await withTenantData { data, store in
                // A key that names no owner, before every owner: the owners after it are still pruned.
                try await store.put("audit/!", [1])
                let kept = try await data.tenants.create(companyName: "Kept", subdomain: "kept").id
                let deleted = try await data.tenants.create(companyName: "Gone", subdomain: "gone").id
                let now = Date()
                let cutoff = now.addingTimeInterval(-30 * 86_400)
                var expected: [UUID?: [AuditEvent]] = [:]
                for owner in [kept, deleted, nil] as [UUID?] {
                    // 1,200 old events: more than one page of the deletion.
                    for age in stride(from: 1, through: 1_200, by: 1) {
                        let made = cutoff.addingTimeInterval(-Double(age) * 60)
                        try await data.audit.append(Self.event(owner, made: made))
                    }
                    for age in [29.0, 1, 0] {
                        let event = Self.event(owner, made: now.addingTimeInterval(-age * 86_400))
                        try await data.audit.append(event)
                        expected[owner, default: []].insert(event, at: 0)
                    }
                }
                try await data.tenants.delete(deleted)

                #expect(try await data.audit.prune(before: cutoff) == 3 * 1_200)
                for owner in [kept, deleted, nil] as [UUID?] {
                    #expect(try await data.audit.events(tenant: owner, limit: 100).items == expected[owner])
                }
                #expect(try await data.audit.prune(before: cutoff) == 0)
                #expect(try await store.get("audit/!") != nil)
            }
        }

        private static func event(_ owner: UUID?, made: Date) -> AuditEvent {
            AuditEvent(
                actor: "platform-admin:alice",
                action: "PUT /api/tenants/{id}/config",
                target: "config",
                tenantId: owner,
                id: RecordID(madeAt: made),
                time: made
            )
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
                _ = try await unused.accompanying {
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
