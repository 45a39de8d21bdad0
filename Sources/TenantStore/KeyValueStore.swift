/// An ordered, durable key-value store: the interface every tenant repository is written against.
///
/// Keys are printable ASCII (`0x21...0x7E`, at most ``KeyValueLimits/maximumKeyLength`` bytes) and
/// sort byte-wise, so a key prefix selects a contiguous range. Every successful write gets a
/// sequence number from one global, gap-free sequence; a key's ``StoredValue/version`` is the
/// sequence number of the write that last stored it.
///
/// A write returns only once it is durable. A ``batch(_:)`` is all-or-nothing, and its
/// preconditions are checked atomically with the write, which is what keeps unique indexes
/// (subdomains, custom domains, API-key hashes) consistent when many callers race.
public protocol KeyValueStore: Sendable {
    /// The current value of `key`, or `nil` when it is absent.
    ///
    /// Reads run on the caller's executor (`nonisolated(nonsending)`): a read from an actor does
    /// not hop to the global executor and back.
    nonisolated(nonsending) func get(_ key: String) async throws -> StoredValue?

    /// The current version of `key`, or `nil` when it is absent (or the store is closed),
    /// without its value and without awaiting: cheap enough for an event loop checking that
    /// something it read earlier is still current.
    func version(of key: String) -> UInt64?

    /// The sequence number of the last write that changed the store, without awaiting; `nil`
    /// when the store cannot say (or is closed). While it stays the same, so does every key's
    /// version: a caller that checked versions once needs only this to know they still hold.
    var latestVersion: UInt64? { get }

    /// Stores `value` under `key` and returns the new version once it is durable.
    @discardableResult
    func put(_ key: String, _ value: [UInt8]) async throws -> UInt64

    /// Removes `key` (a no-op write when it is absent) and returns the commit's sequence number.
    @discardableResult
    func delete(_ key: String) async throws -> UInt64

    /// Up to `limit` entries whose key starts with `prefix`, in key order, strictly after `cursor`.
    nonisolated(nonsending) func scan(prefix: String, after cursor: String?, limit: Int) async throws -> ScanPage

    /// Applies every operation of `batch` atomically once all its preconditions hold.
    ///
    /// - Throws: ``TenantStoreError`` with code ``TenantStoreError/Code/preconditionFailed``
    ///   naming the first key whose precondition did not hold; nothing is written then.
    /// - Returns: the sequence number of the batch's last operation. The operations take
    ///   consecutive numbers in order, each the version it leaves on its key, so the returned
    ///   number tells every key's new version (``WriteBatch/stored(_:committedAt:)``).
    @discardableResult
    func batch(_ batch: WriteBatch) async throws -> UInt64
}

extension KeyValueStore {
    /// No shortcut: callers check each key's ``version(of:)``.
    public var latestVersion: UInt64? { nil }
}

/// A value read from a ``KeyValueStore`` with the version it was written at.
public struct StoredValue: Sendable, Hashable {
    /// The stored bytes.
    public var bytes: [UInt8]
    /// The sequence number of the write that stored these bytes.
    public var version: UInt64

    public init(bytes: [UInt8], version: UInt64) {
        self.bytes = bytes
        self.version = version
    }
}

/// One page of an ordered prefix scan.
public struct ScanPage: Sendable, Hashable {
    /// The entries, in ascending key order.
    public var entries: [ScanEntry]
    /// Pass as `after:` to continue; `nil` when the scan reached the end of the prefix.
    public var nextCursor: String?

    public init(entries: [ScanEntry], nextCursor: String?) {
        self.entries = entries
        self.nextCursor = nextCursor
    }
}

/// One key and its value in a ``ScanPage``.
public struct ScanEntry: Sendable, Hashable {
    /// The key.
    public var key: String
    /// The value and its version.
    public var value: StoredValue

    public init(key: String, value: StoredValue) {
        self.key = key
        self.value = value
    }
}

/// A condition a ``WriteBatch`` requires of one key before any of its operations apply.
public enum WritePrecondition: Sendable, Hashable {
    /// The key must not exist.
    case absent
    /// The key must exist, at any version.
    case present
    /// The key must exist at exactly this version.
    case version(UInt64)
}

/// One write in a ``WriteBatch``.
public enum WriteOperation: Sendable, Hashable {
    /// Store the bytes under the key.
    case put(key: String, value: [UInt8])
    /// Remove the key.
    case delete(key: String)

    /// The key this operation writes.
    public var key: String {
        switch self {
        case .put(let key, _), .delete(let key): key
        }
    }
}

/// An atomic group of writes with the preconditions that must hold for it to apply.
public struct WriteBatch: Sendable, Hashable {
    /// The preconditions, checked together with the write, in order.
    public var preconditions: [(key: String, condition: WritePrecondition)] {
        get { self.conditionList.map { ($0.key, $0.condition) } }
        set { self.conditionList = newValue.map { Condition(key: $0.key, condition: $0.condition) } }
    }
    /// The writes, applied in order (a later write to the same key wins).
    public var operations: [WriteOperation]

    private var conditionList: [Condition]

    private struct Condition: Sendable, Hashable {
        var key: String
        var condition: WritePrecondition
    }

    public init() {
        self.operations = []
        self.conditionList = []
    }

    /// Requires `condition` of `key` for the batch to apply.
    public mutating func require(_ key: String, _ condition: WritePrecondition) {
        self.conditionList.append(Condition(key: key, condition: condition))
    }

    /// Adds a put of `value` under `key`.
    public mutating func put(_ key: String, _ value: [UInt8]) {
        self.operations.append(.put(key: key, value: value))
    }

    /// What `key` holds once this batch committed as `sequence` (what ``KeyValueStore/batch(_:)``
    /// returned): the bytes of its last put and their version, or `nil` when the batch leaves
    /// it absent or does not write it.
    public func stored(_ key: String, committedAt sequence: UInt64) -> StoredValue? {
        guard let index = self.operations.lastIndex(where: { $0.key == key }),
            case .put(_, let bytes) = self.operations[index]
        else { return nil }
        return StoredValue(bytes: bytes, version: sequence - UInt64(self.operations.count - 1 - index))
    }

    /// Adds a delete of `key`.
    public mutating func delete(_ key: String) {
        self.operations.append(.delete(key: key))
    }

    /// Adds `other`'s preconditions and operations after this batch's own.
    public mutating func append(_ other: WriteBatch) {
        self.conditionList += other.conditionList
        self.operations += other.operations
    }

    /// True when the batch has no operations (preconditions alone write nothing).
    public var isEmpty: Bool { self.operations.isEmpty }
}

/// Sizes the store refuses to exceed.
public enum KeyValueLimits {
    /// The longest key, in bytes.
    public static let maximumKeyLength = 1024
    /// The largest value, in bytes.
    public static let maximumValueLength = 16 * 1024 * 1024
    /// The largest batch, in bytes of keys and values together.
    public static let maximumBatchBytes = 64 * 1024 * 1024
}
