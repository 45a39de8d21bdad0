import Foundation
import TenantStore
import Testing

extension ModelTests {
    @Suite("Credentials in the configuration are sealed at rest")
    struct SealedConfigurationTests {
        static let hook = "https://hooks.zapier.com/hooks/catch/123/secret-path/"

        @Test func theZapierHookIsStoredSealedAndReadInClear() async throws {
            try await ModelTests.withTenantData { _, store in try await Self.check(store) }
        }

        static func check(_ store: FileKeyValueStore) async throws {
            let box = SecretBox(key: .random())
            let data = TenantData(store: store, secrets: box)
            let tenant = try await data.tenants.create(companyName: "Sealed", subdomain: "sealed")
            try await data.configuration.set(
                .integrations,
                to: ["googleAnalytics": "G-ABC123", "zapier": .string(Self.hook)],
                tenant: tenant.id
            )

            let section = try await data.configuration.section(.integrations, tenant: tenant.id)
            #expect(section?.objectValue?["zapier"] == .string(Self.hook))
            #expect(try await data.configuration.configuration(tenant: tenant.id).integrations?.zapier == Self.hook)
            for entry in try await ModelTests.rawEntries(in: store) {
                #expect(
                    !String(decoding: entry.value.bytes, as: UTF8.self).contains("secret-path"),
                    "\(entry.key) holds the hook in clear"
                )
            }

            // A draft holds it sealed too, and deploying keeps it sealed.
            try await data.drafts.setConfiguration(
                ["integrations": ["zapier": .string(Self.hook + "v2")]],
                tenant: tenant.id
            )
            #expect(
                try await data.drafts.draft(tenant: tenant.id)?.configuration?.objectValue?["integrations"]?
                    .objectValue?["zapier"] == .string(Self.hook + "v2")
            )
            try await data.drafts.deploy(tenant: tenant.id)
            #expect(
                try await data.configuration.configuration(tenant: tenant.id).integrations?.zapier == Self.hook + "v2"
            )
            for entry in try await ModelTests.rawEntries(in: store) {
                #expect(
                    !String(decoding: entry.value.bytes, as: UTF8.self).contains("secret-path"),
                    "\(entry.key) holds the hook in clear"
                )
            }

            // Without the key it can be neither stored nor read.
            let keyless = TenantData(store: store)
            await #expect(throws: TenantStoreError.self) {
                try await keyless.configuration.configuration(tenant: tenant.id)
            }
            await #expect(throws: TenantStoreError.self) {
                try await keyless.configuration.set(
                    .integrations,
                    to: ["zapier": .string(Self.hook)],
                    tenant: tenant.id
                )
            }
            // The same key opens it; another key does not.
            let otherKey = TenantData(store: store, secrets: SecretBox(key: .random()))
            await #expect(throws: TenantStoreError.self) {
                try await otherKey.configuration.configuration(tenant: tenant.id)
            }
        }
    }
}
