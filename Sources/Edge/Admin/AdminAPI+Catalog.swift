import Foundation
import HTTPTypes
import Hummingbird
import TenantStore

/// `/api/tenants/{id}/products` and `/api/tenants/{id}/categories`: catalog CRUD. The bulk import
/// lives in `AdminAPI+ProductImport.swift`.
extension AdminAPI {
    /// A product as a client sends it: every field optional, so that a missing one is a `422`
    /// naming the field rather than a decoding error, and `createdAt`/`updatedAt` (set by the
    /// store) are ignored when a client sends back what it read.
    struct ProductInput: Decodable, Sendable {
        var slug: String?
        var name: String?
        var description: String?
        var priceMinor: Int?
        var currency: String?
        var images: [String]?
        var categorySlug: String?
        var attributes: [String: String]?
        var featured: Bool?

        /// The product, or the required fields that are missing. `slug` comes from the path on
        /// `PUT`; a body that names another slug is refused rather than renaming the product.
        func product(slug pathSlug: String? = nil) -> Result<Product, ProblemReport> {
            var problems: [ValidationProblem] = []
            if let pathSlug, let slug, slug != pathSlug {
                problems.append(ValidationProblem(pointer: "/slug", message: "must match the slug in the path"))
            }
            let resolvedSlug = pathSlug ?? self.slug
            let required: [(String, Bool)] = [
                ("slug", resolvedSlug == nil), ("name", self.name == nil),
                ("priceMinor", self.priceMinor == nil), ("currency", self.currency == nil),
            ]
            for (field, missing) in required where missing {
                problems.append(ValidationProblem(pointer: "/\(field)", message: "is required"))
            }
            guard problems.isEmpty, let resolvedSlug, let name, let priceMinor, let currency else {
                return .failure(ProblemReport(problems: problems))
            }
            return .success(
                Product(
                    slug: resolvedSlug,
                    name: name,
                    description: self.description ?? "",
                    priceMinor: priceMinor,
                    currency: currency,
                    images: self.images ?? [],
                    categorySlug: self.categorySlug,
                    attributes: self.attributes ?? [:],
                    featured: self.featured ?? false
                )
            )
        }
    }

    /// Field-level problems of one document, as an `Error` so it can travel in a `Result`.
    struct ProblemReport: Error, Sendable {
        var problems: [ValidationProblem]
    }

    /// A category as a client sends it; see ``ProductInput`` for why every field is optional.
    struct CategoryInput: Decodable, Sendable {
        var slug: String?
        var name: String?
        var description: String?
        var position: Int?

        func category(slug pathSlug: String? = nil) throws -> ProductCategory {
            var problems: [ValidationProblem] = []
            if let pathSlug, let slug, slug != pathSlug {
                problems.append(ValidationProblem(pointer: "/slug", message: "must match the slug in the path"))
            }
            let resolvedSlug = pathSlug ?? self.slug
            if resolvedSlug == nil { problems.append(ValidationProblem(pointer: "/slug", message: "is required")) }
            if self.name == nil { problems.append(ValidationProblem(pointer: "/name", message: "is required")) }
            guard problems.isEmpty, let resolvedSlug, let name else {
                throw AdminProblem.unprocessable("category is invalid", errors: problems)
            }
            return ProductCategory(
                slug: resolvedSlug,
                name: name,
                description: self.description ?? "",
                position: self.position ?? 0
            )
        }
    }

    func registerCatalogRoutes(on api: RouterGroup<AdminRequestContext>) {
        self.registerProductRoutes(on: api)
        self.registerCategoryRoutes(on: api)
        api.post("tenants/:id/products/import") { request, context in
            let id = try Self.tenantID(context, .write)
            return try await self.importProducts(request, context: context, tenant: id)
        }
    }

    private func registerProductRoutes(on api: RouterGroup<AdminRequestContext>) {
        api.get("tenants/:id/products") { request, context in
            let id = try Self.tenantID(context, .read)
            let (limit, cursor) = try Self.paging(request)
            _ = try await self.data.tenants.tenant(id)
            let page = try await self.data.catalog.products(tenant: id, limit: limit, after: cursor)
            return try Self.json(AdminPage(items: page.items, nextCursor: page.nextCursor))
        }
        api.post("tenants/:id/products") { request, context in
            let id = try Self.tenantID(context, .write)
            let input = try await Self.decode(ProductInput.self, from: request, context: context)
            let created = try await self.data.catalog.createProduct(try Self.require(input.product()), tenant: id)
            return try Self.json(
                created,
                status: .created,
                headers: [.location: "/api/tenants/\(id.uuidString.lowercased())/products/\(created.slug)"]
            )
        }
        api.get("tenants/:id/products/:slug") { _, context in
            let id = try Self.tenantID(context, .read)
            return try Self.json(
                try await self.data.catalog.product(try context.parameters.require("slug"), tenant: id)
            )
        }
        api.put("tenants/:id/products/:slug") { request, context in
            let id = try Self.tenantID(context, .write)
            let slug = try context.parameters.require("slug")
            let input = try await Self.decode(ProductInput.self, from: request, context: context)
            let product = try Self.require(input.product(slug: slug))
            return try Self.json(try await self.data.catalog.updateProduct(product, tenant: id))
        }
        api.delete("tenants/:id/products/:slug") { _, context in
            let id = try Self.tenantID(context, .write)
            try await self.data.catalog.deleteProduct(try context.parameters.require("slug"), tenant: id)
            return Response(status: .noContent)
        }
    }

    private func registerCategoryRoutes(on api: RouterGroup<AdminRequestContext>) {
        api.get("tenants/:id/categories") { _, context in
            let id = try Self.tenantID(context, .read)
            _ = try await self.data.tenants.tenant(id)
            return try Self.json(AdminPage(items: try await self.data.catalog.categories(tenant: id), nextCursor: nil))
        }
        api.post("tenants/:id/categories") { request, context in
            let id = try Self.tenantID(context, .write)
            let input = try await Self.decode(CategoryInput.self, from: request, context: context)
            let created = try await self.data.catalog.createCategory(try input.category(), tenant: id)
            return try Self.json(
                created,
                status: .created,
                headers: [.location: "/api/tenants/\(id.uuidString.lowercased())/categories/\(created.slug)"]
            )
        }
        api.get("tenants/:id/categories/:slug") { _, context in
            let id = try Self.tenantID(context, .read)
            return try Self.json(
                try await self.data.catalog.category(try context.parameters.require("slug"), tenant: id)
            )
        }
        api.put("tenants/:id/categories/:slug") { request, context in
            let id = try Self.tenantID(context, .write)
            let slug = try context.parameters.require("slug")
            let input = try await Self.decode(CategoryInput.self, from: request, context: context)
            return try Self.json(try await self.data.catalog.updateCategory(try input.category(slug: slug), tenant: id))
        }
        api.delete("tenants/:id/categories/:slug") { _, context in
            let id = try Self.tenantID(context, .write)
            try await self.data.catalog.deleteCategory(try context.parameters.require("slug"), tenant: id)
            return Response(status: .noContent)
        }
    }

    private static func require(_ result: Result<Product, ProblemReport>) throws -> Product {
        switch result {
        case .success(let product): return product
        case .failure(let report): throw AdminProblem.unprocessable("product is invalid", errors: report.problems)
        }
    }
}
