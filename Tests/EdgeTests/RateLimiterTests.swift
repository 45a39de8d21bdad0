import Foundation
import Logging
import NIOCore
import Render
import TenantStore
import Testing

@testable import Edge

@Suite("Rate limits")
struct RateLimiterTests {
    @Test func aBucketSpendsItsBurstThenRefillsAtTheRate() {
        let limiter = RateLimiter(burst: 3, ratePerSecond: 1)
        let start = ContinuousClock.now
        let first = (0..<3).map { _ in limiter.acquire("a", now: start) }
        #expect(first.allSatisfy { $0.allowed })
        #expect(first.map(\.remaining) == [2, 1, 0])
        let refused = limiter.acquire("a", now: start)
        #expect(!refused.allowed)
        #expect(refused.retryAfterSeconds == 1)
        #expect(refused.headers.contains { $0 == ("Retry-After", "1") })
        #expect(refused.headers.contains { $0 == ("RateLimit-Limit", "3") })
        #expect(limiter.acquire("b", now: start).allowed)
        #expect(limiter.acquire("a", now: start + .milliseconds(1_100)).allowed)
        #expect(!limiter.acquire("a", now: start + .milliseconds(1_200)).allowed)
    }

    @Test func memoryStaysBoundedUnderManyClients() {
        let limiter = RateLimiter(burst: 1, ratePerSecond: 1, capacity: 100)
        let start = ContinuousClock.now
        for client in 0..<1_000 {
            _ = limiter.acquire("client-\(client)", now: start)
        }
        // Past capacity the table starts over, which errs in the client's favour.
        #expect(limiter.acquire("client-999", now: start).allowed == false)
    }

    @Test func shopperPostsOverTheLimitGet429WithRetryAfter() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("limits-\(UUID().uuidString)")
            .path
        let store = try FileKeyValueStore.open(directory: directory)
        defer {
            store.close()
            try? FileManager.default.removeItem(atPath: directory)
        }
        try await DemoTenants.seed(
            into: TenantData(store: store, platformDomain: "localhost"),
            platformDomain: "localhost"
        )
        let service = try StorefrontService(
            store: store,
            platformDomain: "localhost",
            themes: try ThemeLibrary.builtIn(),
            cache: PageCache(budgetBytes: 1 << 20),
            logger: Logger(label: "limits") { _ in SwiftLogNoOpLogHandler() },
            configuration: StorefrontService.Configuration(shopperPostBurst: 2, shopperPostsPerMinute: 1)
        )
        func lead(from address: String) async -> StorefrontResponse {
            await service.respond(
                to: StorefrontRequest(
                    method: "POST",
                    authority: "glow.localhost",
                    path: "/api/consultation",
                    query: nil,
                    headers: [("content-type", "application/json")],
                    clientAddress: address,
                    body: ByteBuffer(string: #"{"name":"Ada","email":"ada@example.test","message":"Dry skin"}"#)
                )
            )
        }
        #expect(await lead(from: "192.0.2.1").status == 201)
        let second = await lead(from: "192.0.2.1")
        #expect(second.status == 201)
        #expect(second.headers.contains { $0 == ("RateLimit-Remaining", "0") })
        let third = await lead(from: "192.0.2.1")
        #expect(third.status == 429)
        #expect(third.headers.contains { $0.name == "Retry-After" && Int($0.value) ?? 0 >= 1 })
        #expect(third.headers.contains { $0 == ("Content-Type", "application/problem+json") })
        #expect(await lead(from: "192.0.2.2").status == 201)
    }
}
