import Foundation
import TenantStore
import Testing

extension ModelTests {
    @Suite struct SchemaMigrationTests {
        /// A tenant record as schema 1 stored it: the plan's single nullable `customDomain`.
        private func version1Tenant(id: UUID, subdomain: String, customDomain: String?) throws -> [UInt8] {
            var record: [String: JSONValue] = [
                "id": .string(id.uuidString),
                "companyName": "Legacy Co",
                "subdomain": .string(subdomain),
                "status": "active",
                "createdAt": 700_000_000,
                "updatedAt": 700_000_000,
                "contentVersion": 3,
            ]
            record["customDomain"] = customDomain.map(JSONValue.string) ?? .null
            return [1] + Array(try JSONEncoder().encode(JSONValue.object(record)))
        }

        @Test func migratesVersion1TenantsToAListOfDomains() async throws {
            try await withTenantData { data, store in
                let withDomain = UUID()
                let withoutDomain = UUID()
                let current = try await data.tenants.create(companyName: "Current", subdomain: "current")
                try await store.put(
                    "tenant/\(withDomain.uuidString.lowercased())",
                    try version1Tenant(id: withDomain, subdomain: "legacy", customDomain: "shop.legacy.com")
                )
                try await store.put(
                    "tenant/\(withoutDomain.uuidString.lowercased())",
                    try version1Tenant(id: withoutDomain, subdomain: "plain", customDomain: nil)
                )

                // Readers upgrade old records in memory before the migration has run.
                #expect(try await data.tenants.tenant(withDomain).customDomains == ["shop.legacy.com"])

                let report = try await TenantData.migrate(store: store)
                #expect(report.migrated == 2)
                #expect(report.examined >= 3)

                for id in [withDomain, withoutDomain] {
                    let stored = try #require(try await store.get("tenant/\(id.uuidString.lowercased())"))
                    #expect(stored.bytes.first == TenantData.currentSchemaVersion)
                    let json = try JSONValue(parsing: Data(stored.bytes.dropFirst()))
                    #expect(json["customDomain"] == nil)
                }
                let migrated = try await data.tenants.tenant(withDomain)
                #expect(migrated.customDomains == ["shop.legacy.com"])
                #expect(migrated.contentVersion == 3)
                #expect(migrated.companyName == "Legacy Co")
                #expect(try await data.tenants.tenant(withoutDomain).customDomains == [])
                #expect(try await data.tenants.tenant(current.id) == current)

                let again = try await TenantData.migrate(store: store)
                #expect(again.migrated == 0)
            }
        }

        @Test func refusesRecordsFromANewerSchema() async throws {
            try await withTenantData { data, store in
                let id = UUID()
                try await store.put(
                    "tenant/\(id.uuidString.lowercased())",
                    [TenantData.currentSchemaVersion + 1] + Array("{}".utf8)
                )
                let read = await #expect(throws: TenantStoreError.self) { try await data.tenants.tenant(id) }
                #expect(read?.code == .unsupportedVersion)
                let migrate = await #expect(throws: TenantStoreError.self) {
                    try await TenantData.migrate(store: store)
                }
                #expect(migrate?.code == .unsupportedVersion)
            }
        }
    }
}
