public import Foundation

/// Stores a tenant's templates and keeps exactly one of them active: activating one deactivates
/// the previous one in the same batch, so no reader ever sees zero or two active templates.
public struct TemplateRepository: Sendable {
    /// The most templates one tenant may store.
    public static let maximumTemplatesPerTenant = 50

    let records: RecordStore

    /// Creates or replaces a template.
    ///
    /// `isActive: true` makes it the active template. `isActive: false` leaves activation as it
    /// is, since there is no such thing as having no active template: the active template stays
    /// active (activate another to switch), and the tenant's first template becomes active.
    ///
    /// - Throws: ``TenantStoreError`` `.validationFailed`, `.notFound`.
    @discardableResult
    public func save(_ template: Template, tenant: UUID) async throws -> Template {
        var problems = ProblemList()
        template.validate(into: &problems)
        try problems.throwIfAny("template is invalid")
        return try await self.records.mutateTenant(tenant) { mutation in
            let stored = try await self.records.all(Template.self, prefix: StoreKey.templates(of: tenant)).map(\.value)
            let existing = stored.first { $0.name == template.name }
            if existing == nil, stored.count >= Self.maximumTemplatesPerTenant {
                throw TenantStoreError.validationFailed(
                    "a tenant may store at most \(Self.maximumTemplatesPerTenant) templates",
                    pointer: ""
                )
            }
            let now = Date()
            var saved = template
            saved.createdAt = existing?.createdAt ?? now
            saved.updatedAt = now
            let othersActive = stored.filter { $0.isActive && $0.name != template.name }
            if saved.isActive {
                try self.deactivate(othersActive, at: now, tenant: tenant, in: &mutation)
            } else {
                saved.isActive = existing?.isActive == true || othersActive.isEmpty
            }
            try mutation.put(StoreKey.templates(of: tenant) + saved.name, saved)
            mutation.changesContent = true
            return saved
        }.result
    }

    /// Makes `name` the active template and deactivates the previous one, atomically.
    ///
    /// - Throws: ``TenantStoreError`` `.notFound`.
    @discardableResult
    public func activate(_ name: String, tenant: UUID) async throws -> Template {
        try await self.records.mutateTenant(tenant) { mutation in
            let stored = try await self.records.all(Template.self, prefix: StoreKey.templates(of: tenant)).map(\.value)
            guard var template = stored.first(where: { $0.name == name }) else {
                throw TenantStoreError.notFound("template '\(name)' not found")
            }
            guard !template.isActive else { return template }
            let now = Date()
            try self.deactivate(stored.filter(\.isActive), at: now, tenant: tenant, in: &mutation)
            template.isActive = true
            template.updatedAt = now
            try mutation.put(StoreKey.templates(of: tenant) + name, template)
            mutation.changesContent = true
            return template
        }.result
    }

    /// Deletes a template.
    ///
    /// - Throws: ``TenantStoreError`` `.notFound`, or `.conflict` when it is the active template
    ///   and others exist (activate another first).
    public func delete(_ name: String, tenant: UUID) async throws {
        _ = try await self.records.mutateTenant(tenant) { mutation in
            let stored = try await self.records.all(Template.self, prefix: StoreKey.templates(of: tenant)).map(\.value)
            guard let template = stored.first(where: { $0.name == name }) else {
                throw TenantStoreError.notFound("template '\(name)' not found")
            }
            if template.isActive, stored.count > 1 {
                throw TenantStoreError.conflict("template '\(name)' is active; activate another one before deleting it")
            }
            mutation.delete(StoreKey.templates(of: tenant) + name)
            mutation.changesContent = true
        }
    }

    /// One template.
    ///
    /// - Throws: ``TenantStoreError`` `.notFound`.
    public func template(_ name: String, tenant: UUID) async throws -> Template {
        guard FieldRule.slug.problem(with: name) == nil,
            let template = try await self.records.read(Template.self, at: StoreKey.templates(of: tenant) + name)
        else {
            throw TenantStoreError.notFound("template '\(name)' not found")
        }
        return template.value
    }

    /// All of the tenant's templates, by name.
    public func list(tenant: UUID) async throws -> [Template] {
        try await self.records.all(Template.self, prefix: StoreKey.templates(of: tenant)).map(\.value)
    }

    /// The active template, or `nil` when the tenant has none yet.
    public func active(tenant: UUID) async throws -> Template? {
        try await self.list(tenant: tenant).first(where: \.isActive)
    }

    private func deactivate(
        _ templates: [Template],
        at now: Date,
        tenant: UUID,
        in mutation: inout TenantMutation
    ) throws {
        for var template in templates {
            template.isActive = false
            template.updatedAt = now
            try mutation.put(StoreKey.templates(of: tenant) + template.name, template)
        }
    }
}
