import Foundation
public import Logging
import NIOCore
public import Render
import Synchronization
public import TenantStore

/// The storefront of every tenant: resolves the tenant from the request's host, answers pages
/// from the ``PageCache`` (rendering a miss with Render) and takes shoppers' orders and
/// consultation requests.
///
/// ```swift
/// let service = StorefrontService(
///     store: store, platformDomain: "localhost", themes: try .builtIn(),
///     cache: PageCache(budgetBytes: 256 << 20), logger: logger
/// )
/// let response = service.immediateResponse(to: request) ?? await service.respond(to: request)
/// ```
///
/// Resolution: the host is normalised (``HostName``); an invalid one gets `400`. A platform
/// subdomain or an exact custom domain names the tenant; `www.` of a custom domain redirects
/// (`301`) to the apex that the tenant owns. Unknown hosts get a neutral `404` that names no
/// tenant, deleted tenants the same, suspended tenants the store's `503` page.
///
/// Caching: pages, assets, `robots.txt` and the sitemap are cached under the tenant's id and
/// content version, so any change to the tenant is a new key and the next request renders it.
/// ``immediateResponse(to:)`` answers hits without awaiting, using a ``TenantDirectory``
/// entry whose store reads are still current; ``respond(to:)`` always reads the tenant from the
/// store. The cart and checkout pages are built from the shopper's
/// lines and never cached; neither are submissions.
///
/// Thread-safe; one instance serves every connection.
public final class StorefrontService: StorefrontResponder {
    /// Settings with defaults suitable for production.
    public struct Configuration: Sendable {
        /// Larger `POST` bodies are refused with `413`.
        public var maximumBodyBytes: Int
        /// The public HTTPS port for canonical URLs, when not 443.
        public var publicPort: Int?
        /// How many shopper `POST`s one client address may send at once before `429`.
        public var shopperPostBurst: Int
        /// How many shopper `POST`s per minute one client address regains.
        public var shopperPostsPerMinute: Int

        /// Creates a configuration.
        public init(
            maximumBodyBytes: Int = 64 * 1024,
            publicPort: Int? = nil,
            shopperPostBurst: Int = 10,
            shopperPostsPerMinute: Int = 30
        ) {
            self.maximumBodyBytes = maximumBodyBytes
            self.publicPort = publicPort
            self.shopperPostBurst = shopperPostBurst
            self.shopperPostsPerMinute = shopperPostsPerMinute
        }
    }

    let data: TenantData
    let store: any KeyValueStore
    let platformDomain: String
    let resolver: HostResolver
    let themes: ThemeLibrary
    let cache: PageCache
    let logger: Logger
    let configuration: Configuration
    let directory: TenantDirectory
    let metrics: EdgeMetrics
    /// Shoppers' `POST`s per client address: each one is a durable write.
    let postLimiter: RateLimiter
    /// Where shoppers' orders are announced (the admin plane's webhooks subscribe).
    let events = StorefrontEvents()
    private let renderers = Mutex<(slots: [UUID: RendererSlot], clock: UInt64)>(([:], 0))

    /// Creates the service over the tenant store.
    ///
    /// - Parameters:
    ///   - store: the store holding the tenant data; the service also keeps order
    ///     idempotency keys there, under `edge/idempotency/`.
    ///   - platformDomain: the domain tenant subdomains live under, such as `localhost`.
    ///   - secrets: opens the credentials sealed in tenants' settings; required once any are stored.
    /// - Throws: ``HostNameError`` when `platformDomain` is not a valid host name.
    public init(
        store: any KeyValueStore,
        platformDomain: String,
        themes: ThemeLibrary,
        cache: PageCache,
        logger: Logger,
        configuration: Configuration = Configuration(),
        metrics: EdgeMetrics = EdgeMetrics(),
        secrets: SecretBox? = nil
    ) throws {
        let domain = try HostName(normalizing: platformDomain)
        self.data = TenantData(store: store, platformDomain: domain.value, secrets: secrets)
        self.store = store
        self.platformDomain = domain.value
        self.resolver = HostResolver(platformDomain: domain)
        self.themes = themes
        self.cache = cache
        self.logger = logger
        self.configuration = configuration
        self.directory = TenantDirectory(store: store)
        self.metrics = metrics
        self.postLimiter = RateLimiter(
            burst: max(1, configuration.shopperPostBurst),
            ratePerSecond: Double(max(1, configuration.shopperPostsPerMinute)) / 60
        )
    }

    // MARK: - StorefrontResponder

    /// A cached page (or a suspended tenant's cached `503`) for a `GET`/`HEAD` whose host the
    /// directory holds a current lookup of; `nil` otherwise.
    public func immediateResponse(to request: StorefrontRequest) -> StorefrontResponse? {
        guard request.method == "GET" || request.method == "HEAD",
            let host = request.normalizedHost ?? (try? HostName(normalizing: request.authority)),
            let tenant = self.directory.currentTenant(for: host.value)
        else { return nil }
        if tenant.status == .suspended {
            let key = CacheKey(
                tenantID: tenant.id,
                contentVersion: tenant.contentVersion,
                route: Self.unavailableRoute
            )
            return self.cache.lookup(key).map { Self.unavailableResponse(from: $0, to: request) }
        }
        guard tenant.status == .active else { return nil }
        let route = StorefrontRoute(path: request.path, query: request.query)
        guard
            let key = self.cacheKey(
                for: route,
                request: request,
                tenantID: tenant.id,
                version: tenant.contentVersion
            ),
            let page = self.cache.lookup(key)
        else { return nil }
        var response = Self.response(from: page, to: request)
        response.tenantID = tenant.id
        response.cacheStatus = .hit
        return response
    }

    /// Resolves the tenant from the store, then serves, renders or writes; never throws.
    public func respond(to request: StorefrontRequest) async -> StorefrontResponse {
        let host: HostName
        do {
            host = try HostName(normalizing: request.authority)
        } catch {
            return Self.plain(400, "Bad Request: the Host header is not a valid host name.\n")
        }
        let resolution: Resolution
        do {
            resolution = try await self.resolve(host)
        } catch {
            self.logger.info(
                "tenant lookup failed",
                metadata: ["error.type": "\(type(of: error))", "error.message": "\(error)"]
            )
            return Self.plain(500, "Internal Server Error\n")
        }
        switch resolution {
        case .unknown:
            return Self.neutralNotFound(for: request)
        case .redirect(let apex):
            var location = "https://" + apex.value
            if let port = self.configuration.publicPort, port != 443 {
                location += ":\(port)"
            }
            location += request.path + (request.query.map { "?" + $0 } ?? "")
            return StorefrontResponse(
                status: 301,
                headers: [("Location", location), ("Cache-Control", "no-cache")],
                body: ByteBuffer()
            )
        case .tenant(let tenant):
            var logger = self.logger
            logger[metadataKey: "tenant.id"] = "\(tenant.id)"
            switch tenant.status {
            case .deleted:
                return Self.neutralNotFound(for: request)
            case .suspended:
                return await self.unavailable(tenant, request: request, logger: logger)
            case .active:
                var response = await self.serve(request, tenant: tenant, logger: logger)
                response.tenantID = tenant.id
                return response
            }
        }
    }

    // MARK: - Resolution

    enum Resolution {
        case tenant(Tenant)
        case redirect(HostName)
        case unknown
    }

    /// Reads the tenant behind `host` from the store and refreshes the directory with it.
    func resolve(_ host: HostName) async throws -> Resolution {
        let lookup: HostLookup?
        switch self.resolver.classify(host) {
        case .platformApex:
            lookup = nil
        case .platformSubdomain(let label):
            lookup = try await self.data.tenants.lookup(subdomain: label)
        case .candidateCustomDomain(let name):
            lookup = try await self.data.tenants.lookup(domain: name.value)
            // The www/apex pair: a tenant registers the one it wants as canonical, and the
            // other one redirects to it (www. to the apex, or the apex to www.).
            if lookup?.tenant == nil, let counterpart = name.wwwCounterpart,
                let owner = try await self.data.tenants.tenant(domain: counterpart.value), owner.status == .active
            {
                return .redirect(counterpart)
            }
        }
        guard let lookup, let tenant = lookup.tenant else {
            self.directory.forget(host.value)
            return .unknown
        }
        self.directory.record(lookup, for: host.value)
        return .tenant(tenant)
    }

    // MARK: - Serving

    private func serve(_ request: StorefrontRequest, tenant: Tenant, logger: Logger) async -> StorefrontResponse {
        let route = StorefrontRoute(path: request.path, query: request.query)
        switch (route, request.method) {
        case (.placeOrder, "POST"), (.submitLead, "POST"):
            let decision = self.postLimiter.acquire(request.clientAddress ?? "unknown")
            guard decision.allowed else {
                logger.info(
                    "shopper post rate limited",
                    metadata: ["client.address": "\(request.clientAddress ?? "-")"]
                )
                var response = Self.problem(
                    429,
                    title: "Too Many Requests",
                    detail: "Too many submissions from this address; retry after \(decision.retryAfterSeconds) s.",
                    problems: []
                )
                response.headers += decision.headers
                return response
            }
            var response =
                route == .placeOrder
                ? await self.placeOrder(request, tenant: tenant, logger: logger)
                : await self.submitLead(request, tenant: tenant, logger: logger)
            response.headers += decision.headers
            return response
        case (.placeOrder, _), (.submitLead, _):
            return Self.methodNotAllowed(allow: "POST")
        case (_, "GET"), (_, "HEAD"):
            break
        default:
            return Self.methodNotAllowed(allow: "GET, HEAD")
        }
        do {
            if case .personal(let page) = route {
                let renderer = try await self.renderer(for: tenant)
                let page = CachedPage(
                    rendered: renderer.render(page),
                    headers: [("Cache-Control", "no-store"), ("Vary", "Accept-Encoding")]
                )
                return Self.response(from: page, to: request)
            }
            guard
                let key = self.cacheKey(
                    for: route,
                    request: request,
                    tenantID: tenant.id,
                    version: tenant.contentVersion
                )
            else { return Self.neutralNotFound(for: request) }
            if case .asset(let path) = route {
                return try await self.serveAsset(at: path, key: key, tenant: tenant, request: request)
            }
            return try await self.servePage(route, key: key, tenant: tenant, request: request)
        } catch {
            logger.info(
                "storefront render failed",
                metadata: ["error.type": "\(type(of: error))", "error.message": "\(error)"]
            )
            return Self.plain(500, "Internal Server Error\n")
        }
    }

    /// The cache route of a suspended tenant's page, which every path of the tenant shows.
    static let unavailableRoute = "#unavailable"

    private func unavailable(_ tenant: Tenant, request: StorefrontRequest, logger: Logger) async -> StorefrontResponse {
        let key = CacheKey(tenantID: tenant.id, contentVersion: tenant.contentVersion, route: Self.unavailableRoute)
        do {
            let page = try await self.cache.page(for: key) {
                let renderer = try await self.renderer(for: tenant)
                return CachedPage(rendered: renderer.render(.unavailable), headers: [("Cache-Control", "no-store")])
            }
            return Self.unavailableResponse(from: page, to: request)
        } catch {
            logger.info(
                "storefront render failed",
                metadata: ["error.type": "\(type(of: error))", "error.message": "\(error)"]
            )
            return Self.plain(503, "Service Unavailable\n")
        }
    }

    private static func unavailableResponse(from page: CachedPage, to request: StorefrontRequest) -> StorefrontResponse
    {
        var response = Self.response(from: page, to: request)
        response.headers.append(("Retry-After", "3600"))
        return response
    }

    func cacheKey(for route: StorefrontRoute, request: StorefrontRequest, tenantID: UUID, version: UInt64) -> CacheKey?
    {
        guard let identity = route.cacheIdentity(path: request.path) else { return nil }
        return CacheKey(
            tenantID: tenantID,
            // A fingerprinted asset never changes, so it outlives content versions: a page
            // rendered before a change keeps finding the stylesheet it names.
            contentVersion: route.isAsset ? Self.assetVersion : version,
            route: identity.route,
            rawQuery: identity.parameters.isEmpty ? "" : request.query ?? "",
            keeping: identity.parameters
        )
    }

    /// The content version in the cache keys of fingerprinted assets.
    static let assetVersion: UInt64 = 0

    /// A page from the cache, rendered once on a miss.
    private func servePage(
        _ route: StorefrontRoute,
        key: CacheKey,
        tenant: Tenant,
        request: StorefrontRequest
    ) async throws -> StorefrontResponse {
        let page = try await self.cache.page(for: key) {
            let renderer = try await self.renderer(for: tenant)
            let started = ContinuousClock.now
            defer { self.metrics.recordRender(since: started) }
            return self.render(route, with: renderer)
        }
        var response = Self.response(from: page, to: request)
        response.cacheStatus = .miss
        return response
    }

    /// An asset from the cache, or cached when the tenant's theme has it. An unknown
    /// fingerprint is answered with the tenant's shared not-found page and nothing is cached
    /// under its own key, since it could be one a newer version of the tenant's theme is about
    /// to have; rendering that page anew for each of them would let any client make the server
    /// render at will.
    private func serveAsset(
        at path: String,
        key: CacheKey,
        tenant: Tenant,
        request: StorefrontRequest
    ) async throws -> StorefrontResponse {
        if let page = self.cache.lookup(key) {
            return Self.response(from: page, to: request)
        }
        let renderer = try await self.renderer(for: tenant)
        guard renderer.asset(at: path) != nil else {
            let notFound = CacheKey(
                tenantID: tenant.id,
                contentVersion: tenant.contentVersion,
                route: StorefrontRoute.notFoundRoute
            )
            return try await self.servePage(.page(.notFound), key: notFound, tenant: tenant, request: request)
        }
        let page = self.render(.asset(path: path), with: renderer)
        _ = self.cache.insert(page, for: key)
        var response = Self.response(from: page, to: request)
        response.cacheStatus = .miss
        return response
    }

    /// Renders a cacheable route; asset paths the tenant's theme does not have render 404.
    func render(_ route: StorefrontRoute, with renderer: Renderer) -> CachedPage {
        switch route {
        case .page(let page), .personal(let page):
            return CachedPage(rendered: renderer.render(page), headers: Self.htmlHeaders)
        case .asset(let path):
            guard let asset = renderer.asset(at: path) else { break }
            return CachedPage(
                status: 200,
                headers: [
                    ("Content-Type", asset.contentType), ("Cache-Control", Asset.cacheControl),
                    ("Vary", "Accept-Encoding"),
                ],
                body: ByteBuffer(bytes: asset.body),
                gzipBody: asset.gzipBody.isEmpty ? nil : ByteBuffer(bytes: asset.gzipBody)
            )
        case .demoImage(let name):
            guard let svg = DemoImages.svg(named: name) else { break }
            return CachedPage(
                rendered: RenderedPage(status: 200, contentType: "image/svg+xml", body: Array(svg.utf8)),
                headers: [("Cache-Control", "public, max-age=86400"), ("Vary", "Accept-Encoding")]
            )
        case .robots:
            return CachedPage(rendered: renderer.robotsTxt(), headers: Self.htmlHeaders)
        case .sitemap:
            return CachedPage(rendered: renderer.sitemapXML(), headers: Self.htmlHeaders)
        case .placeOrder, .submitLead:
            break
        }
        return CachedPage(rendered: renderer.render(.notFound), headers: Self.htmlHeaders)
    }

    // MARK: - Renderers

    /// One renderer per tenant, rebuilt when the content version moves; concurrent requests
    /// for a version share one build.
    private struct RendererSlot {
        var version: UInt64
        var task: Task<Renderer, any Error>
        var lastUsed: UInt64
    }

    /// The most renderers kept at once. A renderer holds the tenant's catalog and compiled theme,
    /// and is only needed on a cache miss, so with many tenants the ones used least recently
    /// are dropped (and rebuilt from the store if needed) to keep memory bounded.
    static let maximumRenderers = 256

    /// How many renderers are kept now.
    var rendererCount: Int { self.renderers.withLock { $0.slots.count } }

    func renderer(for tenant: Tenant) async throws -> Renderer {
        let task = self.renderers.withLock { state -> Task<Renderer, any Error> in
            state.clock += 1
            if let slot = state.slots[tenant.id], slot.version == tenant.contentVersion {
                state.slots[tenant.id]?.lastUsed = state.clock
                return slot.task
            }
            if state.slots[tenant.id] == nil, state.slots.count >= Self.maximumRenderers,
                let leastRecent = state.slots.min(by: { $0.value.lastUsed < $1.value.lastUsed })?.key
            {
                state.slots[leastRecent] = nil
            }
            let task = Task(executorPreference: RenderExecutor.shared) { try await self.buildRenderer(for: tenant) }
            state.slots[tenant.id] = RendererSlot(version: tenant.contentVersion, task: task, lastUsed: state.clock)
            return task
        }
        do {
            return try await task.value
        } catch {
            // A failed build is not kept, so the next request tries again.
            self.renderers.withLock { state in
                if state.slots[tenant.id]?.version == tenant.contentVersion {
                    state.slots[tenant.id] = nil
                }
            }
            throw error
        }
    }

    /// Reads everything the tenant's pages show. Records written after the tenant was read may
    /// already be included; they carry a newer content version, whose requests rebuild.
    private func buildRenderer(for tenant: Tenant) async throws -> Renderer {
        let configuration = try await self.data.configuration.configuration(tenant: tenant.id)
        var products: [Product] = []
        var cursor: String?
        repeat {
            let page = try await self.data.catalog.products(tenant: tenant.id, limit: 500, after: cursor)
            products += page.items
            cursor = page.nextCursor
        } while cursor != nil
        let categories = try await self.data.catalog.categories(tenant: tenant.id)
        let theme: Theme
        if let template = try await self.data.templates.active(tenant: tenant.id) {
            theme = try self.themes.compile(template)
        } else if let base = self.themes.theme(named: ThemeLibrary.baseThemeName) {
            theme = base
        } else {
            throw RenderError(code: .unknownTheme, message: "the base theme is missing")
        }
        let storefront = Storefront(
            tenant: tenant,
            configuration: configuration,
            products: products,
            categories: categories,
            platformDomain: self.platformDomain,
            port: self.configuration.publicPort
        )
        return Renderer(theme: theme, storefront: storefront)
    }

    // MARK: - Responses

    static let htmlHeaders: [(String, String)] = [("Cache-Control", "no-cache"), ("Vary", "Accept-Encoding")]

    /// The cached page as the request wants it: negotiated encoding, `304` when the client's
    /// `If-None-Match` holds the representation's tag.
    static func response(from page: CachedPage, to request: StorefrontRequest) -> StorefrontResponse {
        let wanted: ContentEncoding = Self.acceptsGzip(request.header("accept-encoding")) ? .gzip : .identity
        return page.withRepresentation(for: wanted) { representation in
            if page.status == 200, let tags = request.header("if-none-match"),
                Self.matches(tags, etag: representation.etag)
            {
                var headers = page.prepared.fields.filter { !HeaderFieldName.equal($0.name, "content-type") }
                headers.append(("ETag", representation.etag))
                return StorefrontResponse(status: 304, headers: headers, body: ByteBuffer())
            }
            // Kept for `HEAD` too: the transports send its `content-length` and leave the body out.
            var response = StorefrontResponse(status: page.status, headers: [], body: representation.body)
            response.page = page
            response.encoding = representation.encoding
            return response
        }
    }

    /// Whether `Accept-Encoding` allows gzip: `gzip`, `x-gzip` or `*` without `q=0`.
    static func acceptsGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        for item in HeaderList(header) {
            let semicolon = item.utf8.firstIndex(of: UInt8(ascii: ";")) ?? item.endIndex
            let coding = HeaderList.trimmed(item[..<semicolon])
            guard
                HeaderFieldName.equal(coding, "gzip") || HeaderFieldName.equal(coding, "x-gzip")
                    || HeaderFieldName.equal(coding, "*")
            else { continue }
            return !Self.hasZeroWeight(item[semicolon...])
        }
        return false
    }

    /// Whether parameters such as `;q=0.000` give zero weight; a malformed weight counts as 1.
    private static func hasZeroWeight(_ parameters: Substring) -> Bool {
        for parameter in parameters.split(separator: ";") {
            let trimmed = HeaderList.trimmed(parameter)
            guard HeaderFieldName.equal(trimmed.prefix(2), "q=") else { continue }
            let value = trimmed.dropFirst(2).utf8
            guard value.first == UInt8(ascii: "0") else { return false }
            let fraction = value.dropFirst()
            return fraction.isEmpty
                || (fraction.first == UInt8(ascii: ".") && fraction.dropFirst().allSatisfy { $0 == UInt8(ascii: "0") })
        }
        return false
    }

    /// Whether an `If-None-Match` list names `etag` (weak comparison, RFC 9110 §13.1.2).
    static func matches(_ header: String, etag: String) -> Bool {
        let bare = etag.hasPrefix("W/") ? etag.dropFirst(2) : etag[...]
        return HeaderList(header).contains { tag in
            tag == "*" || tag == bare || (tag.hasPrefix("W/") && tag.dropFirst(2) == bare)
        }
    }

    static func plain(_ status: Int, _ text: String) -> StorefrontResponse {
        StorefrontResponse(
            status: status,
            headers: [("Content-Type", "text/plain; charset=utf-8"), ("Cache-Control", "no-store")],
            body: ByteBuffer(string: text)
        )
    }

    static func methodNotAllowed(allow: String) -> StorefrontResponse {
        var response = Self.plain(405, "Method Not Allowed\n")
        response.headers.append(("Allow", allow))
        return response
    }

    /// The same page for every host that names no live tenant, so it reveals nothing.
    private static let neutralNotFoundPage = CachedPage(
        rendered: RenderedPage(
            status: 404,
            contentType: "text/html; charset=utf-8",
            body: Array(
                """
                <!doctype html>
                <html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">
                <meta name="viewport" content="width=device-width, initial-scale=1"><title>Not found</title></head>
                <body><h1>Not found</h1><p>There is no store at this address.</p></body></html>

                """.utf8
            )
        ),
        headers: [("Cache-Control", "no-store")]
    )

    static func neutralNotFound(for request: StorefrontRequest) -> StorefrontResponse {
        Self.response(from: Self.neutralNotFoundPage, to: request)
    }
}
