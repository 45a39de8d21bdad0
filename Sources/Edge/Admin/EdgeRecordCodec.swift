import Foundation
import TenantStore

/// The byte format of the admin plane's own records under `edge/…` (provisioning jobs, webhooks
/// and their deliveries): one format byte, then JSON.
///
/// These records live outside TenantData's prefixes, so its schema migration never rewrites
/// them; the format byte is what lets a later build recognise and upgrade them instead.
enum EdgeRecordCodec {
    static let format: UInt8 = 1

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    static func encode(_ value: some Encodable) throws -> [UInt8] {
        [Self.format] + (try Self.encoder.jsonText(value))
    }

    static func decode<Value: Decodable>(_ type: Value.Type, from bytes: [UInt8], key: String) throws -> Value {
        guard bytes.first == Self.format else {
            throw TenantStoreError(
                code: .unsupportedVersion,
                message: "record '\(key)' has format \(bytes.first ?? 0); this build reads \(Self.format)"
            )
        }
        do {
            return try Self.decoder.decode(Value.self, fromJSON: bytes.dropFirst())
        } catch {
            throw TenantStoreError(code: .corrupted, message: "record '\(key)' does not decode", cause: error)
        }
    }

    /// Every record under `prefix`, decoded, in key order.
    static func all<Value: Decodable>(
        _ type: Value.Type,
        prefix: String,
        in store: any KeyValueStore
    ) async throws -> [Value] {
        var values: [Value] = []
        try await Self.forEachPage(under: prefix, in: store) { entries in
            for entry in entries {
                values.append(try Self.decode(Value.self, from: entry.value.bytes, key: entry.key))
            }
        }
        return values
    }

    /// Deletes every record under `prefix` that `isExpired` picks, a page at a time; returns
    /// how many.
    static func deleteAll<Value: Decodable>(
        _ type: Value.Type,
        prefix: String,
        in store: any KeyValueStore,
        where isExpired: (Value) -> Bool
    ) async throws -> Int {
        var deleted = 0
        try await Self.forEachPage(under: prefix, in: store) { entries in
            var batch = WriteBatch()
            for entry in entries where isExpired(try Self.decode(Value.self, from: entry.value.bytes, key: entry.key)) {
                batch.delete(entry.key)
                deleted += 1
            }
            if !batch.isEmpty { try await store.batch(batch) }
        }
        return deleted
    }

    /// Calls `body` with the entries under `prefix`, a page of up to 1,000 at a time, in key order.
    static func forEachPage(
        under prefix: String,
        in store: any KeyValueStore,
        _ body: ([ScanEntry]) async throws -> Void
    ) async throws {
        var after: String?
        repeat {
            let page = try await store.scan(prefix: prefix, after: after, limit: 1000)
            try await body(page.entries)
            after = page.nextCursor
        } while after != nil
    }
}
