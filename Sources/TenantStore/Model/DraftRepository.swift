public import Foundation

/// A tenant's unpublished design: a whole configuration document and/or the name of the template
/// to activate, kept beside the live ones until ``DraftRepository/deploy(tenant:)`` publishes it.
public struct TenantDraft: Sendable, Hashable, Codable {
    /// The configuration document to publish (every section; sections it lacks are removed), or
    /// `nil` to keep the live configuration.
    public var configuration: JSONValue?
    /// The template to activate: a saved template, or a built-in theme name that deploy saves as
    /// a template; `nil` to keep the active one.
    public var template: String?
    public var updatedAt: Date

    public init(configuration: JSONValue? = nil, template: String? = nil, updatedAt: Date = Date()) {
        self.configuration = configuration
        self.template = template
        self.updatedAt = updatedAt
    }
}

/// Stores each tenant's ``TenantDraft`` under its own key and publishes it atomically.
///
/// Draft writes never bump the content version: nothing a shopper sees changes until deploy,
/// which replaces the configuration, activates the template and removes the draft in one batch.
public struct DraftRepository: Sendable {
    let records: RecordStore
    /// Seals the draft's credentials the way the live configuration's are sealed.
    let configuration: ConfigurationRepository

    /// The tenant's draft, or `nil` when there is none.
    ///
    /// - Throws: ``TenantStoreError`` `.notFound` when the tenant is absent or deleted.
    public func draft(tenant: UUID) async throws -> TenantDraft? {
        _ = try await self.records.liveTenant(tenant)
        guard let stored = try await self.records.read(TenantDraft.self, at: StoreKey.draft(of: tenant))?.value else {
            return nil
        }
        return try self.opened(stored, tenant: tenant)
    }

    /// The draft with its configuration's credentials opened, as callers see it.
    private func opened(_ stored: TenantDraft, tenant: UUID) throws -> TenantDraft {
        var draft = stored
        draft.configuration = try draft.configuration.map {
            try self.configuration.transformingDocument($0, tenant: tenant, seal: false)
        }
        return draft
    }

    /// Replaces the draft's configuration document, keeping its template.
    ///
    /// - Throws: ``TenantStoreError`` `.validationFailed` listing every problem (pointers from the
    ///   document's root), `.notFound`.
    @discardableResult
    public func setConfiguration(_ document: JSONValue, tenant: UUID) async throws -> TenantDraft {
        let problems = ConfigurationRepository.problems(in: document)
        guard problems.isEmpty else {
            throw TenantStoreError(
                code: .validationFailed,
                message: "draft configuration is invalid: \(problems.count) problem(s)",
                problems: problems
            )
        }
        let sealed = try self.configuration.transformingDocument(document, tenant: tenant, seal: true)
        return try self.opened(try await self.change(tenant: tenant) { $0.configuration = sealed }, tenant: tenant)
    }

    /// Names the draft's template, keeping its configuration.
    ///
    /// - Throws: ``TenantStoreError`` `.validationFailed` for a name that is not a slug, `.notFound`.
    @discardableResult
    public func setTemplate(_ name: String, tenant: UUID) async throws -> TenantDraft {
        var problems = ProblemList()
        problems.check(name, .slug, at: .root.appending("name"))
        try problems.throwIfAny("draft template is invalid")
        return try self.opened(try await self.change(tenant: tenant) { $0.template = name }, tenant: tenant)
    }

    /// Removes the draft; removing a draft that does not exist changes nothing.
    public func discard(tenant: UUID) async throws {
        _ = try await self.records.mutateTenant(tenant) { mutation in
            mutation.delete(StoreKey.draft(of: tenant))
        }
    }

    /// The configuration a preview renders: the draft's document when it has one, else the live one.
    public func previewConfiguration(tenant: UUID) async throws -> TenantConfiguration {
        let live = try await self.configuration.configuration(tenant: tenant)
        guard let document = try await self.draft(tenant: tenant)?.configuration else { return live }
        let sections = Dictionary(
            uniqueKeysWithValues: (document.objectValue ?? [:]).compactMap { name, section in
                ConfigurationKey(rawValue: name).map { ($0, section) }
            }
        )
        return try TenantConfiguration(sections: sections, contentVersion: live.contentVersion)
    }

    /// Publishes the draft: its configuration replaces the live one, its template becomes the
    /// active one, and the draft is removed, all in one batch that bumps the content version.
    ///
    /// - Returns: the tenant as stored, with its new content version.
    /// - Throws: ``TenantStoreError`` `.conflict` when there is no draft, `.validationFailed` when
    ///   the draft names a template that is not a valid slug, `.notFound`.
    @discardableResult
    public func deploy(tenant: UUID) async throws -> Tenant {
        try await self.records.mutateTenant(tenant) { mutation in
            guard let draft = try await self.records.read(TenantDraft.self, at: StoreKey.draft(of: tenant))?.value
            else {
                throw TenantStoreError.conflict("tenant \(tenant.keyComponent) has no draft to deploy")
            }
            if let document = draft.configuration {
                let configurationPrefix = StoreKey.configuration(of: tenant)
                for entry in try await self.records.entries(prefix: configurationPrefix) {
                    mutation.delete(entry.key)
                }
                for (name, section) in document.objectValue ?? [:] where ConfigurationKey(rawValue: name) != nil {
                    try mutation.put(configurationPrefix + name, section)
                }
            }
            if let name = draft.template {
                try await self.activate(name, tenant: tenant, in: &mutation)
            }
            mutation.delete(StoreKey.draft(of: tenant))
            mutation.changesContent = true
        }.tenant
    }

    /// Makes `name` the only active template in `mutation`, saving a plain template of that name
    /// (a built-in theme) when the tenant has not stored one.
    private func activate(_ name: String, tenant: UUID, in mutation: inout TenantMutation) async throws {
        let now = Date()
        let stored = try await self.records.all(Template.self, prefix: StoreKey.templates(of: tenant)).map(\.value)
        for var template in stored where template.isActive && template.name != name {
            template.isActive = false
            template.updatedAt = now
            try mutation.put(StoreKey.templates(of: tenant) + template.name, template)
        }
        var chosen = stored.first(where: { $0.name == name }) ?? Template(name: name, createdAt: now, updatedAt: now)
        guard !chosen.isActive else { return }
        if stored.count >= TemplateRepository.maximumTemplatesPerTenant, !stored.contains(where: { $0.name == name }) {
            throw TenantStoreError.validationFailed(
                "a tenant may store at most \(TemplateRepository.maximumTemplatesPerTenant) templates",
                pointer: "/template"
            )
        }
        chosen.isActive = true
        chosen.updatedAt = now
        try mutation.put(StoreKey.templates(of: tenant) + name, chosen)
    }

    private func change(tenant: UUID, _ edit: (inout TenantDraft) -> Void) async throws -> TenantDraft {
        try await self.records.mutateTenant(tenant) { mutation in
            var draft =
                try await self.records.read(TenantDraft.self, at: StoreKey.draft(of: tenant))?.value ?? TenantDraft()
            edit(&draft)
            draft.updatedAt = Date()
            try mutation.put(StoreKey.draft(of: tenant), draft)
            return draft
        }.result
    }
}

extension StoreKey {
    /// Inside the tenant's prefix, so deleting the tenant deletes its draft.
    static func draft(of tenant: UUID) -> String {
        Self.owned(by: tenant) + "draft"
    }
}
