import CSQLite

/// A SQLite database set up like the anchor in MEASUREMENTS.md: WAL, `synchronous=FULL` (an fsync
/// of the WAL at every commit), table `kv(key TEXT PRIMARY KEY, value BLOB)`, prepared statements.
///
/// One instance is one connection. It is `@unchecked Sendable` because the 64-writer workload
/// shares it between threads, always under that workload's mutex.
final class SQLiteDatabase: @unchecked Sendable {
    static var version: String { String(cString: sqlite3_libversion()) }

    private let handle: OpaquePointer
    private let upsert: OpaquePointer
    private let select: OpaquePointer
    private let range: OpaquePointer
    private let begin: OpaquePointer
    private let commit: OpaquePointer

    init(path: String) throws {
        var handle: OpaquePointer?
        let status = sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nil)
        guard status == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(handle)
            throw BenchError("sqlite open \(path): \(message)")
        }
        self.handle = handle
        do {
            try Self.execute(handle, "PRAGMA journal_mode=WAL")
            try Self.execute(handle, "PRAGMA synchronous=FULL")
            try Self.execute(handle, "CREATE TABLE IF NOT EXISTS kv(key TEXT PRIMARY KEY, value BLOB)")
            self.upsert = try Self.prepare(handle, "INSERT OR REPLACE INTO kv(key, value) VALUES (?1, ?2)")
            self.select = try Self.prepare(handle, "SELECT value FROM kv WHERE key = ?1")
            // The store's prefix scan: the primary key's index in order, from the prefix on.
            self.range = try Self.prepare(handle, "SELECT key FROM kv WHERE key >= ?1 ORDER BY key LIMIT ?2")
            self.begin = try Self.prepare(handle, "BEGIN")
            self.commit = try Self.prepare(handle, "COMMIT")
        } catch {
            sqlite3_close_v2(handle)
            throw error
        }
    }

    deinit {
        for statement in [self.upsert, self.select, self.range, self.begin, self.commit] {
            sqlite3_finalize(statement)
        }
        sqlite3_close_v2(self.handle)
    }

    /// One durable commit: outside ``transaction(_:)`` the statement is its own transaction.
    func put(_ key: String, _ value: [UInt8]) throws {
        try key.withCString { keyPointer in
            try value.withUnsafeBytes { valueBytes in
                // SQLITE_STATIC (nil): both buffers outlive the step, so SQLite need not copy them.
                sqlite3_bind_text(self.upsert, 1, keyPointer, -1, nil)
                sqlite3_bind_blob(self.upsert, 2, valueBytes.baseAddress, Int32(valueBytes.count), nil)
                defer { sqlite3_reset(self.upsert) }
                try self.check(sqlite3_step(self.upsert), expect: SQLITE_DONE, "INSERT OR REPLACE")
            }
        }
    }

    /// The value of `key`, copied out as the store's `get` returns it.
    func get(_ key: String) throws -> [UInt8]? {
        try key.withCString { keyPointer in
            sqlite3_bind_text(self.select, 1, keyPointer, -1, nil)
            defer { sqlite3_reset(self.select) }
            let status = sqlite3_step(self.select)
            if status == SQLITE_DONE { return nil }
            try self.check(status, expect: SQLITE_ROW, "SELECT")
            let count = Int(sqlite3_column_bytes(self.select, 0))
            guard let blob = sqlite3_column_blob(self.select, 0) else { return [] }
            return [UInt8](UnsafeRawBufferPointer(start: blob, count: count))
        }
    }

    /// How many keys, up to `limit`, start with `prefix`, stepping through the keys in order.
    func countKeys(prefix: String, limit: Int) throws -> Int {
        try prefix.withCString { prefixPointer in
            sqlite3_bind_text(self.range, 1, prefixPointer, -1, nil)
            sqlite3_bind_int64(self.range, 2, Int64(limit))
            defer { sqlite3_reset(self.range) }
            var count = 0
            while true {
                let status = sqlite3_step(self.range)
                if status == SQLITE_DONE { return count }
                try self.check(status, expect: SQLITE_ROW, "SELECT range")
                guard let key = sqlite3_column_text(self.range, 0), String(cString: key).hasPrefix(prefix) else {
                    return count
                }
                count += 1
            }
        }
    }

    /// Runs `body` in one transaction: one WAL fsync for all of its puts.
    func transaction(_ body: () throws -> Void) throws {
        try self.run(self.begin, "BEGIN")
        try body()
        try self.run(self.commit, "COMMIT")
    }

    /// Copies the WAL into the database and truncates it: SQLite's counterpart of compaction.
    func checkpoint() throws {
        try Self.execute(self.handle, "PRAGMA wal_checkpoint(TRUNCATE)")
    }

    private func run(_ statement: OpaquePointer, _ what: String) throws {
        defer { sqlite3_reset(statement) }
        try self.check(sqlite3_step(statement), expect: SQLITE_DONE, what)
    }

    private func check(_ status: Int32, expect: Int32, _ what: String) throws {
        guard status == expect else {
            throw BenchError("sqlite \(what): \(String(cString: sqlite3_errmsg(self.handle)))")
        }
    }

    private static func execute(_ handle: OpaquePointer, _ sql: String) throws {
        guard sqlite3_exec(handle, sql, nil, nil, nil) == SQLITE_OK else {
            throw BenchError("sqlite \(sql): \(String(cString: sqlite3_errmsg(handle)))")
        }
    }

    private static func prepare(_ handle: OpaquePointer, _ sql: String) throws -> OpaquePointer {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw BenchError("sqlite prepare \(sql): \(String(cString: sqlite3_errmsg(handle)))")
        }
        return statement
    }
}
