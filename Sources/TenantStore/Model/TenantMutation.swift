import Foundation

/// The writes of one change to a tenant's data, committed in one batch together with a check that
/// the tenant record is still at the version that was read.
///
/// That check is the per-tenant optimistic lock: every write that changes what the storefront
/// shows also rewrites the tenant record (to bump ``Tenant/contentVersion``), so whatever a change
/// read of the tenant's templates, catalog or configuration is still current when its batch
/// applies. Writes that do not affect rendering (orders, leads, API keys) only check the version,
/// which also keeps them from landing after the tenant has been deleted.
struct TenantMutation {
    /// The tenant as it will be stored; edit it to change the record.
    var tenant: Tenant
    /// Set when the change affects rendering, to bump the content version once.
    var changesContent = false
    private(set) var batch = WriteBatch()
    private(set) var claims: [(key: String, takenMessage: String)] = []
    /// Values put with ``putRemembered(_:_:)`` by key, with the bytes they were stored as.
    typealias Remembered = [String: (value: any Sendable, bytes: [UInt8])]
    private(set) var remembered: Remembered = [:]

    init(tenant: Tenant) {
        self.tenant = tenant
    }

    mutating func put(_ key: String, _ value: some Encodable) throws {
        self.batch.put(key, try RecordCodec.encode(value))
        self.remembered[key] = nil
    }

    /// Puts `value` and, once the batch commits, remembers it as the decoding of what it wrote
    /// (``RecordStore/DecodedRecords``), so the next read of the key does not decode it: the
    /// tenant record and configuration sections, read again by the next change.
    ///
    /// Only for types whose decoding gives back exactly the value encoded, such as ``Tenant``
    /// and ``JSONValue`` (strings, `Double`s and `Date`s, which JSON carries exactly).
    mutating func putRemembered(_ key: String, _ value: some Encodable & Sendable) throws {
        let bytes = try RecordCodec.encode(value)
        self.batch.put(key, bytes)
        self.remembered[key] = (value, bytes)
    }

    mutating func delete(_ key: String) {
        self.batch.delete(key)
        self.remembered[key] = nil
    }

    mutating func require(_ key: String, _ condition: WritePrecondition) {
        self.batch.require(key, condition)
    }

    /// Writes a unique index entry that must not exist yet; losing that race is a conflict
    /// reported with `takenMessage`, not something to retry.
    mutating func claim(_ key: String, _ value: some Encodable, takenMessage: String) throws {
        self.batch.require(key, .absent)
        try self.put(key, value)
        self.claims.append((key, takenMessage))
    }
}

extension RecordStore {
    /// Enough for dozens of writers racing on one tenant; beyond it the caller gets a conflict.
    static let maximumAttempts = 24

    /// The tenant, unless it is absent or deleted.
    func liveTenant(_ id: UUID) async throws -> Versioned<Tenant> {
        guard let tenant = try await self.read(Tenant.self, at: StoreKey.tenant(id)), tenant.value.status != .deleted
        else {
            throw TenantStoreError.notFound("tenant \(id.keyComponent) not found")
        }
        return tenant
    }

    /// Reads the live tenant, lets `body` describe a change and commits it, starting over with
    /// fresh reads whenever another writer got there first.
    ///
    /// - Returns: what `body` returned on the attempt that committed, and the tenant as stored.
    func mutateTenant<Result>(
        _ id: UUID,
        _ body: (inout TenantMutation) async throws -> Result
    ) async throws -> (result: Result, tenant: Tenant) {
        let tenantKey = StoreKey.tenant(id)
        for attempt in 0..<Self.maximumAttempts {
            let current = try await self.liveTenant(id)
            var mutation = TenantMutation(tenant: current.value)
            let result = try await body(&mutation)
            if mutation.changesContent {
                mutation.tenant.contentVersion += 1
                mutation.tenant.updatedAt = Date()
            }
            if mutation.tenant != current.value {
                try mutation.putRemembered(tenantKey, mutation.tenant)
            }
            guard !mutation.batch.isEmpty else {
                return (result, mutation.tenant)
            }
            mutation.require(tenantKey, .version(current.version))
            do {
                try await self.commit(
                    mutation.batch,
                    leaving: mutation.tenant,
                    result: result,
                    remembering: mutation.remembered
                )
                return (result, mutation.tenant)
            } catch let error as TenantStoreError where error.code == .preconditionFailed {
                try await self.throwIfTaken(mutation.claims)
                try await Self.backOff(attempt: attempt)
            }
        }
        throw TenantStoreError.conflict(
            "tenant \(id.keyComponent) kept changing concurrently (\(Self.maximumAttempts) attempts); try again"
        )
    }

    /// After a failed batch: a claimed index key that now exists was taken by someone else.
    func throwIfTaken(_ claims: [(key: String, takenMessage: String)]) async throws {
        for claim in claims where try await self.store.get(claim.key) != nil {
            throw TenantStoreError.conflict(claim.takenMessage)
        }
    }

    /// A short random pause so that writers who collided do not collide again in lockstep.
    static func backOff(attempt: Int) async throws {
        let ceiling = 1 << min(attempt, 5)
        try await Task.sleep(for: .milliseconds(Int.random(in: 0...ceiling)))
    }
}
