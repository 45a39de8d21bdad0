import Foundation

/// A value read from the store together with the version it was stored at.
struct Versioned<Value> {
    var value: Value
    var version: UInt64
}

/// Typed reads over a ``KeyValueStore``: decoding, paging and the shared limits on listings.
struct RecordStore: Sendable {
    static let maximumPageSize = 1000
    /// Internal full scans read this many entries per round trip.
    private static let scanChunk = 1000

    let store: any KeyValueStore
    /// Decoded records by version; shared by every copy of this record store.
    let decoded = DecodedRecords()

    init(store: any KeyValueStore) {
        self.store = store
    }

    func read<Value: Decodable & Sendable>(_ type: Value.Type, at key: String) async throws -> Versioned<Value>? {
        guard let stored = try await self.store.get(key) else { return nil }
        if let value = self.decoded.value(Value.self, at: key, version: stored.version) {
            return Versioned(value: value, version: stored.version)
        }
        let value = try RecordCodec.decode(Value.self, from: stored.bytes, key: key)
        self.decoded.remember(value, at: key, version: stored.version, byteCount: stored.bytes.count)
        return Versioned(value: value, version: stored.version)
    }

    /// One page of the records under `prefix`, skipping those `include` rejects.
    ///
    /// The cursor is the key suffix after `prefix` of the last record examined, so a page that
    /// skipped records still resumes exactly where it stopped.
    func page<Value: Decodable & Sendable>(
        _ type: Value.Type,
        prefix: String,
        after cursor: String?,
        limit: Int,
        where include: (Value) -> Bool = { _ in true }
    ) async throws -> Page<Value> {
        guard (1...Self.maximumPageSize).contains(limit) else {
            throw TenantStoreError.invalidArgument("limit must be 1–\(Self.maximumPageSize), not \(limit)")
        }
        if let cursor {
            guard !cursor.isEmpty, cursor.utf8.count <= 256, cursor.utf8.allSatisfy({ (0x21...0x7E).contains($0) })
            else {
                throw TenantStoreError.invalidArgument("cursor is malformed")
            }
        }
        var items: [Value] = []
        var after = cursor.map { prefix + $0 }
        while true {
            let scan = try await self.store.scan(prefix: prefix, after: after, limit: limit)
            for entry in scan.entries {
                let value = try RecordCodec.decode(Value.self, from: entry.value.bytes, key: entry.key)
                guard include(value) else { continue }
                items.append(value)
                if items.count == limit {
                    let isLast = entry.key == scan.entries.last?.key && scan.nextCursor == nil
                    return Page(items: items, nextCursor: isLast ? nil : String(entry.key.dropFirst(prefix.count)))
                }
            }
            guard let next = scan.nextCursor else {
                return Page(items: items, nextCursor: nil)
            }
            after = next
        }
    }

    /// Every entry under `prefix`, for collections that are small by construction or for sweeps.
    func entries(prefix: String) async throws -> [ScanEntry] {
        var entries: [ScanEntry] = []
        var after: String? = nil
        repeat {
            let scan = try await self.store.scan(prefix: prefix, after: after, limit: Self.scanChunk)
            entries += scan.entries
            after = scan.nextCursor
        } while after != nil
        return entries
    }

    /// Every record under `prefix`, decoded, in key order.
    func all<Value: Decodable>(_ type: Value.Type, prefix: String) async throws -> [Versioned<Value>] {
        try await self.entries(prefix: prefix).map { entry in
            Versioned(
                value: try RecordCodec.decode(Value.self, from: entry.value.bytes, key: entry.key),
                version: entry.value.version
            )
        }
    }
}
