import TenantStore

/// The two engines every workload runs on.
enum Engine: String, CaseIterable {
    case store
    case sqlite

    var displayName: String {
        switch self {
        case .store: "FileKeyValueStore"
        case .sqlite: "SQLite"
        }
    }

    /// The prefix of this engine's keys in results/store.json: the store's figures carry the plain
    /// names the targets refer to, SQLite's the same names with `sqlite_` in front.
    var metricPrefix: String {
        switch self {
        case .store: ""
        case .sqlite: "sqlite_"
        }
    }

    /// Opens (creating if needed) the engine's data in `directory`.
    func open(directory: String) throws -> any EngineConnection {
        switch self {
        case .store: try StoreConnection(directory: directory)
        case .sqlite: try SQLiteConnection(directory: directory)
        }
    }
}

/// What the shared workloads need of an engine: durable single-key commits, point reads, bulk
/// writes in 1,000-key transactions (the anchor's "bulk"), and compaction.
protocol EngineConnection {
    /// One durable commit of one key.
    func put(_ key: String, _ value: [UInt8]) async throws
    /// The size of the value stored under `key`, or `nil` when it is absent.
    func valueSize(_ key: String) async throws -> Int?
    /// Writes every key once, document `index + valueOffset` for the key at `index`, 1,000 keys per
    /// atomic commit.
    func bulkWrite(keys: [String], documents: Documents, valueOffset: Int) async throws
    /// Reclaims the space of overwritten values and returns once that is done.
    func compact() async throws
    /// How many keys, up to `limit`, start with `prefix`, read in key order.
    func countKeys(prefix: String, limit: Int) async throws -> Int
    func close()
}

/// Keys per commit in bulk writes, as in the anchor's bulk test.
private let bulkCommitKeys = 1000

/// FileKeyValueStore through its public API only.
final class StoreConnection: EngineConnection {
    let store: FileKeyValueStore

    init(directory: String) throws {
        self.store = try FileKeyValueStore.open(directory: directory)
    }

    func put(_ key: String, _ value: [UInt8]) async throws {
        try await self.store.put(key, value)
    }

    func valueSize(_ key: String) async throws -> Int? {
        try await self.store.get(key)?.bytes.count
    }

    func bulkWrite(keys: [String], documents: Documents, valueOffset: Int) async throws {
        for start in stride(from: 0, to: keys.count, by: bulkCommitKeys) {
            var batch = WriteBatch()
            for index in start..<min(start + bulkCommitKeys, keys.count) {
                batch.put(keys[index], documents.value(index + valueOffset))
            }
            try await self.store.batch(batch)
        }
    }

    func compact() async throws {
        try await self.store.compact()
    }

    func countKeys(prefix: String, limit: Int) async throws -> Int {
        try await self.store.scan(prefix: prefix, after: nil, limit: limit).entries.count
    }

    func close() {
        self.store.close()
    }
}

/// SQLite configured as the anchor (see ``SQLiteDatabase``).
final class SQLiteConnection: EngineConnection {
    let database: SQLiteDatabase

    init(directory: String) throws {
        self.database = try SQLiteDatabase(path: directory + "/kv.sqlite")
    }

    func put(_ key: String, _ value: [UInt8]) throws {
        try self.database.put(key, value)
    }

    func valueSize(_ key: String) throws -> Int? {
        try self.database.get(key)?.count
    }

    func bulkWrite(keys: [String], documents: Documents, valueOffset: Int) throws {
        for start in stride(from: 0, to: keys.count, by: bulkCommitKeys) {
            try self.database.transaction {
                for index in start..<min(start + bulkCommitKeys, keys.count) {
                    try self.database.put(keys[index], documents.value(index + valueOffset))
                }
            }
        }
    }

    /// SQLite rewrites pages in place, so its only reclaimable space is the WAL.
    func compact() throws {
        try self.database.checkpoint()
    }

    func countKeys(prefix: String, limit: Int) throws -> Int {
        try self.database.countKeys(prefix: prefix, limit: limit)
    }

    /// Nothing to do: the connection closes when the last reference goes.
    func close() {}
}
