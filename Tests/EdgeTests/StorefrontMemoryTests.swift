import Foundation
import Logging
import NIOCore
import Render
import TenantStore
import Testing

@testable import Edge

@Suite("Storefront memory stays bounded with many tenants")
struct StorefrontMemoryTests {
    @Test func renderersAreKeptForTheRecentlyUsedTenantsOnly() async throws {
        let directory = NSTemporaryDirectory() + "renderers-" + UUID().uuidString
        let store = try FileKeyValueStore.open(directory: directory)
        defer {
            store.close()
            try? FileManager.default.removeItem(atPath: directory)
        }
        let data = TenantData(store: store, platformDomain: "localhost")
        let service = try StorefrontService(
            store: store,
            platformDomain: "localhost",
            themes: try ThemeLibrary.builtIn(),
            cache: PageCache(budgetBytes: 64 << 20),
            logger: Logger(label: "memory") { _ in SwiftLogNoOpLogHandler() }
        )
        let count = StorefrontService.maximumRenderers + 20
        for index in 0..<count {
            _ = try await data.tenants.create(companyName: "Store \(index)", subdomain: "store\(index)")
        }
        for index in 0..<count {
            let response = await service.respond(
                to: StorefrontRequest(
                    method: "GET",
                    authority: "store\(index).localhost",
                    path: "/",
                    query: nil,
                    headers: [],
                    clientAddress: nil,
                    body: nil
                )
            )
            #expect(response.status == 200)
        }
        #expect(service.rendererCount == StorefrontService.maximumRenderers)
        // A dropped renderer is rebuilt on demand.
        let first = await service.respond(
            to: StorefrontRequest(
                method: "GET",
                authority: "store0.localhost",
                path: "/sitemap.xml",
                query: nil,
                headers: [],
                clientAddress: nil,
                body: nil
            )
        )
        #expect(first.status == 200)
        #expect(String(buffer: first.body).contains("store0.localhost"))
    }
}
