public import Foundation

/// The append-only audit log. Events live outside every tenant's prefix, so they survive the
/// tenant's deletion.
public struct AuditLog: Sendable {
    let records: RecordStore

    /// Appends `event` durably.
    ///
    /// - Throws: ``TenantStoreError`` `.validationFailed`.
    public func append(_ event: AuditEvent) async throws {
        try Self.validate(event)
        try await self.records.store.put(Self.key(of: event), try RecordCodec.encode(event))
    }

    /// `event`, validated, as a companion of the change it records: committed with the change,
    /// or never when ``ChangeCompanion/close()`` says no batch took it (then append it).
    ///
    /// - Throws: ``TenantStoreError`` `.validationFailed`.
    public func pending(_ event: AuditEvent) throws -> ChangeCompanion {
        try Self.validate(event)
        var record = WriteBatch()
        record.put(Self.key(of: event), try RecordCodec.encode(event))
        return ChangeCompanion { [record] _, _ in record }
    }

    /// Deletes the events made before `cutoff`, of every tenant (deleted ones too) and of the
    /// platform; returns how many.
    ///
    /// Without it the log only grows, and the store keeps every value in memory: at 10 admin
    /// writes a second, about 400 MB a day. Each owner's events are keyed newest first, so the
    /// expired ones are the tail after the key an event made at `cutoff` would have: one short
    /// scan finds each owner and the tail is deleted a page at a time, without reading the
    /// events kept.
    public func prune(before cutoff: Date) async throws -> Int {
        let store = self.records.store
        let boundary = RecordID(earliestAt: cutoff).descendingKey
        var deleted = 0
        var nextOwner: String?
        while true {
            let first = try await store.scan(prefix: StoreKey.auditRoot, after: nextOwner, limit: 1).entries.first
            guard let key = first?.key else { break }
            guard let slash = key.utf8.dropFirst(StoreKey.auditRoot.utf8.count).firstIndex(of: UInt8(ascii: "/")) else {
                // Not an event key; the owners after it still get pruned.
                nextOwner = key
                continue
            }
            let owner = String(key[...slash])
            while true {
                let expired = try await store.scan(prefix: owner, after: owner + boundary, limit: 1000).entries
                guard !expired.isEmpty else { break }
                var batch = WriteBatch()
                for entry in expired { batch.delete(entry.key) }
                try await store.batch(batch)
                deleted += expired.count
            }
            // Past every key of this owner: "~" sorts after the identifiers' base32 digits.
            nextOwner = owner + "~"
        }
        return deleted
    }

    static func key(of event: AuditEvent) -> String {
        StoreKey.audit(of: event.tenantId) + event.id.descendingKey
    }

    private static func validate(_ event: AuditEvent) throws {
        var problems = ProblemList()
        event.validate(into: &problems)
        try problems.throwIfAny("audit event is invalid")
    }

    /// The events of one tenant, or the platform-level events when `tenant` is `nil`, newest first.
    public func events(tenant: UUID?, limit: Int = 100, after cursor: String? = nil) async throws -> Page<AuditEvent> {
        try await self.records.page(AuditEvent.self, prefix: StoreKey.audit(of: tenant), after: cursor, limit: limit)
    }
}
