public import Foundation

extension CatalogRepository {
    /// The most categories one tenant may have.
    public static let maximumCategoriesPerTenant = 500

    /// Adds a category.
    ///
    /// - Throws: ``TenantStoreError`` `.validationFailed`, `.conflict` when the slug is taken,
    ///   `.notFound`.
    @discardableResult
    public func createCategory(_ category: ProductCategory, tenant: UUID) async throws -> ProductCategory {
        try Self.validate(category)
        _ = try await self.records.mutateTenant(tenant) { mutation in
            let existing = try await self.records.entries(prefix: StoreKey.categories(of: tenant))
            let key = StoreKey.categories(of: tenant) + category.slug
            guard !existing.contains(where: { $0.key == key }) else {
                throw TenantStoreError.conflict("category '\(category.slug)' already exists")
            }
            guard existing.count < Self.maximumCategoriesPerTenant else {
                throw TenantStoreError.validationFailed(
                    "a tenant may have at most \(Self.maximumCategoriesPerTenant) categories",
                    pointer: ""
                )
            }
            try mutation.put(key, category)
            mutation.changesContent = true
        }
        return category
    }

    /// Replaces an existing category.
    ///
    /// - Throws: ``TenantStoreError`` `.validationFailed`, `.notFound`.
    @discardableResult
    public func updateCategory(_ category: ProductCategory, tenant: UUID) async throws -> ProductCategory {
        try Self.validate(category)
        _ = try await self.records.mutateTenant(tenant) { mutation in
            let key = StoreKey.categories(of: tenant) + category.slug
            guard try await self.records.store.get(key) != nil else {
                throw TenantStoreError.notFound("category '\(category.slug)' not found")
            }
            try mutation.put(key, category)
            mutation.changesContent = true
        }
        return category
    }

    /// Deletes a category. Products that name it keep their `categorySlug` and are shown
    /// uncategorised until they are updated.
    ///
    /// - Throws: ``TenantStoreError`` `.notFound`.
    public func deleteCategory(_ slug: String, tenant: UUID) async throws {
        _ = try await self.records.mutateTenant(tenant) { mutation in
            let key = StoreKey.categories(of: tenant) + slug
            guard FieldRule.slug.problem(with: slug) == nil, try await self.records.store.get(key) != nil else {
                throw TenantStoreError.notFound("category '\(slug)' not found")
            }
            mutation.delete(key)
            mutation.changesContent = true
        }
    }

    /// One category.
    ///
    /// - Throws: ``TenantStoreError`` `.notFound`.
    public func category(_ slug: String, tenant: UUID) async throws -> ProductCategory {
        guard FieldRule.slug.problem(with: slug) == nil,
            let category = try await self.records.read(ProductCategory.self, at: StoreKey.categories(of: tenant) + slug)
        else {
            throw TenantStoreError.notFound("category '\(slug)' not found")
        }
        return category.value
    }

    /// All of the tenant's categories in navigation order (position, then slug).
    public func categories(tenant: UUID) async throws -> [ProductCategory] {
        try await self.records.all(ProductCategory.self, prefix: StoreKey.categories(of: tenant)).map(\.value).sorted {
            ($0.position, $0.slug) < ($1.position, $1.slug)
        }
    }

    private static func validate(_ category: ProductCategory) throws {
        var problems = ProblemList()
        category.validate(into: &problems)
        try problems.throwIfAny("category is invalid")
    }
}
