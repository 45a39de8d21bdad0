import Foundation
import Render
import TenantStore

/// Previews: a tenant's page rendered with its draft configuration and template, for the admin
/// API. A preview never touches the page cache or the renderer cache: both are keyed by the
/// live content version, which a draft does not change, so a cached preview would be served to
/// shoppers as the live store.
extension StorefrontService {
    /// The page at `path` (and `query`) as it will look once the tenant's draft is deployed;
    /// the live configuration and active template stand in for what the draft does not set.
    ///
    /// Renders whatever the tenant's status, so a suspended store can be checked before it is
    /// resumed.
    ///
    /// - Throws: ``TenantStoreError`` `.notFound` for a deleted tenant, ``RenderError`` when the
    ///   template does not compile.
    func preview(tenant: Tenant, path: String, query: String?) async throws -> CachedPage {
        let configuration = try await self.data.drafts.previewConfiguration(tenant: tenant.id)
        let draft = try await self.data.drafts.draft(tenant: tenant.id)
        let theme = try await self.previewTheme(tenant: tenant.id, draftTemplate: draft?.template)
        var products: [Product] = []
        var cursor: String?
        repeat {
            let page = try await self.data.catalog.products(tenant: tenant.id, limit: 500, after: cursor)
            products += page.items
            cursor = page.nextCursor
        } while cursor != nil
        let storefront = Storefront(
            tenant: tenant,
            configuration: configuration,
            products: products,
            categories: try await self.data.catalog.categories(tenant: tenant.id),
            platformDomain: self.platformDomain,
            port: self.configuration.publicPort
        )
        let page = self.render(
            StorefrontRoute(path: path, query: query),
            with: Renderer(theme: theme, storefront: storefront)
        )
        var headers = page.headers.filter { $0.0.lowercased() != "cache-control" }
        headers += [("Cache-Control", "no-store"), ("X-Robots-Tag", "noindex")]
        return CachedPage(
            status: page.status,
            headers: headers,
            body: page.identityBody,
            gzipBody: nil
        )
    }

    /// The draft's template (a saved one, else the built-in theme of that name), else the active
    /// template, else the base theme.
    func previewTheme(tenant: UUID, draftTemplate: String?) async throws -> Theme {
        if let name = draftTemplate {
            let template: Template
            if let saved = try await self.data.templates.list(tenant: tenant).first(where: { $0.name == name }) {
                template = saved
            } else {
                guard self.themes.theme(named: name) != nil else {
                    throw RenderError(code: .unknownTheme, message: "there is no template or theme named '\(name)'")
                }
                template = Template(name: name)
            }
            return try self.themes.compile(template)
        }
        if let active = try await self.data.templates.active(tenant: tenant) {
            return try self.themes.compile(active)
        }
        guard let base = self.themes.theme(named: ThemeLibrary.baseThemeName) else {
            throw RenderError(code: .unknownTheme, message: "the base theme is missing")
        }
        return base
    }
}
