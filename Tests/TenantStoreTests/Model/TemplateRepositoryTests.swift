import TenantStore
import Testing

extension ModelTests {
    @Suite struct TemplateRepositoryTests {
        @Test func theFirstTemplateBecomesActive() async throws {
            try await withTenantData { data, _ in
                let id = try await data.tenants.create(companyName: "Acme", subdomain: "acme").id
                #expect(try await data.templates.active(tenant: id) == nil)
                let base = try await data.templates.save(Template(name: "base", config: ["hero": "big"]), tenant: id)
                #expect(base.isActive)
                let premium = try await data.templates.save(Template(name: "premium"), tenant: id)
                #expect(!premium.isActive)
                #expect(try await data.templates.active(tenant: id)?.name == "base")
            }
        }

        @Test func activatingOneDeactivatesTheOtherAtomically() async throws {
            try await withTenantData { data, _ in
                let id = try await data.tenants.create(companyName: "Acme", subdomain: "acme").id
                try await data.templates.save(Template(name: "base"), tenant: id)
                try await data.templates.save(Template(name: "premium"), tenant: id)
                try await data.templates.activate("premium", tenant: id)
                #expect(try await data.templates.list(tenant: id).filter(\.isActive).map(\.name) == ["premium"])
                try await data.templates.save(Template(name: "custom", isActive: true), tenant: id)
                #expect(try await data.templates.list(tenant: id).filter(\.isActive).map(\.name) == ["custom"])
            }
        }

        @Test func concurrentActivationsLeaveExactlyOneActive() async throws {
            try await withTenantData { data, _ in
                let id = try await data.tenants.create(companyName: "Acme", subdomain: "acme").id
                let names = (0..<8).map { "theme-\($0)" }
                for name in names {
                    try await data.templates.save(Template(name: name), tenant: id)
                }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for name in names.reversed() {
                        group.addTask { _ = try await data.templates.activate(name, tenant: id) }
                    }
                    try await group.waitForAll()
                }
                #expect(try await data.templates.list(tenant: id).filter(\.isActive).count == 1)
            }
        }

        @Test func theActiveTemplateStaysActiveAndCannotBeDeletedWhileOthersExist() async throws {
            try await withTenantData { data, _ in
                let id = try await data.tenants.create(companyName: "Acme", subdomain: "acme").id
                try await data.templates.save(Template(name: "base"), tenant: id)
                try await data.templates.save(Template(name: "premium"), tenant: id)
                let resaved = try await data.templates.save(Template(name: "base", isActive: false), tenant: id)
                #expect(resaved.isActive)
                #expect(try await data.templates.list(tenant: id).filter(\.isActive).map(\.name) == ["base"])
                let delete = await #expect(throws: TenantStoreError.self) {
                    try await data.templates.delete("base", tenant: id)
                }
                #expect(delete?.code == .conflict)
                try await data.templates.delete("premium", tenant: id)
                try await data.templates.delete("base", tenant: id)
                #expect(try await data.templates.list(tenant: id).isEmpty)
                let missing = await #expect(throws: TenantStoreError.self) {
                    try await data.templates.template("base", tenant: id)
                }
                #expect(missing?.code == .notFound)
            }
        }

        @Test func savingKeepsCreationTimeAndStoresPartials() async throws {
            try await withTenantData { data, _ in
                let id = try await data.tenants.create(companyName: "Acme", subdomain: "acme").id
                let first = try await data.templates.save(Template(name: "base"), tenant: id)
                let second = try await data.templates.save(
                    Template(name: "base", config: ["layout": "wide"], source: ["header": "<h1>{{name}}</h1>"]),
                    tenant: id
                )
                #expect(second.createdAt == first.createdAt)
                #expect(second.isActive)
                #expect(try await data.templates.template("base", tenant: id) == second)
            }
        }

        @Test func validatesTemplates() async throws {
            try await withTenantData { data, _ in
                let id = try await data.tenants.create(companyName: "Acme", subdomain: "acme").id
                let error = await #expect(throws: TenantStoreError.self) {
                    try await data.templates.save(
                        Template(name: "Bad Name", config: ["x"], source: ["ok": "", "bad/name": "x"]),
                        tenant: id
                    )
                }
                #expect(error?.code == .validationFailed)
                #expect(pointers(error) == ["/name", "/config", "/source/bad~1name"])
            }
        }
    }
}
