public import Foundation

/// Reads and writes a tenant's configuration documents (`branding`, `features`, `commerce`,
/// `integrations`), validating every write against the section's schema.
///
/// Each write bumps the tenant's content version. Writes can be made conditional on the content
/// version a client last read (HTTP `If-Match`).
///
/// Credentials among the settings (the Zapier hook URL, whose path is its secret) are sealed
/// with the ``SecretBox`` before they are stored and opened when read, so the store's files
/// never hold them in clear; without a box such a field cannot be stored.
public struct ConfigurationRepository: Sendable {
    let records: RecordStore
    let secrets: SecretBox?

    /// The fields of each section that hold credentials.
    static let sealedFields: [ConfigurationKey: [String]] = [.integrations: ["zapier"]]

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
        guard
            let stored = try await self.records.read(
                JSONValue.self,
                at: StoreKey.configuration(of: tenant) + key.rawValue
            )
        else { return nil }
        return try self.opening(stored.value, key, tenant: tenant)
    }

    /// Replaces one section.
    ///
    /// Reads and decodes only that section, not the whole configuration: a section write is the
    /// admin API's most frequent call, and decoding every section was most of its JSON work.
    ///
    /// - Parameter expectedVersion: when given, the write happens only if the tenant's content
    ///   version still equals it.
    /// - Returns: The tenant's content version after the write (unchanged when the section
    ///   already held `section`).
    /// - Throws: ``TenantStoreError`` `.validationFailed` listing every problem (pointers from the
    ///   section's root), `.preconditionFailed` when `expectedVersion` is stale, `.notFound`.
    @discardableResult
    public func set(
        _ key: ConfigurationKey,
        to section: JSONValue,
        tenant: UUID,
        ifContentVersion expectedVersion: UInt64? = nil
    ) async throws -> UInt64 {
        var problems = ProblemList()
        key.validate(section, at: .root, into: &problems)
        try problems.throwIfAny("\(key.rawValue) configuration is invalid")
        let written = try await self.write(tenant: tenant, expectedVersion: expectedVersion, reading: [key]) {
            sections,
            mutation in
            guard sections[key] != section else { return }
            sections[key] = section
            try mutation.putRemembered(
                StoreKey.configuration(of: tenant) + key.rawValue,
                try self.sealing(section, key, tenant: tenant)
            )
        }
        return written.contentVersion
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
        let written = try await self.write(tenant: tenant, expectedVersion: expectedVersion, reading: nil) {
            sections,
            mutation in
            for key in ConfigurationKey.allCases {
                let recordKey = StoreKey.configuration(of: tenant) + key.rawValue
                if let section = replacement[key] {
                    try mutation.putRemembered(recordKey, try self.sealing(section, key, tenant: tenant))
                } else if sections[key] != nil {
                    mutation.delete(recordKey)
                }
            }
            sections = replacement
        }
        return try TenantConfiguration(sections: written.sections, contentVersion: written.contentVersion)
    }

    /// Removes one section, so the storefront falls back to defaults for it.
    @discardableResult
    public func remove(
        _ key: ConfigurationKey,
        tenant: UUID,
        ifContentVersion expectedVersion: UInt64? = nil
    ) async throws -> TenantConfiguration {
        let written = try await self.write(tenant: tenant, expectedVersion: expectedVersion, reading: nil) {
            sections,
            mutation in
            guard sections.removeValue(forKey: key) != nil else { return }
            mutation.delete(StoreKey.configuration(of: tenant) + key.rawValue)
        }
        return try TenantConfiguration(sections: written.sections, contentVersion: written.contentVersion)
    }

    /// Reads the sections named in `keys` (all when `nil`), lets `change` edit them and the
    /// mutation, and commits; the content version moves only when the sections changed.
    private func write(
        tenant: UUID,
        expectedVersion: UInt64?,
        reading keys: [ConfigurationKey]?,
        _ change: (inout [ConfigurationKey: JSONValue], inout TenantMutation) throws -> Void
    ) async throws -> (sections: [ConfigurationKey: JSONValue], contentVersion: UInt64) {
        let (sections, stored) = try await self.records.mutateTenant(tenant) { mutation in
            if let expectedVersion, expectedVersion != mutation.tenant.contentVersion {
                throw TenantStoreError(
                    code: .preconditionFailed,
                    message:
                        "configuration changed: content version is \(mutation.tenant.contentVersion), not \(expectedVersion)"
                )
            }
            var sections = try await self.sections(tenant, keys)
            let before = sections
            try change(&sections, &mutation)
            mutation.changesContent = sections != before
            return sections
        }
        return (sections, stored.contentVersion)
    }

    /// The sections named in `keys`, or all of them when `nil`.
    private func sections(_ tenant: UUID, _ keys: [ConfigurationKey]?) async throws -> [ConfigurationKey: JSONValue] {
        guard let keys else { return try await self.sections(tenant) }
        var sections: [ConfigurationKey: JSONValue] = [:]
        for key in keys {
            let recordKey = StoreKey.configuration(of: tenant) + key.rawValue
            guard let stored = try await self.records.read(JSONValue.self, at: recordKey) else { continue }
            sections[key] = try self.opening(stored.value, key, tenant: tenant)
        }
        return sections
    }

    private func sections(_ tenant: UUID) async throws -> [ConfigurationKey: JSONValue] {
        let prefix = StoreKey.configuration(of: tenant)
        var sections: [ConfigurationKey: JSONValue] = [:]
        for entry in try await self.records.entries(prefix: prefix) {
            guard let key = ConfigurationKey(rawValue: String(entry.key.dropFirst(prefix.count))) else { continue }
            let stored = try RecordCodec.decode(JSONValue.self, from: entry.value.bytes, key: entry.key)
            sections[key] = try self.opening(stored, key, tenant: tenant)
        }
        return sections
    }

    /// `section` with its credential fields sealed, as it is stored.
    func sealing(_ section: JSONValue, _ key: ConfigurationKey, tenant: UUID) throws -> JSONValue {
        guard let fields = Self.sealedFields[key], case .object(var object) = section else { return section }
        for field in fields {
            guard case .string(let value)? = object[field] else { continue }
            guard let secrets = self.secrets else {
                throw TenantStoreError(
                    code: .secretKeyUnavailable,
                    message: "\(key.rawValue).\(field) is a credential and no secret key is configured to seal it"
                )
            }
            let sealed = try secrets.seal(Array(value.utf8), context: Self.context(tenant, key, field))
            object[field] = .object(["sealed": .string(Data(sealed).base64EncodedString())])
        }
        return .object(object)
    }

    /// `stored` with its sealed credential fields opened.
    func opening(_ stored: JSONValue, _ key: ConfigurationKey, tenant: UUID) throws -> JSONValue {
        guard let fields = Self.sealedFields[key], case .object(var object) = stored else { return stored }
        for field in fields {
            guard case .object(let wrapper)? = object[field], case .string(let encoded)? = wrapper["sealed"] else {
                continue
            }
            guard let secrets = self.secrets else {
                throw TenantStoreError(
                    code: .secretKeyUnavailable,
                    message: "\(key.rawValue).\(field) is sealed and no secret key is configured to open it"
                )
            }
            guard let sealed = Data(base64Encoded: encoded) else {
                throw TenantStoreError(code: .corrupted, message: "\(key.rawValue).\(field) of \(tenant) is not base64")
            }
            let plaintext = try secrets.open(Array(sealed), context: Self.context(tenant, key, field))
            object[field] = .string(String(decoding: plaintext, as: UTF8.self))
        }
        return .object(object)
    }

    /// A whole document with each section's credentials sealed (`seal`) or opened (`!seal`).
    func transformingDocument(_ document: JSONValue, tenant: UUID, seal: Bool) throws -> JSONValue {
        guard case .object(var object) = document else { return document }
        for (name, section) in object {
            guard let key = ConfigurationKey(rawValue: name) else { continue }
            object[name] =
                seal ? try self.sealing(section, key, tenant: tenant) : try self.opening(section, key, tenant: tenant)
        }
        return .object(object)
    }

    /// Binds a sealed value to its place, so it cannot be copied into another tenant's settings.
    private static func context(_ tenant: UUID, _ key: ConfigurationKey, _ field: String) -> String {
        "configuration/\(tenant.uuidString.lowercased())/\(key.rawValue)/\(field)"
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
