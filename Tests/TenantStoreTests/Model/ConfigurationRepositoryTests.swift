import TenantStore
import Testing

extension ModelTests {
    @Suite struct ConfigurationRepositoryTests {
        @Test func storesSectionsAndExposesTypedViews() async throws {
            try await withTenantData { data, _ in
                let id = try await data.tenants.create(companyName: "Acme", subdomain: "acme").id
                let empty = try await data.configuration.configuration(tenant: id)
                #expect(empty.sections.isEmpty)
                #expect(empty.features == Features())
                #expect(empty.branding == nil)

                try await data.configuration.set(
                    .branding,
                    to: ["companyName": "Acme Optics", "colors": ["primary": "#123456"]],
                    tenant: id
                )
                try await data.configuration.set(.features, to: ["vto": true, "analytics": nil], tenant: id)
                try await data.configuration.set(
                    .commerce,
                    to: ["paymentMethods": ["card"], "shipping": ["flatRate": 4.5, "currency": "EUR"]],
                    tenant: id
                )
                let configuration = try await data.configuration.configuration(tenant: id)
                #expect(configuration.branding?.companyName == "Acme Optics")
                #expect(configuration.branding?.colors?.primary == "#123456")
                #expect(configuration.features == Features(vto: true))
                #expect(configuration.commerce?.paymentMethods == ["card"])
                #expect(configuration.commerce?.categories == [])
                #expect(configuration.commerce?.shipping?.flatRate == 4.5)
                #expect(configuration.integrations == nil)
                #expect(configuration.contentVersion == (try await data.tenants.tenant(id)).contentVersion)
                #expect(configuration.document["features"] == ["vto": true, "analytics": nil])
                #expect(try await data.configuration.section(.features, tenant: id) == ["vto": true, "analytics": nil])
            }
        }

        @Test func rejectsAnInvalidSectionWithPointersFromItsRoot() async throws {
            try await withTenantData { data, _ in
                let id = try await data.tenants.create(companyName: "Acme", subdomain: "acme").id
                let error = await #expect(throws: TenantStoreError.self) {
                    try await data.configuration.set(
                        .branding,
                        to: ["logo": 1, "colors": ["primary": "blue"]],
                        tenant: id
                    )
                }
                #expect(error?.code == .validationFailed)
                #expect(pointers(error) == ["/colors/primary", "/logo"])
                #expect(try await data.configuration.section(.branding, tenant: id) == nil)
            }
        }

        @Test func replaceWritesTheGivenSectionsAndRemovesTheRest() async throws {
            try await withTenantData { data, _ in
                let id = try await data.tenants.create(companyName: "Acme", subdomain: "acme").id
                try await data.configuration.set(.branding, to: ["companyName": "Old"], tenant: id)
                let replaced = try await data.configuration.replace(
                    with: ["features": ["consultation": true], "integrations": ["facebook": "123456"]],
                    tenant: id
                )
                #expect(Set(replaced.sections.keys) == [.features, .integrations])
                #expect(try await data.configuration.section(.branding, tenant: id) == nil)

                let error = await #expect(throws: TenantStoreError.self) {
                    try await data.configuration.replace(with: ["features": ["vto": 1], "colours": [:]], tenant: id)
                }
                #expect(pointers(error) == ["/colours", "/features/vto"])
            }
        }

        @Test func conditionalWritesRequireTheCurrentContentVersion() async throws {
            try await withTenantData { data, _ in
                let id = try await data.tenants.create(companyName: "Acme", subdomain: "acme").id
                let read = try await data.configuration.configuration(tenant: id)
                let written = try await data.configuration.set(
                    .features,
                    to: ["vto": true],
                    tenant: id,
                    ifContentVersion: read.contentVersion
                )
                #expect(written == read.contentVersion + 1)
                let stale = await #expect(throws: TenantStoreError.self) {
                    try await data.configuration.set(
                        .features,
                        to: ["vto": false],
                        tenant: id,
                        ifContentVersion: read.contentVersion
                    )
                }
                #expect(stale?.code == .preconditionFailed)
                #expect(try await data.configuration.configuration(tenant: id).features.vto)
            }
        }

        @Test func writingTheSameSectionAgainChangesNothing() async throws {
            try await withTenantData { data, _ in
                let id = try await data.tenants.create(companyName: "Acme", subdomain: "acme").id
                let first = try await data.configuration.set(.features, to: ["vto": true], tenant: id)
                let second = try await data.configuration.set(.features, to: ["vto": true], tenant: id)
                #expect(second == first)
                #expect(try await data.tenants.tenant(id).contentVersion == first)
            }
        }
    }
}
