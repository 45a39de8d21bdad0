import Foundation
import TenantStore
import Testing

extension ModelTests {
    @Suite struct TenantRepositoryTests {
        @Test func createsAndFindsATenant() async throws {
            try await withTenantData { data, _ in
                let tenant = try await data.tenants.create(
                    companyName: "Acme Optics",
                    subdomain: "acme",
                    customDomains: ["shop.acme.com", "acme.de"]
                )
                #expect(tenant.status == .active)
                #expect(tenant.contentVersion == 1)
                #expect(try await data.tenants.tenant(tenant.id) == tenant)
                #expect(try await data.tenants.tenant(subdomain: "acme") == tenant)
                #expect(try await data.tenants.tenant(domain: "shop.acme.com") == tenant)
                #expect(try await data.tenants.tenant(domain: "acme.de") == tenant)
                #expect(try await data.tenants.tenant(subdomain: "other") == nil)
                #expect(try await data.tenants.tenant(domain: "SHOP.ACME.COM") == nil)
                #expect(try await data.tenants.tenant(subdomain: "../etc") == nil)
                let missing = await #expect(throws: TenantStoreError.self) { try await data.tenants.tenant(UUID()) }
                #expect(missing?.code == .notFound)
            }
        }

        @Test(arguments: ["a", "acme", "acme-optics", "9lives", String(repeating: "a", count: 63), "xn--bcher-kva"])
        func acceptsValidSubdomains(_ subdomain: String) async throws {
            try await withTenantData { data, _ in
                _ = try await data.tenants.create(companyName: "Acme", subdomain: subdomain)
            }
        }

        @Test(arguments: [
            "", "Acme", "-acme", "acme-", "ac_me", "ac.me", "acmé", "ac me", String(repeating: "a", count: 64),
            "www", "admin", "api",
        ])
        func rejectsInvalidOrReservedSubdomains(_ subdomain: String) async throws {
            try await withTenantData { data, _ in
                let error = await #expect(throws: TenantStoreError.self) {
                    try await data.tenants.create(companyName: "Acme", subdomain: subdomain)
                }
                #expect(error?.code == .validationFailed)
                #expect(pointers(error) == ["/subdomain"])
            }
        }

        @Test func rejectsInvalidCustomDomainsAndReportsEachOne() async throws {
            let label63 = String(repeating: "a", count: 63)
            let tooLong = [label63, label63, label63, label63].joined(separator: ".") + ".com"
            let domains = [
                "shop.acme.com", "localhost", "Shop.Acme.com", "acme..com", "-acme.com", "acme-.com", "1.2.3.4",
                String(repeating: "a", count: 64) + ".com", tooLong, "acme.com.", "shop.acme.com",
                "under.platform.test",
                "ok.example",
            ]
            try await withTenantData(platformDomain: "platform.test") { data, _ in
                let error = await #expect(throws: TenantStoreError.self) {
                    try await data.tenants.create(companyName: "Acme", subdomain: "acme", customDomains: domains)
                }
                #expect(error?.code == .validationFailed)
                #expect(pointers(error) == (1...11).map { "/customDomains/\($0)" })
                #expect(error?.problems.last?.message == "must not be under the platform domain 'platform.test'")
            }
        }

        @Test func reportsEveryInvalidFieldAtOnce() async throws {
            try await withTenantData { data, _ in
                let error = await #expect(throws: TenantStoreError.self) {
                    try await data.tenants.create(companyName: "  ", subdomain: "www", customDomains: ["nodot"])
                }
                #expect(pointers(error) == ["/companyName", "/subdomain", "/customDomains/0"])
            }
        }

        @Test func subdomainsAndDomainsAreUnique() async throws {
            try await withTenantData { data, _ in
                _ = try await data.tenants.create(companyName: "Acme", subdomain: "acme", customDomains: ["acme.com"])
                let subdomain = await #expect(throws: TenantStoreError.self) {
                    try await data.tenants.create(companyName: "Other", subdomain: "acme")
                }
                #expect(subdomain?.code == .conflict)
                #expect(subdomain?.message == "subdomain 'acme' is taken")
                let domain = await #expect(throws: TenantStoreError.self) {
                    try await data.tenants.create(companyName: "Other", subdomain: "other", customDomains: ["acme.com"])
                }
                #expect(domain?.code == .conflict)
                #expect(domain?.message.contains("acme.com") == true)
                // The losing create left nothing behind: its subdomain is still free.
                #expect(try await data.tenants.tenant(subdomain: "other") == nil)
                _ = try await data.tenants.create(companyName: "Other", subdomain: "other")
            }
        }

        @Test func exactlyOneOfManyConcurrentClaimsOfASubdomainWins() async throws {
            try await withTenantData { data, _ in
                let outcomes = await withTaskGroup(of: Result<Tenant, TenantStoreError>.self) { group in
                    for index in 0..<50 {
                        group.addTask {
                            do {
                                return .success(
                                    try await data.tenants.create(companyName: "Racer \(index)", subdomain: "acme")
                                )
                            } catch let error as TenantStoreError {
                                return .failure(error)
                            } catch {
                                return .failure(TenantStoreError(code: .ioError, message: "\(error)"))
                            }
                        }
                    }
                    var outcomes: [Result<Tenant, TenantStoreError>] = []
                    for await outcome in group {
                        outcomes.append(outcome)
                    }
                    return outcomes
                }
                let winners = outcomes.compactMap { try? $0.get() }
                let losers = outcomes.compactMap { outcome -> TenantStoreError? in
                    if case .failure(let error) = outcome { error } else { nil }
                }
                #expect(winners.count == 1)
                #expect(losers.count == 49)
                #expect(losers.allSatisfy { $0.code == .conflict && $0.message == "subdomain 'acme' is taken" })
                #expect(try await data.tenants.tenant(subdomain: "acme") == winners.first)
                let all = try await data.tenants.list(limit: 100)
                #expect(all.items.count == 1)
            }
        }

        @Test func updateMovesNamesAndReleasesTheOldOnes() async throws {
            try await withTenantData { data, _ in
                let tenant = try await data.tenants.create(
                    companyName: "Acme",
                    subdomain: "acme",
                    customDomains: ["a.acme.com", "b.acme.com"]
                )
                let updated = try await data.tenants.update(
                    tenant.id,
                    TenantUpdate(
                        companyName: "Acme Inc",
                        subdomain: "acme-inc",
                        customDomains: ["b.acme.com", "c.acme.com"]
                    )
                )
                #expect(updated.companyName == "Acme Inc")
                #expect(updated.subdomain == "acme-inc")
                #expect(updated.customDomains == ["b.acme.com", "c.acme.com"])
                #expect(updated.contentVersion == tenant.contentVersion + 1)
                #expect(updated.createdAt == tenant.createdAt)
                #expect(try await data.tenants.tenant(subdomain: "acme") == nil)
                #expect(try await data.tenants.tenant(subdomain: "acme-inc")?.id == tenant.id)
                #expect(try await data.tenants.tenant(domain: "a.acme.com") == nil)
                #expect(try await data.tenants.tenant(domain: "c.acme.com")?.id == tenant.id)
                _ = try await data.tenants.create(companyName: "New", subdomain: "acme", customDomains: ["a.acme.com"])
            }
        }

        @Test func updateToATakenSubdomainConflictsAndChangesNothing() async throws {
            try await withTenantData { data, _ in
                let first = try await data.tenants.create(companyName: "First", subdomain: "first")
                _ = try await data.tenants.create(companyName: "Second", subdomain: "second")
                let error = await #expect(throws: TenantStoreError.self) {
                    try await data.tenants.update(first.id, TenantUpdate(companyName: "Renamed", subdomain: "second"))
                }
                #expect(error?.code == .conflict)
                #expect(error?.message == "subdomain 'second' is taken")
                #expect(try await data.tenants.tenant(first.id) == first)
            }
        }

        @Test func anUpdateThatChangesNothingDoesNotBumpTheContentVersion() async throws {
            try await withTenantData { data, _ in
                let tenant = try await data.tenants.create(companyName: "Acme", subdomain: "acme")
                let same = try await data.tenants.update(
                    tenant.id,
                    TenantUpdate(companyName: "Acme", subdomain: "acme")
                )
                #expect(same == tenant)
            }
        }

        @Test func statusCannotBeSetToDeletedByUpdate() async throws {
            try await withTenantData { data, _ in
                let tenant = try await data.tenants.create(companyName: "Acme", subdomain: "acme")
                let error = await #expect(throws: TenantStoreError.self) {
                    try await data.tenants.update(tenant.id, TenantUpdate(status: .deleted))
                }
                #expect(pointers(error) == ["/status"])
            }
        }

        @Test func suspendAndResume() async throws {
            try await withTenantData { data, _ in
                let tenant = try await data.tenants.create(companyName: "Acme", subdomain: "acme")
                let suspended = try await data.tenants.suspend(tenant.id)
                #expect(suspended.status == .suspended)
                #expect(suspended.contentVersion == 2)
                #expect(try await data.tenants.tenant(subdomain: "acme")?.status == .suspended)
                let resumed = try await data.tenants.resume(tenant.id)
                #expect(resumed.status == .active)
                #expect(resumed.contentVersion == 3)
            }
        }

        @Test func aHostLookupStaysCurrentUntilSomethingItReadChanges() async throws {
            try await withTenantData { data, store in
                let tenant = try await data.tenants.create(companyName: "Acme", subdomain: "acme")
                let lookup = try await data.tenants.lookup(subdomain: "acme")
                #expect(lookup.isCurrent(in: store))
                #expect(lookup.isCurrent(in: store), "answered from the store's unchanged latest version")
                try await store.put("unrelated", [1])
                #expect(lookup.isCurrent(in: store), "a write elsewhere changes the latest version, not the lookup")
                #expect(lookup.isCurrent(in: store))
                _ = try await data.tenants.suspend(tenant.id)
                #expect(!lookup.isCurrent(in: store))
                let suspended = try await data.tenants.lookup(subdomain: "acme")
                #expect(suspended.isCurrent(in: store))
                _ = try await data.tenants.update(tenant.id, TenantUpdate(subdomain: "acme-optics"))
                #expect(!suspended.isCurrent(in: store), "the subdomain's index key was deleted")
                let missing = try await data.tenants.lookup(subdomain: "acme")
                #expect(missing.tenant == nil)
                #expect(missing.isCurrent(in: store))
                _ = try await data.tenants.update(tenant.id, TenantUpdate(subdomain: "acme"))
                #expect(!missing.isCurrent(in: store), "the host names a tenant again")
            }
        }

        @Test func addsAndRemovesSingleCustomDomains() async throws {
            try await withTenantData { data, _ in
                let tenant = try await data.tenants.create(companyName: "Acme", subdomain: "acme")
                let added = try await data.tenants.addCustomDomain("shop.acme.com", to: tenant.id)
                #expect(added.customDomains == ["shop.acme.com"])
                #expect(try await data.tenants.addCustomDomain("shop.acme.com", to: tenant.id) == added)
                #expect(try await data.tenants.tenant(domain: "shop.acme.com")?.id == tenant.id)
                let removed = try await data.tenants.removeCustomDomain("shop.acme.com", from: tenant.id)
                #expect(removed.customDomains.isEmpty)
                #expect(removed.contentVersion == added.contentVersion + 1)
                #expect(try await data.tenants.tenant(domain: "shop.acme.com") == nil)
                let error = await #expect(throws: TenantStoreError.self) {
                    try await data.tenants.removeCustomDomain("shop.acme.com", from: tenant.id)
                }
                #expect(error?.code == .notFound)
            }
        }

        @Test func listsTenantsInPages() async throws {
            try await withTenantData { data, _ in
                var created: [UUID] = []
                for index in 0..<7 {
                    created.append(try await data.tenants.create(companyName: "T\(index)", subdomain: "t\(index)").id)
                }
                try await data.tenants.delete(created[3])
                var seen: [UUID] = []
                var cursor: String?
                repeat {
                    let page = try await data.tenants.list(limit: 2, after: cursor)
                    #expect(page.items.count <= 2)
                    seen += page.items.map(\.id)
                    cursor = page.nextCursor
                } while cursor != nil
                #expect(Set(seen) == Set(created).subtracting([created[3]]))
                #expect(seen.count == 6)
                let withDeleted = try await data.tenants.list(limit: 100, includeDeleted: true)
                #expect(withDeleted.items.count == 7)
                #expect(withDeleted.nextCursor == nil)
                let badLimit = await #expect(throws: TenantStoreError.self) { try await data.tenants.list(limit: 0) }
                #expect(badLimit?.code == .invalidArgument)
            }
        }
    }
}
