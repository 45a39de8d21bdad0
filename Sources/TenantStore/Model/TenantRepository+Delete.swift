public import Foundation

extension TenantRepository {
    /// Deletes everything the tenant owns in one atomic batch: every key under its prefix, its
    /// subdomain, custom-domain and API-key index entries, releasing those names, and its custom
    /// domains' certificates. The tenant record stays, with status `deleted`, so its id is never
    /// reused and the edge can answer 404. Audit events are kept.
    ///
    /// Deleting a deleted tenant finishes any cleanup an interrupted delete left and returns it.
    ///
    /// - Throws: ``TenantStoreError`` `.notFound` when there is no such tenant.
    @discardableResult
    public func delete(_ id: UUID) async throws -> Tenant {
        let tenantKey = StoreKey.tenant(id)
        for attempt in 0..<RecordStore.maximumAttempts {
            guard let current = try await self.records.read(Tenant.self, at: tenantKey) else {
                throw TenantStoreError.notFound("tenant \(id.keyComponent) not found")
            }
            guard current.value.status != .deleted else {
                try await self.sweep(id)
                return current.value
            }
            var batch = try await self.deletionOfOwnedRecords(id)
            batch.delete(StoreKey.subdomain(current.value.subdomain))
            for domain in current.value.customDomains {
                batch.delete(StoreKey.domain(domain))
            }
            try batch.deleteCertificates(of: current.value.customDomains)
            var deleted = current.value
            deleted.status = .deleted
            deleted.contentVersion += 1
            deleted.updatedAt = Date()
            batch.put(tenantKey, try RecordCodec.encode(deleted))
            batch.require(tenantKey, .version(current.version))
            do {
                try await self.records.commit(batch, leaving: deleted)
            } catch let error as TenantStoreError where error.code == .preconditionFailed {
                try await RecordStore.backOff(attempt: attempt)
                continue
            }
            try await self.sweep(id)
            return deleted
        }
        throw TenantStoreError.conflict(
            "tenant \(id.keyComponent) kept changing during deletion (\(RecordStore.maximumAttempts) attempts); try again"
        )
    }

    /// Removes records that a writer committed after the deletion's scan but before its batch:
    /// such a writer checked the tenant version the deletion had not yet changed, so the deletion
    /// could not have seen or prevented it. Later writers fail their version check.
    private func sweep(_ id: UUID) async throws {
        let batch = try await self.deletionOfOwnedRecords(id)
        if !batch.isEmpty {
            try await self.records.store.batch(batch)
        }
    }

    /// Deletes for every key under the tenant's prefix and for the index entry of each API key.
    private func deletionOfOwnedRecords(_ id: UUID) async throws -> WriteBatch {
        var batch = WriteBatch()
        let apiKeyPrefix = StoreKey.apiKeys(of: id)
        for entry in try await self.records.entries(prefix: StoreKey.owned(by: id)) {
            batch.delete(entry.key)
            if entry.key.hasPrefix(apiKeyPrefix) {
                let key = try RecordCodec.decode(StoredAPIKey.self, from: entry.value.bytes, key: entry.key)
                batch.delete(StoreKey.apiKeyHash(key.sha256))
            }
        }
        return batch
    }
}
