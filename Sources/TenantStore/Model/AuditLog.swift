public import Foundation
import Synchronization

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

    /// `event`, validated, to be committed with the first change to a tenant that the task
    /// running with it as ``PendingAuditEvent/current`` makes.
    ///
    /// - Throws: ``TenantStoreError`` `.validationFailed`.
    public func pending(_ event: AuditEvent) throws -> PendingAuditEvent {
        try Self.validate(event)
        return PendingAuditEvent(event: event)
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

/// The audit event of a change still being made, committed in the same batch as the change.
///
/// A change and its audit record then become durable with one sync instead of two, and a crash
/// cannot keep the change while losing its record. The admin API sets ``current`` around each
/// mutating call; ``RecordStore/mutateTenant(_:_:)`` adds the event to the first batch it
/// commits. When no batch took it (the call failed, or changed nothing through a tenant
/// mutation) the caller appends it with ``AuditLog/append(_:)``. Work that outlives the change
/// (a task it starts) must not inherit ``current``.
public final class PendingAuditEvent: Sendable {
    /// The event the current task's next tenant change records.
    @TaskLocal public static var current: PendingAuditEvent?

    /// The event, outcome `success`: a batch takes it only when it commits.
    public let event: AuditEvent
    private let taken = Atomic<Bool>(false)

    init(event: AuditEvent) {
        self.event = event
    }

    /// Ends the change: no later batch may take the event. `true` when none has, so the event
    /// still needs appending; `false` when a committed batch holds it.
    public func close() -> Bool {
        self.take()
    }

    /// Claims the event for one batch; `false` when another batch has it.
    func take() -> Bool {
        self.taken.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
    }

    /// Releases the event after the batch that took it failed.
    func giveBack() {
        self.taken.store(false, ordering: .releasing)
    }
}
