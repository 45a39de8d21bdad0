import Foundation

/// The byte format of every value the model stores: one byte of schema version, then JSON.
///
/// The version byte lets a reader recognise records written by an older build and upgrade them in
/// memory (see ``SchemaMigration``), so the service keeps working before ``TenantData/migrate(store:)``
/// has rewritten them.
enum RecordCodec {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        // Sorted keys make equal records byte-identical, which keeps backups and diffs stable.
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static let decoder = JSONDecoder()

    static func encode(_ value: some Encodable) throws -> [UInt8] {
        [TenantData.currentSchemaVersion] + (try Self.encoder.jsonText(value))
    }

    static func decode<Value: Decodable>(_ type: Value.Type, from bytes: [UInt8], key: String) throws -> Value {
        guard let version = bytes.first else {
            throw TenantStoreError(code: .corrupted, message: "record '\(key)' is empty")
        }
        guard version >= 1, version <= TenantData.currentSchemaVersion else {
            throw TenantStoreError(
                code: .unsupportedVersion,
                message:
                    "record '\(key)' has schema version \(version); this build reads up to \(TenantData.currentSchemaVersion)"
            )
        }
        do {
            let json = bytes.dropFirst()
            if version == TenantData.currentSchemaVersion {
                return try Self.decoder.decode(Value.self, fromJSON: json)
            }
            let document = try JSONValue(parsing: json)
            return try SchemaMigration.upgrade(document, from: version, key: key).decode(as: Value.self)
        } catch {
            throw TenantStoreError(code: .corrupted, message: "record '\(key)' does not decode", cause: error)
        }
    }
}
