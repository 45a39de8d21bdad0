import Foundation
import Render
import TenantStore

/// A URL the load generators request, and the size of its body.
struct Target: Sendable {
    enum Kind: String, Sendable {
        case home
        case category
        case product
        case asset
    }

    var kind: Kind
    var host: String
    var path: String
    var bytes: Int
}

/// Writes one tenant's pages as nginx serves them: `{docroot}/{host}/index.html` for `/`, and
/// every other page or asset at its own path under `{docroot}/{host}` (`categories/{slug}`,
/// `products/{slug}`, `assets/{fingerprint}/{file}`).
struct StaticSite: Sendable {
    var docroot: String
    var platformDomain: String
    var port: Int

    /// Renders the tenant the way the edge does (same records, same theme compilation, same
    /// storefront origin) and returns its id and the URLs written.
    func write(
        _ subdomain: String,
        from data: TenantData,
        themes: ThemeLibrary
    ) async throws -> (id: UUID, targets: [Target]) {
        guard let tenant = try await data.tenants.tenant(subdomain: subdomain) else {
            throw SeedError("tenant \(subdomain) is missing after seeding")
        }
        let configuration = try await data.configuration.configuration(tenant: tenant.id)
        var products: [Product] = []
        var cursor: String?
        repeat {
            let page = try await data.catalog.products(tenant: tenant.id, limit: 500, after: cursor)
            products += page.items
            cursor = page.nextCursor
        } while cursor != nil
        let categories = try await data.catalog.categories(tenant: tenant.id)
        guard let template = try await data.templates.active(tenant: tenant.id) else {
            throw SeedError("tenant \(subdomain) has no active template")
        }
        let renderer = Renderer(
            theme: try themes.compile(template),
            storefront: Storefront(
                tenant: tenant,
                configuration: configuration,
                products: products,
                categories: categories,
                platformDomain: self.platformDomain,
                port: self.port
            )
        )

        let host = "\(subdomain).\(self.platformDomain)"
        var pages: [(Target.Kind, String, StorefrontPage)] = [(.home, "/", .home)]
        pages += categories.map { (.category, "/categories/\($0.slug)", .category(slug: $0.slug)) }
        pages += products.map { (.product, "/products/\($0.slug)", .product(slug: $0.slug)) }
        var targets: [Target] = []
        for (kind, path, page) in pages {
            let rendered = renderer.render(page)
            guard rendered.status == 200 else {
                throw SeedError("\(host)\(path) rendered status \(rendered.status)")
            }
            try self.save(rendered.body, host: host, path: path == "/" ? "/index.html" : path)
            targets.append(Target(kind: kind, host: host, path: path, bytes: rendered.body.count))
        }
        for asset in renderer.assets {
            try self.save(asset.body, host: host, path: asset.path)
            targets.append(Target(kind: .asset, host: host, path: asset.path, bytes: asset.body.count))
        }
        return (tenant.id, targets)
    }

    private func save(_ body: [UInt8], host: String, path: String) throws {
        let file = URL(filePath: self.docroot).appending(path: host).appending(path: String(path.dropFirst()))
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(body).write(to: file)
    }
}
