public import Foundation

/// Reads and writes a tenant's configuration documents (`branding`, `features`, `commerce`,
/// `integrations`), validating every write against the section's schema.
///
/// Each write bumps the tenant's content version. Writes can be made conditional on the content
/// version a client last read (HTTP `If-Match`).
public struct ConfigurationRepository: Sendable {
    let records: RecordStore

    /// Every problem in a whole configuration document, with pointers from its root; empty when
    /// it is valid.
    public static func problems(in document: JSONValue) -> [ValidationProblem] {
        var problems = ProblemList()
        Self.validate(document, into: &problems)
        return problems.problems
    }

    /// Every problem in one section document, with pointers from the section's root.
    public static func problems(in section: JSONValue, as key: ConfigurationKey) -> [ValidationProblem] {
        var problems = ProblemList()
        key.validate(section, at: .root, into: &problems)
        return problems.problems
    }

    /// All configuration sections of a tenant.
    public func configuration(tenant: UUID) async throws -> TenantConfiguration {
        // The version is read before the sections, so a write landing in between pairs newer
        // sections with an older version: a later conditional write then fails (safe) rather
        // than succeeding over changes its author never saw.
        let current = try await self.records.liveTenant(tenant)
        return try TenantConfiguration(
            sections: try await self.sections(tenant),
            contentVersion: current.value.contentVersion
        )
    }

    /// One section, or `nil` when it is not set.
    public func section(_ key: ConfigurationKey, tenant: UUID) async throws -> JSONValue? {
        _ = try await self.records.liveTenant(tenant)
        return try await self.records.read(JSONValue.self, at: StoreKey.configuration(of: tenant) + key.rawValue)?.value
    }

    /// Replaces one section.
    ///
    /// - Parameter expectedVersion: when given, the write happens only if the tenant's content
    ///   version still equals it.
    /// - Throws: ``TenantStoreError`` `.validationFailed` listing every problem (pointers from the
    ///   section's root), `.preconditionFailed` when `expectedVersion` is stale, `.notFound`.
    @discardableResult
    public func set(
        _ key: ConfigurationKey,
        to section: JSONValue,
        tenant: UUID,
        ifContentVersion expectedVersion: UInt64? = nil
    ) async throws -> TenantConfiguration {
        var problems = ProblemList()
        key.validate(section, at: .root, into: &problems)
        try problems.throwIfAny("\(key.rawValue) configuration is invalid")
        return try await self.write(tenant: tenant, expectedVersion: expectedVersion) { sections, mutation in
            guard sections[key] != section else { return }
            sections[key] = section
            try mutation.put(StoreKey.configuration(of: tenant) + key.rawValue, section)
        }
    }

    /// Replaces the whole configuration: sections in `document` are written, the others removed.
    ///
    /// - Throws: ``TenantStoreError`` `.validationFailed` listing every problem (pointers from the
    ///   document's root, including unknown section names), `.preconditionFailed`, `.notFound`.
    @discardableResult
    public func replace(
        with document: JSONValue,
        tenant: UUID,
        ifContentVersion expectedVersion: UInt64? = nil
    ) async throws -> TenantConfiguration {
        var problems = ProblemList()
        Self.validate(document, into: &problems)
        try problems.throwIfAny("configuration is invalid")
        let replacement = Dictionary(
            uniqueKeysWithValues: (document.objectValue ?? [:]).compactMap { name, section in
                ConfigurationKey(rawValue: name).map { ($0, section) }
            }
        )
        return try await self.write(tenant: tenant, expectedVersion: expectedVersion) { sections, mutation in
            for key in ConfigurationKey.allCases {
                let recordKey = StoreKey.configuration(of: tenant) + key.rawValue
                if let section = replacement[key] {
                    try mutation.put(recordKey, section)
                } else if sections[key] != nil {
                    mutation.delete(recordKey)
                }
            }
            sections = replacement
        }
    }

    /// Removes one section, so the storefront falls back to defaults for it.
    @discardableResult
    public func remove(
        _ key: ConfigurationKey,
        tenant: UUID,
        ifContentVersion expectedVersion: UInt64? = nil
    ) async throws -> TenantConfiguration {
        try await self.write(tenant: tenant, expectedVersion: expectedVersion) { sections, mutation in
            guard sections.removeValue(forKey: key) != nil else { return }
            mutation.delete(StoreKey.configuration(of: tenant) + key.rawValue)
        }
    }

    private func write(
        tenant: UUID,
        expectedVersion: UInt64?,
        _ change: (inout [ConfigurationKey: JSONValue], inout TenantMutation) throws -> Void
    ) async throws -> TenantConfiguration {
        let (sections, stored) = try await self.records.mutateTenant(tenant) { mutation in
            if let expectedVersion, expectedVersion != mutation.tenant.contentVersion {
                throw TenantStoreError(
                    code: .preconditionFailed,
                    message:
                        "configuration changed: content version is \(mutation.tenant.contentVersion), not \(expectedVersion)"
                )
            }
            var sections = try await self.sections(tenant)
            let before = sections
            try change(&sections, &mutation)
            mutation.changesContent = sections != before
            return sections
        }
        return try TenantConfiguration(sections: sections, contentVersion: stored.contentVersion)
    }

    private func sections(_ tenant: UUID) async throws -> [ConfigurationKey: JSONValue] {
        let prefix = StoreKey.configuration(of: tenant)
        var sections: [ConfigurationKey: JSONValue] = [:]
        for entry in try await self.records.entries(prefix: prefix) {
            guard let key = ConfigurationKey(rawValue: String(entry.key.dropFirst(prefix.count))) else { continue }
            sections[key] = try RecordCodec.decode(JSONValue.self, from: entry.value.bytes, key: entry.key)
        }
        return sections
    }

    private static func validate(_ document: JSONValue, into problems: inout ProblemList) {
        guard let object = document.objectValue else {
            problems.add(.root, "expected object, got \(document.typeName)")
            return
        }
        for (name, section) in object.sorted(by: { $0.key < $1.key }) {
            guard let key = ConfigurationKey(rawValue: name) else {
                problems.add(.root.appending(name), "unknown configuration key '\(name)'")
                continue
            }
            key.validate(section, at: .root.appending(name), into: &problems)
        }
    }
}
