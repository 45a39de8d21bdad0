public import Foundation

/// The append-only audit log. Events live outside every tenant's prefix, so they survive the
/// tenant's deletion.
public struct AuditLog: Sendable {
    let records: RecordStore

    /// Appends `event` durably.
    ///
    /// - Throws: ``TenantStoreError`` `.validationFailed`.
    public func append(_ event: AuditEvent) async throws {
        var problems = ProblemList()
        event.validate(into: &problems)
        try problems.throwIfAny("audit event is invalid")
        try await self.records.store.put(
            StoreKey.audit(of: event.tenantId) + event.id.descendingKey,
            try RecordCodec.encode(event)
        )
    }

    /// The events of one tenant, or the platform-level events when `tenant` is `nil`, newest first.
    public func events(tenant: UUID?, limit: Int = 100, after cursor: String? = nil) async throws -> Page<AuditEvent> {
        try await self.records.page(AuditEvent.self, prefix: StoreKey.audit(of: tenant), after: cursor, limit: limit)
    }
}
