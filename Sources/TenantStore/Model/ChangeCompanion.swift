import Synchronization

/// Records that describe a change still being made — its audit event, the webhook deliveries
/// that announce it — committed in the same batch as the change.
///
/// A change and the records about it then become durable with one sync, and a crash cannot keep
/// the change while losing them. Run the change inside ``accompanying(_:)``: the first batch
/// that creates, changes or deletes a tenant for the task takes every companion the task
/// carries, building its records from the tenant as that batch leaves it and from what the
/// change's mutation returned. A batch that fails gives its companions back for the next one.
/// Work that outlives the change (a task it starts) runs in ``withoutCompanions(_:)``.
public final class ChangeCompanion: Sendable {
    /// Builds the records from the tenant as the committing batch leaves it and the value the
    /// change's mutation returned (`()` for a creation or deletion), with the preconditions
    /// they rest on. Called again for each attempt: a batch that fails a precondition (the
    /// change's or the records') is retried by the change's writer.
    public typealias Records = @Sendable (_ tenant: Tenant, _ result: Any) async throws -> WriteBatch

    @TaskLocal static var current: [ChangeCompanion] = []

    let records: Records
    private let taken = Atomic<Bool>(false)

    public init(records: @escaping Records) {
        self.records = records
    }

    /// Runs `change` with this companion added to the task's.
    public func accompanying<Result>(_ change: () async throws -> Result) async rethrows -> Result {
        try await Self.$current.withValue(Self.current + [self], operation: change)
    }

    /// Runs `work` without the task's companions, so nothing it starts can take them.
    public static func withoutCompanions<Result>(_ work: () throws -> Result) rethrows -> Result {
        try Self.$current.withValue([], operation: work)
    }

    /// Ends the change: no later batch may take this companion. `true` when none has, so its
    /// records were never committed; `false` when a committed batch holds them.
    public func close() -> Bool {
        self.take()
    }

    /// Claims the companion for one batch; `false` when another batch has it.
    func take() -> Bool {
        self.taken.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
    }

    /// Releases the companion after the batch that took it failed.
    func giveBack() {
        self.taken.store(false, ordering: .releasing)
    }
}

extension RecordStore {
    /// Commits `batch`, which leaves `tenant` as given, with the records of every companion of
    /// the current task that no earlier batch took; then remembers each of `remembered`'s
    /// values whose bytes are what the batch left under its key.
    func commit(
        _ batch: WriteBatch,
        leaving tenant: Tenant,
        result: Any = (),
        remembering remembered: TenantMutation.Remembered = [:]
    ) async throws {
        let companions = ChangeCompanion.current.filter { $0.take() }
        do {
            var batch = batch
            for companion in companions {
                batch.append(try await companion.records(tenant, result))
            }
            let sequence = try await self.store.batch(batch)
            for (key, record) in remembered {
                guard let stored = batch.stored(key, committedAt: sequence), stored.bytes == record.bytes else {
                    continue
                }
                self.decoded.remember(record.value, at: key, version: stored.version, byteCount: stored.bytes.count)
            }
        } catch {
            for companion in companions {
                companion.giveBack()
            }
            throw error
        }
    }
}
