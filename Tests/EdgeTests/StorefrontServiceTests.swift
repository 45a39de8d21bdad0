import Foundation
import Logging
import NIOCore
import Render
import TenantStore
import Testing

@testable import Edge

/// `StorefrontService` against a real `FileKeyValueStore` seeded with the demo stores; no
/// sockets: requests go straight to the `StorefrontResponder` methods the transport calls.
@Suite struct StorefrontServiceTests {
    static let themes = Result { try ThemeLibrary.builtIn() }
    static let storeNames = ["Acme Optics", "Glow Botanics", "North Supply"]

    /// A service over a fresh store with the demo tenants, removed afterwards.
    func withService<Result>(
        _ body: (StorefrontService, TenantData) async throws -> Result
    ) async throws -> Result {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("storefront-\(UUID().uuidString)").path
        let store = try FileKeyValueStore.open(directory: directory)
        defer {
            store.close()
            try? FileManager.default.removeItem(atPath: directory)
        }
        let service = try Self.service(store: store)
        let data = TenantData(store: store, platformDomain: "localhost")
        try await DemoTenants.seed(into: data, platformDomain: "localhost")
        return try await body(service, data)
    }

    static func service(store: any KeyValueStore) throws -> StorefrontService {
        try StorefrontService(
            store: store,
            platformDomain: "localhost",
            themes: try Self.themes.get(),
            cache: PageCache(budgetBytes: 64 << 20),
            logger: Logger(label: "storefront-tests") { _ in SwiftLogNoOpLogHandler() }
        )
    }

    static func request(
        _ host: String,
        _ target: String = "/",
        method: String = "GET",
        headers: [(name: String, value: String)] = [],
        body: String? = nil
    ) -> StorefrontRequest {
        let parts = target.split(separator: "?", maxSplits: 1)
        return StorefrontRequest(
            method: method,
            authority: host,
            path: String(parts[0]),
            query: parts.count > 1 ? String(parts[1]) : nil,
            headers: headers,
            clientAddress: "127.0.0.1",
            body: body.map { ByteBuffer(string: $0) }
        )
    }

    static func text(_ response: StorefrontResponse) -> String {
        String(buffer: response.body)
    }

    static func header(_ name: String, _ response: StorefrontResponse) -> String? {
        response.header(name)
    }

    static func tenant(_ subdomain: String, _ data: TenantData) async throws -> Tenant {
        try #require(try await data.tenants.tenant(subdomain: subdomain))
    }

    // MARK: - Demo

    @Test func demoSeedingFillsOnlyAnEmptyStore() async throws {
        try await self.withService { _, data in
            let again = try await DemoTenants.seed(into: data, platformDomain: "localhost", port: 8443)
            #expect(
                again == [
                    "https://acme.localhost:8443/", "https://glow.localhost:8443/", "https://north.localhost:8443/",
                    "https://shop.example.test:8443/",
                ]
            )
            let tenants = try await data.tenants.list().items
            #expect(tenants.count == 3)
            for tenant in tenants {
                #expect(try await data.catalog.products(tenant: tenant.id).items.count >= 8)
                let images = try await data.catalog.products(tenant: tenant.id).items.flatMap(\.images)
                #expect(images.allSatisfy { $0.hasPrefix("/images/demo/") })
            }
            let acme = try await Self.tenant("acme", data)
            let features = try await data.configuration.configuration(tenant: acme.id).features
            #expect(features.vto && features.faceAnalysis)
            let glow = try await Self.tenant("glow", data)
            #expect(try await data.templates.active(tenant: glow.id)?.name == "premium")
            #expect(try await data.configuration.configuration(tenant: glow.id).features.consultation)
        }
    }

    // MARK: - Resolution

    @Test func subdomainAndCustomDomainResolveToTheirStores() async throws {
        try await self.withService { service, _ in
            let acme = await service.respond(to: Self.request("ACME.localhost:8443"))
            #expect(acme.status == 200)
            #expect(Self.text(acme).contains("Acme Optics"))
            let north = await service.respond(to: Self.request("shop.example.test."))
            #expect(north.status == 200)
            #expect(Self.text(north).contains("North Supply"))
            let northSubdomain = await service.respond(to: Self.request("north.localhost"))
            #expect(Self.text(northSubdomain).contains("North Supply"))
        }
    }

    @Test func unknownHostsGetANeutralNotFound() async throws {
        try await self.withService { service, _ in
            for host in ["nobody.localhost", "localhost", "a.acme.localhost", "shop.unknown.test"] {
                let response = await service.respond(to: Self.request(host))
                #expect(response.status == 404, "\(host)")
                let body = Self.text(response)
                for name in Self.storeNames {
                    #expect(!body.contains(name), "\(host) revealed \(name)")
                }
            }
        }
    }

    @Test func invalidHostsGetBadRequest() async throws {
        try await self.withService { service, _ in
            for host in ["", "bad host", "127.0.0.1", "[::1]:8443", "user@acme.localhost", "acme..localhost"] {
                #expect(await service.respond(to: Self.request(host)).status == 400, "\(host)")
                #expect(service.immediateResponse(to: Self.request(host)) == nil)
            }
        }
    }

    @Test func suspendedTenantGetsUnavailableAndDeletedTenantGetsNotFound() async throws {
        try await self.withService { service, data in
            let glow = try await Self.tenant("glow", data)
            try await data.tenants.suspend(glow.id)
            let suspended = await service.respond(to: Self.request("glow.localhost"))
            #expect(suspended.status == 503)
            #expect(Self.header("Retry-After", suspended) != nil)
            #expect(Self.text(suspended).contains("Glow Botanics"))
            #expect(
                service.immediateResponse(to: Self.request("glow.localhost", "/products/rose-toner"))?.status == 503
            )
            let order = await service.respond(
                to: Self.request(
                    "glow.localhost",
                    "/api/orders",
                    method: "POST",
                    headers: [("content-type", "application/json")],
                    body: Self.orderJSON
                )
            )
            #expect(order.status == 503)

            let north = try await Self.tenant("north", data)
            _ = await service.respond(to: Self.request("shop.example.test"))
            _ = try await data.tenants.delete(north.id)
            for host in ["shop.example.test", "north.localhost"] {
                let response = await service.respond(to: Self.request(host))
                #expect(response.status == 404, "\(host)")
                #expect(!Self.text(response).contains("North Supply"))
            }
        }
    }

    @Test func wwwOfACustomDomainRedirectsToTheApex() async throws {
        try await self.withService { service, _ in
            let response = await service.respond(to: Self.request("www.shop.example.test", "/products/camp-mug?x=1"))
            #expect(response.status == 301)
            #expect(Self.header("Location", response) == "https://shop.example.test/products/camp-mug?x=1")
            #expect(await service.respond(to: Self.request("www.nobody.test")).status == 404)
        }
    }

    @Test func aPageRenderedBeforeAChangeStillFindsItsStylesheet() async throws {
        try await self.withService { service, data in
            let home = Self.text(await service.respond(to: Self.request("acme.localhost", "/")))
            let stylesheet = try #require(
                home.firstMatch(of: #/\/assets\/[0-9a-f]{16}\/theme\.css/#).map { String($0.output) }
            )
            #expect(await service.respond(to: Self.request("acme.localhost", stylesheet)).status == 200)
            let acme = try await Self.tenant("acme", data)
            try await data.configuration.set(.branding, to: ["colors": ["primary": "#123456"]], tenant: acme.id)
            let newHome = Self.text(await service.respond(to: Self.request("acme.localhost", "/")))
            #expect(!newHome.contains(stylesheet))
            let old = await service.respond(to: Self.request("acme.localhost", stylesheet))
            #expect(old.status == 200)
            // An unknown fingerprint is a 404, and not one that sticks.
            #expect(
                await service.respond(to: Self.request("acme.localhost", "/assets/0123456789abcdef/theme.css")).status
                    == 404
            )
        }
    }

    @Test func unknownFingerprintsShareOneRenderOfTheNotFoundPage() async throws {
        try await self.withService { service, data in
            let acme = try await Self.tenant("acme", data)
            let notFound = CacheKey(
                tenantID: acme.id,
                contentVersion: acme.contentVersion,
                route: StorefrontRoute.notFoundRoute
            )
            let first = await service.respond(to: Self.request("acme.localhost", "/assets/0123456789abcdef/theme.css"))
            #expect(first.status == 404)
            #expect(service.cache.lookup(notFound) != nil)
            let afterFirst = service.cache.statistics
            for fingerprint in ["fedcba9876543210", "00000000000000aa", "0123456789abcdef"] {
                let response = await service.respond(
                    to: Self.request("acme.localhost", "/assets/\(fingerprint)/theme.css")
                )
                #expect(response.status == 404)
                #expect(Self.text(response) == Self.text(first))
            }
            let statistics = service.cache.statistics
            #expect(statistics.renders == afterFirst.renders)
            #expect(statistics.entries == afterFirst.entries)
        }
    }

    @Test func theApexRedirectsToWWWWhenTheTenantChoseWWW() async throws {
        try await self.withService { service, data in
            _ = try await data.tenants.create(
                companyName: "Canonical WWW",
                subdomain: "canonical",
                customDomains: ["www.canonical.test"]
            )
            let response = await service.respond(to: Self.request("canonical.test", "/cart"))
            #expect(response.status == 301)
            #expect(Self.header("Location", response) == "https://www.canonical.test/cart")
            #expect(await service.respond(to: Self.request("www.canonical.test")).status == 200)
        }
    }

    // MARK: - Routes

    @Test func everyRouteAnswers() async throws {
        try await self.withService { service, _ in
            func get(_ target: String) async -> StorefrontResponse {
                await service.respond(to: Self.request("acme.localhost", target))
            }
            let home = await get("/")
            #expect(home.status == 200)
            #expect(Self.header("Cache-Control", home) == "no-cache")
            #expect(Self.header("Vary", home) == "Accept-Encoding")
            #expect(Self.header("ETag", home)?.hasPrefix("\"") == true)

            let product = await get("/products/aria-round")
            #expect(product.status == 200)
            #expect(Self.text(product).contains("Aria Round"))
            #expect(await get("/products/no-such-frame").status == 404)
            #expect(await get("/no/such/page").status == 404)

            let category = await get("/categories/sunglasses?sort=price-asc&utm_source=x")
            #expect(category.status == 200)
            #expect(Self.text(category).contains("Bowen Aviator"))
            #expect(!Self.text(category).contains("Aria Round"))

            let search = await get("/search?q=aviator")
            #expect(Self.text(search).contains("Bowen Aviator"))

            let cart = await get("/cart?item=aria-round:2")
            #expect(cart.status == 200)
            #expect(Self.text(cart).contains("Aria Round"))
            #expect(Self.header("Cache-Control", cart) == "no-store")
            let checkout = await get("/checkout?item=aria-round:1")
            #expect(Self.text(checkout).contains("action=\"/api/orders\""))

            let robots = await get("/robots.txt")
            #expect(Self.text(robots).contains("Sitemap: https://acme.localhost/sitemap.xml"))
            let sitemap = await get("/sitemap.xml")
            #expect(Self.text(sitemap).contains("/products/aria-round"))
            let image = await get("/images/demo/frame-25.svg")
            #expect(image.status == 200)
            #expect(Self.header("Content-Type", image) == "image/svg+xml")
            #expect(await get("/images/demo/nothing-25.svg").status == 404)

            let html = Self.text(home)
            let stylesheet = try #require(
                html.firstMatch(of: #/\/assets\/[0-9a-f]{16}\/storefront\.css/#).map { String($0.output) }
            )
            let asset = await service.respond(
                to: Self.request("acme.localhost", stylesheet, headers: [("accept-encoding", "gzip, br")])
            )
            #expect(asset.status == 200)
            #expect(Self.header("Cache-Control", asset) == Asset.cacheControl)
            #expect(Self.header("Content-Encoding", asset) == "gzip")
            #expect(await get("/assets/0000000000000000/storefront.css").status == 404)
        }
    }

    @Test func headIsAnsweredAsGet() async throws {
        try await self.withService { service, _ in
            let get = await service.respond(to: Self.request("acme.localhost", "/products/aria-round"))
            let head = await service.respond(to: Self.request("acme.localhost", "/products/aria-round", method: "HEAD"))
            #expect(head.status == get.status)
            // The transports leave the body out and send its length as `content-length`.
            #expect(head.body == get.body)
            #expect(Self.header("ETag", head) == Self.header("ETag", get))
            #expect(Self.header("Content-Type", head) == Self.header("Content-Type", get))
        }
    }

    @Test func otherMethodsAreNotAllowed() async throws {
        try await self.withService { service, _ in
            let delete = await service.respond(to: Self.request("acme.localhost", "/", method: "DELETE"))
            #expect(delete.status == 405)
            #expect(Self.header("Allow", delete) == "GET, HEAD")
            let post = await service.respond(to: Self.request("acme.localhost", "/products/aria-round", method: "POST"))
            #expect(post.status == 405)
            let getOrders = await service.respond(to: Self.request("acme.localhost", "/api/orders"))
            #expect(getOrders.status == 405)
            #expect(Self.header("Allow", getOrders) == "POST")
        }
    }

    // MARK: - Cache

    @Test func aSecondRequestIsAnsweredSynchronously() async throws {
        try await self.withService { service, _ in
            let request = Self.request("acme.localhost", "/categories/optical?page=1&utm=1")
            #expect(service.immediateResponse(to: request) == nil)
            let first = await service.respond(to: request)
            let hit = try #require(service.immediateResponse(to: request))
            #expect(hit.status == 200)
            #expect(hit.body == first.body)
            #expect(Self.header("ETag", hit) == Self.header("ETag", first))
            // A parameter the route does not read shares the entry.
            #expect(service.immediateResponse(to: Self.request("acme.localhost", "/categories/optical?page=1")) != nil)
            // Personal pages and submissions are never answered from the cache.
            _ = await service.respond(to: Self.request("acme.localhost", "/cart?item=aria-round:1"))
            #expect(service.immediateResponse(to: Self.request("acme.localhost", "/cart?item=aria-round:1")) == nil)
        }
    }

    @Test func aContentChangeShowsOnTheNextRequest() async throws {
        try await self.withService { service, data in
            let acme = try await Self.tenant("acme", data)
            let before = await service.respond(to: Self.request("acme.localhost"))
            #expect(!Self.text(before).contains("Zephyr Monocle"))
            try await data.catalog.createProduct(
                Product(slug: "zephyr", name: "Zephyr Monocle", priceMinor: 9_900, currency: "USD", featured: true),
                tenant: acme.id
            )
            let after = await service.respond(to: Self.request("acme.localhost"))
            #expect(Self.text(after).contains("Zephyr Monocle"))
            #expect(Self.header("ETag", after) != Self.header("ETag", before))
            let hit = try #require(service.immediateResponse(to: Self.request("acme.localhost")))
            #expect(String(buffer: hit.body).contains("Zephyr Monocle"))
        }
    }

    @Test func aCommittedChangeStopsTheSynchronousPathAtOnce() async throws {
        try await self.withService { service, data in
            let acme = try await Self.tenant("acme", data)
            _ = await service.respond(to: Self.request("acme.localhost"))
            #expect(service.immediateResponse(to: Self.request("acme.localhost")) != nil)
            // Written through the store alone: no call tells the service.
            try await data.catalog.createProduct(
                Product(slug: "zephyr", name: "Zephyr Monocle", priceMinor: 9_900, currency: "USD", featured: true),
                tenant: acme.id
            )
            #expect(service.immediateResponse(to: Self.request("acme.localhost")) == nil)
            _ = await service.respond(to: Self.request("acme.localhost"))
            let hit = try #require(service.immediateResponse(to: Self.request("acme.localhost")))
            #expect(String(buffer: hit.body).contains("Zephyr Monocle"))

            _ = try await data.tenants.suspend(acme.id)
            #expect(service.immediateResponse(to: Self.request("acme.localhost")) == nil)
            #expect(await service.respond(to: Self.request("acme.localhost")).status == 503)
        }
    }

    @Test func matchingIfNoneMatchGetsNotModified() async throws {
        try await self.withService { service, _ in
            let first = await service.respond(to: Self.request("acme.localhost"))
            let etag = try #require(Self.header("ETag", first))
            let request = Self.request("acme.localhost", headers: [("if-none-match", "\"other\", \(etag)")])
            let revalidated = await service.respond(to: request)
            #expect(revalidated.status == 304)
            #expect(revalidated.body.readableBytes == 0)
            #expect(Self.header("ETag", revalidated) == etag)
            #expect(service.immediateResponse(to: request)?.status == 304)
        }
    }

    @Test func gzipIsSentOnlyWhenAccepted() async throws {
        try await self.withService { service, _ in
            let gzip = await service.respond(
                to: Self.request("acme.localhost", headers: [("accept-encoding", "deflate, gzip;q=0.8")])
            )
            #expect(Self.header("Content-Encoding", gzip) == "gzip")
            #expect(Array(gzip.body.readableBytesView.prefix(2)) == [0x1f, 0x8b])
            let identity = await service.respond(to: Self.request("acme.localhost"))
            #expect(Self.header("Content-Encoding", identity) == nil)
            #expect(Self.header("ETag", identity) != Self.header("ETag", gzip))
            let refused = await service.respond(
                to: Self.request("acme.localhost", headers: [("accept-encoding", "gzip;q=0")])
            )
            #expect(Self.header("Content-Encoding", refused) == nil)
        }
    }

    @Test func concurrentRequestsNeverMixTenants() async throws {
        try await self.withService { service, _ in
            let hosts = [
                ("acme.localhost", 0), ("glow.localhost", 1), ("shop.example.test", 2), ("north.localhost", 2),
            ]
            let targets = ["/", "/search?q=a", "/sitemap.xml", "/robots.txt", "/no-such-page", "/categories/optical"]
            let failures = await withTaskGroup(of: String?.self) { group in
                for index in 0..<200 {
                    let (host, owner) = hosts[index % hosts.count]
                    let target = targets[(index / hosts.count) % targets.count]
                    group.addTask {
                        let request = Self.request(host, target)
                        let response: StorefrontResponse
                        if let hit = service.immediateResponse(to: request) {
                            response = hit
                        } else {
                            response = await service.respond(to: request)
                        }
                        let body = String(buffer: response.body)
                        for (index, name) in Self.storeNames.enumerated() where index != owner && body.contains(name) {
                            return "\(host)\(target) contains \(name)"
                        }
                        return nil
                    }
                }
                return await group.reduce(into: [String]()) { if let failure = $1 { $0.append(failure) } }
            }
            #expect(failures.isEmpty)
        }
    }

    // MARK: - Submissions

    static let orderJSON = """
        {"items":[{"productSlug":"aria-round","quantity":2}],
         "customer":{"name":"Ada Lovelace","email":"ada@example.test","address":"1 Analytical Way"}}
        """

    @Test func anOrderIsStoredOnceAndSurvivesReopening() async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("storefront-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let orderID: String
        do {
            let store = try FileKeyValueStore.open(directory: directory)
            defer { store.close() }
            let service = try Self.service(store: store)
            try await DemoTenants.seed(into: TenantData(store: store), platformDomain: "localhost")
            let headers: [(name: String, value: String)] = [
                ("content-type", "application/json"), ("idempotency-key", "checkout-42"),
            ]
            let request = Self.request(
                "acme.localhost",
                "/api/orders",
                method: "POST",
                headers: headers,
                body: Self.orderJSON
            )
            let first = await service.respond(to: request)
            #expect(first.status == 201)
            #expect(Self.header("Content-Type", first) == "application/json")
            let body = try JSONSerialization.jsonObject(with: Data(Self.text(first).utf8)) as? [String: Any]
            orderID = try #require(body?["id"] as? String)
            let retry = await service.respond(to: request)
            #expect(retry.status == 201)
            #expect(Self.header("Idempotent-Replayed", retry) == "true")
            #expect(Self.text(retry).contains(orderID))
            #expect(service.immediateResponse(to: request) == nil)
        }
        let reopened = try FileKeyValueStore.open(directory: directory)
        defer { reopened.close() }
        let data = TenantData(store: reopened)
        let acme = try await Self.tenant("acme", data)
        let orders = try await data.orders.orders(tenant: acme.id).items
        #expect(orders.map(\.id.description) == [orderID])
        #expect(orders.first?.totalMinor == 2 * 11_900)
    }

    @Test func concurrentRetriesPlaceOneOrder() async throws {
        try await self.withService { service, data in
            let request = Self.request(
                "acme.localhost",
                "/api/orders",
                method: "POST",
                headers: [("content-type", "application/json"), ("idempotency-key", "double-click")],
                body: Self.orderJSON
            )
            let statuses = await withTaskGroup(of: Int.self) { group in
                for _ in 0..<8 {
                    group.addTask { await service.respond(to: request).status }
                }
                return await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0 == 201 || $0 == 409 })
            #expect(statuses.contains(201))
            let acme = try await Self.tenant("acme", data)
            #expect(try await data.orders.orders(tenant: acme.id).items.count == 1)
        }
    }

    @Test func theCheckoutFormPlacesAnOrder() async throws {
        try await self.withService { service, data in
            let form =
                "item=camp-mug%3A1&item=pine-candle:2&name=Grace+Hopper&email=grace%40example.test&address=Arlington"
            let response = await service.respond(
                to: Self.request(
                    "shop.example.test",
                    "/api/orders",
                    method: "POST",
                    headers: [("content-type", "application/x-www-form-urlencoded")],
                    body: form
                )
            )
            #expect(response.status == 201)
            #expect(Self.header("Content-Type", response) == "text/html; charset=utf-8")
            #expect(Self.text(response).contains("Grace Hopper"))
            let north = try await Self.tenant("north", data)
            let orders = try await data.orders.orders(tenant: north.id).items
            #expect(orders.first?.items.map(\.quantity) == [1, 2])
            #expect(orders.first?.customer.name == "Grace Hopper")
        }
    }

    @Test func aConsultationRequestIsStored() async throws {
        try await self.withService { service, data in
            let response = await service.respond(
                to: Self.request(
                    "glow.localhost",
                    "/api/consultation",
                    method: "POST",
                    headers: [("content-type", "application/json")],
                    body: #"{"name":"Mae","email":"mae@example.test","message":"Which serum for dry skin?"}"#
                )
            )
            #expect(response.status == 201)
            #expect(Self.text(response).contains("\"id\""))
            let glow = try await Self.tenant("glow", data)
            #expect(try await data.leads.leads(tenant: glow.id).items.map(\.name) == ["Mae"])
        }
    }

    @Test func invalidSubmissionsListEveryProblem() async throws {
        try await self.withService { service, data in
            let body = """
                {"items":[{"productSlug":"no-such-frame","quantity":1}],
                 "customer":{"name":"Ada","email":"not-an-email","address":"x"}}
                """
            let response = await service.respond(
                to: Self.request(
                    "acme.localhost",
                    "/api/orders",
                    method: "POST",
                    headers: [("content-type", "application/json"), ("idempotency-key", "k1")],
                    body: body
                )
            )
            #expect(response.status == 422)
            #expect(Self.header("Content-Type", response) == "application/problem+json")
            #expect(Self.text(response).contains("/customer/email"))
            let malformed = await service.respond(
                to: Self.request(
                    "glow.localhost",
                    "/api/consultation",
                    method: "POST",
                    headers: [("content-type", "application/json")],
                    body: "{\"name\": 1}"
                )
            )
            #expect(malformed.status == 422)
            let acme = try await Self.tenant("acme", data)
            #expect(try await data.orders.orders(tenant: acme.id).items.isEmpty)
        }
    }

    @Test func oversizedBodiesAreRefused() async throws {
        try await self.withService { service, _ in
            let response = await service.respond(
                to: Self.request(
                    "glow.localhost",
                    "/api/consultation",
                    method: "POST",
                    headers: [("content-type", "application/json")],
                    body: String(repeating: "x", count: 64 * 1024 + 1)
                )
            )
            #expect(response.status == 413)
        }
    }
}
