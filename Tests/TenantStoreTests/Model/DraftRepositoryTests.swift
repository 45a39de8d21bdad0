import Foundation
import TenantStore
import Testing

extension ModelTests {
    @Suite struct DraftRepositoryTests {
        @Test func aDraftChangesNothingLiveUntilDeployed() async throws {
            try await withTenantData { data, _ in
                let id = try await data.tenants.create(companyName: "Acme", subdomain: "acme").id
                try await data.configuration.set(.branding, to: ["companyName": "Live"], tenant: id)
                try await data.templates.save(Template(name: "custom"), tenant: id)
                let version = try await data.tenants.tenant(id).contentVersion

                try await data.drafts.setConfiguration(["features": [:]], tenant: id)
                let draft = try await data.drafts.setTemplate("premium", tenant: id)
                #expect(draft.configuration == ["features": [:]])
                #expect(draft.template == "premium")
                #expect(try await data.tenants.tenant(id).contentVersion == version)
                #expect(try await data.configuration.configuration(tenant: id).sections[.branding] != nil)
                #expect(Array(try await data.drafts.previewConfiguration(tenant: id).sections.keys) == [.features])

                let deployed = try await data.drafts.deploy(tenant: id)
                #expect(deployed.contentVersion == version + 1)
                let live = try await data.configuration.configuration(tenant: id)
                #expect(Array(live.sections.keys) == [.features])
                // A built-in theme named in the draft is saved as a template and activated.
                #expect(try await data.templates.list(tenant: id).filter(\.isActive).map(\.name) == ["premium"])
                #expect(try await data.drafts.draft(tenant: id) == nil)
            }
        }

        @Test func invalidDraftsAndDeploysWithoutADraftAreRefused() async throws {
            try await withTenantData { data, _ in
                let id = try await data.tenants.create(companyName: "Acme", subdomain: "acme").id
                let invalid = await #expect(throws: TenantStoreError.self) {
                    try await data.drafts.setConfiguration(["colours": [:]], tenant: id)
                }
                #expect(invalid?.code == .validationFailed)
                #expect(ModelTests.pointers(invalid) == ["/colours"])
                let conflict = await #expect(throws: TenantStoreError.self) {
                    try await data.drafts.deploy(tenant: id)
                }
                #expect(conflict?.code == .conflict)
                try await data.drafts.setTemplate("premium", tenant: id)
                try await data.drafts.discard(tenant: id)
                #expect(try await data.drafts.draft(tenant: id) == nil)
            }
        }

        @Test func deletingTheTenantDeletesItsDraft() async throws {
            try await withTenantData { data, store in
                let id = try await data.tenants.create(companyName: "Acme", subdomain: "acme").id
                try await data.drafts.setTemplate("premium", tenant: id)
                _ = try await data.tenants.delete(id)
                let keys = try await ModelTests.rawEntries(in: store).map(\.key)
                #expect(!keys.contains { $0.hasSuffix("/draft") })
            }
        }
    }
}
