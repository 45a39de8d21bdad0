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
