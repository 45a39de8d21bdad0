import Foundation

extension TenantData {
    /// What ``migrate(store:)`` did.
    public struct MigrationReport: Sendable, Hashable {
        /// Records read.
        public var examined = 0
        /// Records rewritten at ``TenantData/currentSchemaVersion``.
        public var migrated = 0
    }

    /// Rewrites every record stored with an older schema version at ``currentSchemaVersion``.
    ///
    /// Safe to run while the service is live and safe to repeat: each page of records is
    /// rewritten in one batch that requires every record to be at the version read, and a page
    /// that lost a race is read again. Readers upgrade old records in memory meanwhile, so running
    /// it is about not paying that cost forever, not about correctness.
    ///
    /// - Throws: ``TenantStoreError`` `.unsupportedVersion` for a record from a newer build.
    @discardableResult
    public static func migrate(store: any KeyValueStore) async throws -> MigrationReport {
        var report = MigrationReport()
        for prefix in StoreKey.topLevelPrefixes {
            var after: String? = nil
            repeat {
                let page = try await store.scan(prefix: prefix, after: after, limit: 256)
                report.examined += page.entries.count
                report.migrated += try await Self.migrate(page.entries, in: store)
                after = page.nextCursor
            } while after != nil
        }
        return report
    }

    /// Migrates the outdated entries of one page, reading them again after a lost race.
    private static func migrate(_ entries: [ScanEntry], in store: any KeyValueStore) async throws -> Int {
        var pending = entries
        for attempt in 0..<RecordStore.maximumAttempts {
            var batch = WriteBatch()
            for entry in pending {
                guard let version = entry.value.bytes.first, (1...Self.currentSchemaVersion).contains(version) else {
                    throw TenantStoreError(
                        code: .unsupportedVersion,
                        message: "record '\(entry.key)' has schema version \(entry.value.bytes.first ?? 0), "
                            + "this build knows 1–\(Self.currentSchemaVersion)"
                    )
                }
                guard version < Self.currentSchemaVersion else { continue }
                batch.require(entry.key, .version(entry.value.version))
                batch.put(entry.key, try SchemaMigration.upgrade(entry.value.bytes, key: entry.key))
            }
            guard !batch.isEmpty else { return 0 }
            do {
                try await store.batch(batch)
                return batch.operations.count
            } catch let error as TenantStoreError where error.code == .preconditionFailed {
                var reread: [ScanEntry] = []
                for entry in pending {
                    if let value = try await store.get(entry.key) {
                        reread.append(ScanEntry(key: entry.key, value: value))
                    }
                }
                pending = reread
                try await RecordStore.backOff(attempt: attempt)
            }
        }
        throw TenantStoreError.conflict("records kept changing during migration; run it again")
    }
}

/// The upgrade steps between schema versions, shared by ``TenantData/migrate(store:)`` (which
/// rewrites records) and ``RecordCodec`` (which upgrades old records as it reads them).
enum SchemaMigration {
    /// A stored record's bytes, upgraded to the current schema version.
    static func upgrade(_ bytes: [UInt8], key: String) throws -> [UInt8] {
        guard let version = bytes.first, version >= 1, version <= TenantData.currentSchemaVersion else {
            throw TenantStoreError(code: .unsupportedVersion, message: "record '\(key)' has an unknown schema version")
        }
        let document = try JSONValue(parsing: Data(bytes.dropFirst()))
        return try RecordCodec.encode(Self.upgrade(document, from: version, key: key))
    }

    static func upgrade(_ document: JSONValue, from version: UInt8, key: String) -> JSONValue {
        var document = document
        for step in version..<TenantData.currentSchemaVersion {
            document = Self.step(from: step, document, key: key)
        }
        return document
    }

    private static func step(from version: UInt8, _ document: JSONValue, key: String) -> JSONValue {
        switch version {
        case 1 where key.hasPrefix(StoreKey.tenants):
            // v1 tenants came from the plan's SQL schema: one nullable `customDomain` column.
            guard var tenant = document.objectValue else { return document }
            let domain = tenant.removeValue(forKey: "customDomain")?.stringValue
            tenant["customDomains"] = .array(domain.map { [.string($0)] } ?? [])
            return .object(tenant)
        default:
            return document
        }
    }
}
