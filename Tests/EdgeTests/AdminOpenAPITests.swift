import Foundation
import Hummingbird
import Logging
import NIOFoundationCompat
import Prometheus
import Render
import TenantStore
import Testing

@testable import Edge

/// The OpenAPI document must describe exactly the routes the admin listener serves.
@Suite("Admin API: the OpenAPI document matches the routes")
struct AdminOpenAPITests {
    @Test func everyRouteIsDocumentedAndEveryDocumentedRouteExists() async throws {
        let directory = NSTemporaryDirectory() + "openapi-" + UUID().uuidString
        let store = try FileKeyValueStore.open(directory: directory + "/store")
        defer {
            store.close()
            try? FileManager.default.removeItem(atPath: directory)
        }
        let data = TenantData(store: store, platformDomain: "localhost", secrets: SecretBox(key: .random()))
        let api = AdminAPI(
            data: data,
            tokens: try await OperatorTokens(dataDirectory: directory, environment: [:]),
            storefront: try StorefrontService(
                store: store,
                platformDomain: "localhost",
                themes: try ThemeLibrary.builtIn(),
                cache: PageCache(budgetBytes: 1 << 20),
                logger: Logger(label: "openapi") { _ in SwiftLogNoOpLogHandler() }
            )
        )
        let router = AdminServer.router(
            api: api,
            registry: PrometheusCollectorRegistry(),
            beforeScrape: {},
            readiness: AdminServer.Readiness()
        )
        let served = Set(router.routes.map { "\($0.method.rawValue) \($0.path.description)" })

        let document = try #require(
            try JSONSerialization.jsonObject(with: Data(buffer: AdminAPI.openAPIDocument)) as? [String: Any]
        )
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var documented = Set<String>()
        for (path, operations) in paths {
            for method in operations.keys {
                documented.insert("\(method.uppercased()) \(path)")
            }
        }
        #expect(served.subtracting(documented).sorted() == [], "served but not documented")
        #expect(documented.subtracting(served).sorted() == [], "documented but not served")
    }
}
