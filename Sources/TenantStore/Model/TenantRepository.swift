public import Foundation
import Synchronization

/// Creates, finds, changes and deletes tenants, and keeps the subdomain and custom-domain indexes
/// unique under concurrent writers.
public struct TenantRepository: Sendable {
    let records: RecordStore
    let platformDomain: String?

    /// Creates an active tenant that owns `subdomain` and `customDomains`.
    ///
    /// - Throws: ``TenantStoreError`` `.validationFailed` listing every invalid field, or
    ///   `.conflict` when another tenant holds the subdomain or one of the domains (also when it
    ///   won a race for it a moment ago).
    public func create(companyName: String, subdomain: String, customDomains: [String] = []) async throws -> Tenant {
        var problems = ProblemList()
        Tenant.validate(
            companyName: companyName,
            subdomain: subdomain,
            customDomains: customDomains,
            platformDomain: self.platformDomain,
            into: &problems
        )
        try problems.throwIfAny("tenant is invalid")

        let now = Date()
        let tenant = Tenant(
            id: UUID(),
            companyName: companyName,
            subdomain: subdomain,
            customDomains: customDomains,
            status: .active,
            createdAt: now,
            updatedAt: now,
            contentVersion: 1
        )
        var mutation = TenantMutation(tenant: tenant)
        mutation.require(StoreKey.tenant(tenant.id), .absent)
        try mutation.put(StoreKey.tenant(tenant.id), tenant)
        try self.claimSubdomain(subdomain, for: tenant.id, in: &mutation)
        for domain in customDomains {
            try self.claimDomain(domain, for: tenant.id, in: &mutation)
        }
        for attempt in 0..<RecordStore.maximumAttempts {
            do {
                try await self.records.commit(mutation.batch, leaving: tenant)
                return tenant
            } catch let error as TenantStoreError where error.code == .preconditionFailed {
                // Nothing claimed is present: an owner released it between the check and our read.
                try await self.records.throwIfTaken(mutation.claims)
                try await RecordStore.backOff(attempt: attempt)
            }
        }
        throw TenantStoreError.conflict("subdomain '\(subdomain)' is changing hands concurrently; try again")
    }

    /// The tenant with `id`. A deleted tenant keeps its record (its id is never reused, its audit
    /// trail stays) but is gone for everything that serves or manages it, so it is only returned
    /// when `includeDeleted`, as ``list(limit:after:includeDeleted:)`` does.
    ///
    /// - Throws: ``TenantStoreError`` `.notFound` when there is no such tenant, or it was deleted.
    public func tenant(_ id: UUID, includeDeleted: Bool = false) async throws -> Tenant {
        guard includeDeleted else { return try await self.records.liveTenant(id).value }
        guard let tenant = try await self.records.read(Tenant.self, at: StoreKey.tenant(id)) else {
            throw TenantStoreError.notFound("tenant \(id.keyComponent) not found")
        }
        return tenant.value
    }

    /// The tenant that owns `subdomain`; `nil` when none does or `subdomain` could never be one.
    public func tenant(subdomain: String) async throws -> Tenant? {
        try await self.lookup(subdomain: subdomain).tenant
    }

    /// ``tenant(subdomain:)`` with what the lookup read, to tell later whether it still holds.
    public func lookup(subdomain: String) async throws -> HostLookup {
        guard FieldRule.subdomain.problem(with: subdomain) == nil else { return HostLookup(tenant: nil, reads: []) }
        return try await self.resolve(StoreKey.subdomain(subdomain))
    }

    /// The tenant that owns the custom domain `host`; `nil` when none does or `host` is not a
    /// valid lowercase host name.
    public func tenant(domain host: String) async throws -> Tenant? {
        try await self.lookup(domain: host).tenant
    }

    /// ``tenant(domain:)`` with what the lookup read, to tell later whether it still holds.
    public func lookup(domain host: String) async throws -> HostLookup {
        guard FieldRule.hostName.problem(with: host) == nil else { return HostLookup(tenant: nil, reads: []) }
        return try await self.resolve(StoreKey.domain(host))
    }

    /// Tenants in id order.
    public func list(
        limit: Int = 100,
        after cursor: String? = nil,
        includeDeleted: Bool = false
    ) async throws
        -> Page<Tenant>
    {
        try await self.records.page(Tenant.self, prefix: StoreKey.tenants, after: cursor, limit: limit) { tenant in
            includeDeleted || tenant.status != .deleted
        }
    }

    /// Applies `update`, claiming a new subdomain or domains and releasing the old ones (with
    /// their certificates) in the same batch; bumps the content version when anything changed.
    ///
    /// - Throws: ``TenantStoreError`` `.validationFailed`, `.notFound` (absent or deleted), or
    ///   `.conflict` when a new name is taken.
    public func update(_ id: UUID, _ update: TenantUpdate) async throws -> Tenant {
        var problems = ProblemList()
        Tenant.validate(
            companyName: update.companyName,
            subdomain: update.subdomain,
            customDomains: update.customDomains,
            platformDomain: self.platformDomain,
            into: &problems
        )
        if update.status == .deleted {
            problems.add(.root.appending("status"), "delete the tenant instead of setting status 'deleted'")
        }
        try problems.throwIfAny("tenant update is invalid")

        return try await self.records.mutateTenant(id) { mutation in
            var tenant = mutation.tenant
            if let companyName = update.companyName {
                tenant.companyName = companyName
            }
            if let subdomain = update.subdomain, subdomain != tenant.subdomain {
                try self.claimSubdomain(subdomain, for: id, in: &mutation)
                mutation.delete(StoreKey.subdomain(tenant.subdomain))
                tenant.subdomain = subdomain
            }
            if let domains = update.customDomains {
                let old = Set(tenant.customDomains)
                let new = Set(domains)
                for domain in new.subtracting(old).sorted() {
                    try self.claimDomain(domain, for: id, in: &mutation)
                }
                for domain in old.subtracting(new).sorted() {
                    mutation.delete(StoreKey.domain(domain))
                }
                try mutation.deleteCertificates(of: old.subtracting(new).sorted())
                tenant.customDomains = domains
            }
            if let status = update.status {
                tenant.status = status
            }
            if tenant != mutation.tenant {
                mutation.tenant = tenant
                mutation.changesContent = true
            }
        }.tenant
    }

    /// Stops serving the storefront (the edge answers 503) while keeping all data.
    @discardableResult
    public func suspend(_ id: UUID) async throws -> Tenant {
        try await self.update(id, TenantUpdate(status: .suspended))
    }

    /// Serves a suspended storefront again.
    @discardableResult
    public func resume(_ id: UUID) async throws -> Tenant {
        try await self.update(id, TenantUpdate(status: .active))
    }

    /// Adds one custom domain; adding one the tenant already has changes nothing.
    public func addCustomDomain(_ host: String, to id: UUID) async throws -> Tenant {
        var problems = ProblemList()
        Tenant.validate(
            companyName: nil,
            subdomain: nil,
            customDomains: [host],
            platformDomain: self.platformDomain,
            into: &problems
        )
        try problems.throwIfAny("domain is invalid")
        return try await self.records.mutateTenant(id) { mutation in
            guard !mutation.tenant.customDomains.contains(host) else { return }
            guard mutation.tenant.customDomains.count < Tenant.maximumCustomDomains else {
                throw TenantStoreError.validationFailed(
                    "a tenant may have at most \(Tenant.maximumCustomDomains) custom domains",
                    pointer: "/customDomains"
                )
            }
            try self.claimDomain(host, for: id, in: &mutation)
            mutation.tenant.customDomains.append(host)
            mutation.changesContent = true
        }.tenant
    }

    /// Releases one custom domain and deletes its certificate.
    ///
    /// - Throws: ``TenantStoreError`` `.notFound` when the tenant does not have it.
    public func removeCustomDomain(_ host: String, from id: UUID) async throws -> Tenant {
        try await self.records.mutateTenant(id) { mutation in
            guard let index = mutation.tenant.customDomains.firstIndex(of: host) else {
                throw TenantStoreError.notFound("tenant \(id.keyComponent) has no custom domain '\(host)'")
            }
            mutation.tenant.customDomains.remove(at: index)
            mutation.delete(StoreKey.domain(host))
            try mutation.deleteCertificates(of: [host])
            mutation.changesContent = true
        }.tenant
    }

    private func claimSubdomain(_ subdomain: String, for id: UUID, in mutation: inout TenantMutation) throws {
        try mutation.claim(
            StoreKey.subdomain(subdomain),
            IndexEntry(tenantId: id),
            takenMessage: "subdomain '\(subdomain)' is taken"
        )
    }

    private func claimDomain(_ domain: String, for id: UUID, in mutation: inout TenantMutation) throws {
        try mutation.claim(
            StoreKey.domain(domain),
            IndexEntry(tenantId: id),
            takenMessage: "domain '\(domain)' is already used by another tenant"
        )
    }

    private func resolve(_ indexKey: String) async throws -> HostLookup {
        guard let entry = try await self.records.read(IndexEntry.self, at: indexKey) else {
            return HostLookup(tenant: nil, reads: [(indexKey, nil)])
        }
        let tenantKey = StoreKey.tenant(entry.value.tenantId)
        let tenant = try await self.records.read(Tenant.self, at: tenantKey)
        return HostLookup(tenant: tenant?.value, reads: [(indexKey, entry.version), (tenantKey, tenant?.version)])
    }
}

/// A tenant looked up by host name, with every store key the lookup read and the version it
/// had (`nil`: absent). Each read returns its value and version together, so while every key
/// keeps its version the same lookup would find the same tenant in the same state: any change
/// to the tenant (content version, status) rewrites its record, and attaching or detaching the
/// host rewrites or deletes the index key.
///
/// A class because the edge's tenant directory reads one on every request: a reference is one
/// retain, where copying the structure retained each of the tenant's strings and arrays.
public final class HostLookup: Sendable {
    /// The tenant, or `nil` when the host names none.
    public let tenant: Tenant?
    /// What serving a cached page reads of ``tenant``. Copying a `Tenant` out of the lookup
    /// retains each of its strings and arrays, which with many tenants rotating sit in memory
    /// another core last wrote: this copies none.
    package let serving: Serving?
    let reads: [(key: String, version: UInt64?)]
    /// A ``KeyValueStore/latestVersion`` at which every read still had its version. Checking
    /// the versions takes the store's lock once per key, on every request of every event loop;
    /// while the store's latest version stays this one, a load of it answers instead.
    private let checkedAt = Atomic<UInt64>(UInt64.max)

    init(tenant: Tenant?, reads: [(key: String, version: UInt64?)]) {
        self.tenant = tenant
        self.serving = tenant.map { Serving(id: $0.id, status: $0.status, contentVersion: $0.contentVersion) }
        self.reads = reads
    }

    /// A tenant's identity, status and content version: what picks a cached page.
    package struct Serving: Sendable {
        /// ``Tenant/id``.
        package let id: UUID
        /// ``Tenant/status``.
        package let status: Tenant.Status
        /// ``Tenant/contentVersion``.
        package let contentVersion: UInt64
    }

    /// Whether nothing the lookup read has changed in `store` since; no awaiting, so an event
    /// loop can ask.
    public func isCurrent(in store: any KeyValueStore) -> Bool {
        // Loaded before the versions are checked: they then held at this latest version or a
        // later one, and no write has changed them while the store stays at this one.
        let latest = store.latestVersion
        if let latest, self.checkedAt.load(ordering: .relaxed) == latest {
            return true
        }
        guard self.reads.allSatisfy({ store.version(of: $0.key) == $0.version }) else { return false }
        if let latest {
            self.checkedAt.store(latest, ordering: .relaxed)
        }
        return true
    }
}
