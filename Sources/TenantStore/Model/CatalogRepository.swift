public import Foundation

/// A tenant's products and categories. Every write is validated and bumps the tenant's content
/// version, so cached storefront pages showing the old catalog are never served again.
public struct CatalogRepository: Sendable {
    /// The most products one ``saveProducts(_:tenant:)`` call may write.
    public static let maximumProductsPerBatch = 1000

    let records: RecordStore

    /// Adds a product.
    ///
    /// - Throws: ``TenantStoreError`` `.validationFailed`, `.conflict` when the slug is taken,
    ///   `.notFound` for an absent or deleted tenant.
    @discardableResult
    public func createProduct(_ product: Product, tenant: UUID) async throws -> Product {
        try Self.validate([product], pointer: { _ in .root })
        return try await self.records.mutateTenant(tenant) { mutation in
            let key = StoreKey.products(of: tenant) + product.slug
            guard try await self.records.store.get(key) == nil else {
                throw TenantStoreError.conflict("product '\(product.slug)' already exists")
            }
            var created = product
            created.createdAt = Date()
            created.updatedAt = created.createdAt
            try mutation.put(key, created)
            mutation.changesContent = true
            return created
        }.result
    }

    /// Replaces an existing product, keeping its creation time.
    ///
    /// - Throws: ``TenantStoreError`` `.validationFailed`, `.notFound`.
    @discardableResult
    public func updateProduct(_ product: Product, tenant: UUID) async throws -> Product {
        try Self.validate([product], pointer: { _ in .root })
        return try await self.records.mutateTenant(tenant) { mutation in
            let key = StoreKey.products(of: tenant) + product.slug
            guard let existing = try await self.records.read(Product.self, at: key) else {
                throw TenantStoreError.notFound("product '\(product.slug)' not found")
            }
            var updated = product
            updated.createdAt = existing.value.createdAt
            updated.updatedAt = Date()
            try mutation.put(key, updated)
            mutation.changesContent = true
            return updated
        }.result
    }

    /// Creates or replaces many products in one atomic write with one content-version bump:
    /// the way to import or seed a catalog.
    ///
    /// - Throws: ``TenantStoreError`` `.validationFailed` with pointers like `/3/priceMinor`
    ///   (index into `products`), `.invalidArgument` for too many or duplicate slugs.
    @discardableResult
    public func saveProducts(_ products: [Product], tenant: UUID) async throws -> [Product] {
        guard products.count <= Self.maximumProductsPerBatch else {
            throw TenantStoreError.invalidArgument("at most \(Self.maximumProductsPerBatch) products per call")
        }
        guard Set(products.map(\.slug)).count == products.count else {
            throw TenantStoreError.invalidArgument("product slugs must be unique within one call")
        }
        try Self.validate(products, pointer: { JSONPointer.root.appending($0) })
        guard !products.isEmpty else { return [] }
        return try await self.records.mutateTenant(tenant) { mutation in
            let now = Date()
            var saved: [Product] = []
            for product in products {
                let key = StoreKey.products(of: tenant) + product.slug
                var stored = product
                stored.createdAt = try await self.records.read(Product.self, at: key)?.value.createdAt ?? now
                stored.updatedAt = now
                try mutation.put(key, stored)
                saved.append(stored)
            }
            mutation.changesContent = true
            return saved
        }.result
    }

    /// Deletes a product.
    ///
    /// - Throws: ``TenantStoreError`` `.notFound`.
    public func deleteProduct(_ slug: String, tenant: UUID) async throws {
        _ = try await self.records.mutateTenant(tenant) { mutation in
            let key = StoreKey.products(of: tenant) + slug
            guard FieldRule.slug.problem(with: slug) == nil, try await self.records.store.get(key) != nil else {
                throw TenantStoreError.notFound("product '\(slug)' not found")
            }
            mutation.delete(key)
            mutation.changesContent = true
        }
    }

    /// One product of the tenant.
    ///
    /// - Throws: ``TenantStoreError`` `.notFound`, also for a slug that only another tenant has.
    public func product(_ slug: String, tenant: UUID) async throws -> Product {
        guard FieldRule.slug.problem(with: slug) == nil,
            let product = try await self.records.read(Product.self, at: StoreKey.products(of: tenant) + slug)
        else {
            throw TenantStoreError.notFound("product '\(slug)' not found")
        }
        return product.value
    }

    /// The tenant's products in slug order.
    public func products(tenant: UUID, limit: Int = 100, after cursor: String? = nil) async throws -> Page<Product> {
        try await self.records.page(Product.self, prefix: StoreKey.products(of: tenant), after: cursor, limit: limit)
    }

    private static func validate(_ products: [Product], pointer: (Int) -> JSONPointer) throws {
        var problems = ProblemList()
        for (index, product) in products.enumerated() {
            product.validate(at: pointer(index), into: &problems)
        }
        try problems.throwIfAny(products.count == 1 ? "product is invalid" : "products are invalid")
    }
}
