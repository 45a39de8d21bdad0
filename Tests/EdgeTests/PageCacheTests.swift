import Edge
import Foundation
import NIOCore
import Render
import Synchronization
import Testing

@Suite("PageCache")
struct PageCacheTests {
    private struct RenderFailed: Error, Equatable {}

    /// Counts renders, for asserting single flight.
    private final class RenderCounter: Sendable {
        private let count = Mutex(0)

        var value: Int { self.count.withLock { $0 } }

        func increment() { self.count.withLock { $0 += 1 } }
    }

    private static let tenant = UUID()

    private static func key(_ route: String, version: UInt64 = 1, tenant: UUID = Self.tenant) -> CacheKey {
        CacheKey(tenantID: tenant, contentVersion: version, route: route)
    }

    private static func page(_ text: String, padding: Int = 0) -> CachedPage {
        let body = text + String(repeating: " ", count: padding)
        return CachedPage(
            status: 200,
            headers: [("Content-Type", "text/html")],
            body: ByteBuffer(string: body),
            gzipBody: nil
        )
    }

    private static func text(of page: CachedPage?) -> String? {
        page.map { String(buffer: $0.identityBody).trimmingCharacters(in: .whitespaces) }
    }

    /// Waits until `condition` holds, so concurrent tests line their tasks up deterministically.
    private static func waitUntil(_ condition: () -> Bool) async throws {
        while !condition() {
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    @Test("a lookup misses, then hits after an insert")
    func hitAndMiss() {
        let cache = PageCache(budgetBytes: 1 << 20)
        let key = Self.key("/")
        #expect(cache.lookup(key) == nil)
        #expect(cache.insert(Self.page("home"), for: key))
        #expect(Self.text(of: cache.lookup(key)) == "home")
        #expect(cache.lookup(Self.key("/cart")) == nil)

        let statistics = cache.statistics
        #expect(statistics.hits == 1)
        #expect(statistics.entries == 1)
        #expect(statistics.bytes > 0)
    }

    @Test("page(for:) renders on a miss and serves the cached page afterwards")
    func rendersOnce() async throws {
        let cache = PageCache(budgetBytes: 1 << 20)
        let counter = RenderCounter()
        for _ in 0..<3 {
            let page = try await cache.page(for: Self.key("/")) {
                counter.increment()
                return Self.page("home")
            }
            #expect(Self.text(of: page) == "home")
        }
        #expect(counter.value == 1)
        let statistics = cache.statistics
        #expect(statistics.misses == 1)
        #expect(statistics.hits == 2)
        #expect(statistics.renders == 1)
    }

    @Test("the byte budget holds after many inserts")
    func budgetRespected() {
        let budget = 64 * 1024
        let cache = PageCache(budgetBytes: budget)
        for index in 0..<2000 {
            let key = Self.key("/p/\(index)")
            cache.insert(Self.page("page \(index)", padding: 1000), for: key)
            // Requesting every other page again fills the main queue, so both queues evict.
            if index.isMultiple(of: 2) {
                #expect(cache.lookup(key) != nil)
            }
            #expect(cache.statistics.bytes <= budget)
        }
        let statistics = cache.statistics
        #expect(statistics.evictions > 1900)
        #expect(statistics.entries + statistics.evictions == 2000)
        #expect(statistics.bytes > budget / 2)
    }

    @Test("a page larger than the budget is served but not cached")
    func oversizedPage() async throws {
        let cache = PageCache(budgetBytes: 512)
        let key = Self.key("/huge")
        #expect(!cache.insert(Self.page("huge", padding: 4096), for: key))
        let page = try await cache.page(for: key) { Self.page("huge", padding: 4096) }
        #expect(Self.text(of: page) == "huge")
        #expect(cache.lookup(key) == nil)
        #expect(cache.statistics.bytes == 0)
    }

    @Test("a hot page survives a scan of many one-hit pages")
    func scanResistance() {
        let cache = PageCache(budgetBytes: 100 * 1024)
        let hot = Self.key("/")
        let cold = Self.key("/cold")
        cache.insert(Self.page("hot", padding: 1000), for: hot)
        cache.insert(Self.page("cold", padding: 1000), for: cold)
        for _ in 0..<3 {
            #expect(cache.lookup(hot) != nil)
        }
        for index in 0..<10_000 {
            cache.insert(Self.page("scan \(index)", padding: 1000), for: Self.key("/scan/\(index)"))
        }
        #expect(Self.text(of: cache.lookup(hot)) == "hot")
        #expect(cache.lookup(cold) == nil)
        #expect(cache.statistics.bytes <= 100 * 1024)
    }

    @Test("pages that keep being requested survive a scan alongside them")
    func workingSetUnderScan() {
        let cache = PageCache(budgetBytes: 100 * 1024)
        let working = (0..<20).map { Self.key("/products/\($0)") }
        for key in working {
            cache.insert(Self.page(key.route, padding: 1000), for: key)
        }
        // Each working page is requested once per 100 scan pages: 120 pages between two
        // requests, more than the ~90 the budget holds, so LRU would lose every one of them.
        var misses = 0
        for index in 0..<10_000 {
            if index.isMultiple(of: 100) {
                for key in working where cache.lookup(key) == nil {
                    misses += 1
                    cache.insert(Self.page(key.route, padding: 1000), for: key)
                }
            }
            cache.insert(Self.page("scan \(index)", padding: 1000), for: Self.key("/scan/\(index)"))
        }
        #expect(misses == 0)
        #expect(working.allSatisfy { cache.lookup($0) != nil })
    }

    @Test("a page requested again soon after its eviction goes to the main queue")
    func ghostReturn() {
        let cache = PageCache(budgetBytes: 100 * 1024)
        let returning = Self.key("/returning")
        cache.insert(Self.page("returning", padding: 1000), for: returning)
        for index in 0..<80 {
            cache.insert(Self.page("scan \(index)", padding: 1000), for: Self.key("/scan/\(index)"))
        }
        #expect(cache.lookup(returning) == nil)

        cache.insert(Self.page("returning", padding: 1000), for: returning)
        for index in 80..<5_000 {
            cache.insert(Self.page("scan \(index)", padding: 1000), for: Self.key("/scan/\(index)"))
        }
        #expect(Self.text(of: cache.lookup(returning)) == "returning")
    }

    @Test("100 concurrent misses for one key render once")
    func singleFlight() async throws {
        let cache = PageCache(budgetBytes: 1 << 20)
        let counter = RenderCounter()
        let key = Self.key("/products/aviator")
        let waiters = 100
        let etags = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<waiters {
                group.addTask {
                    let page = try await cache.page(for: key) {
                        counter.increment()
                        try await Self.waitUntil { cache.statistics.coalescedMisses == waiters - 1 }
                        return Self.page("aviator")
                    }
                    return page.etag
                }
            }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(counter.value == 1)
        #expect(etags.count == waiters)
        #expect(Set(etags).count == 1)
        #expect(cache.statistics.misses == waiters)
        #expect(Self.text(of: cache.lookup(key)) == "aviator")
    }

    @Test("a failed render reaches every waiter and is not cached")
    func errorsNotCached() async throws {
        let cache = PageCache(budgetBytes: 1 << 20)
        let counter = RenderCounter()
        let key = Self.key("/")
        let waiters = 10
        let failures = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<waiters {
                group.addTask {
                    do {
                        _ = try await cache.page(for: key) {
                            counter.increment()
                            try await Self.waitUntil { cache.statistics.coalescedMisses == waiters - 1 }
                            throw RenderFailed()
                        }
                        return false
                    } catch {
                        return error is RenderFailed
                    }
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(failures == waiters)
        #expect(counter.value == 1)
        #expect(cache.lookup(key) == nil)
        #expect(cache.statistics.renderFailures == 1)

        let page = try await cache.page(for: key) {
            counter.increment()
            return Self.page("recovered")
        }
        #expect(Self.text(of: page) == "recovered")
        #expect(counter.value == 2)
        #expect(Self.text(of: cache.lookup(key)) == "recovered")
    }

    @Test("content versions and tenants isolate entries")
    func versionsIsolate() async throws {
        let cache = PageCache(budgetBytes: 1 << 20)
        cache.insert(Self.page("v1"), for: Self.key("/", version: 1))
        #expect(cache.lookup(Self.key("/", version: 2)) == nil)
        #expect(cache.lookup(Self.key("/", version: 1, tenant: UUID())) == nil)

        let fresh = try await cache.page(for: Self.key("/", version: 2)) { Self.page("v2") }
        #expect(Self.text(of: fresh) == "v2")
        #expect(Self.text(of: cache.lookup(Self.key("/", version: 1))) == "v1")
        #expect(Self.text(of: cache.lookup(Self.key("/", version: 2))) == "v2")
    }

    @Test("queries are normalised into the key")
    func queryNormalisation() {
        #expect(CacheKey.normalizeQuery("b=2&a=1&&a=0&") == "a=0&a=1&b=2")
        #expect(CacheKey.normalizeQuery("") == "")
        #expect(
            CacheKey.normalizeQuery("q=frames&utm_source=mail&page=2", keeping: ["q", "page"]) == "page=2&q=frames"
        )
        let first = CacheKey(tenantID: Self.tenant, contentVersion: 1, route: "/search", rawQuery: "q=a&page=2")
        let second = CacheKey(tenantID: Self.tenant, contentVersion: 1, route: "/search", rawQuery: "page=2&q=a")
        #expect(first == second)
    }

    @Test("representations carry their own body and strong ETag")
    func representations() {
        let rendered = RenderedPage(
            status: 200,
            contentType: "text/html; charset=utf-8",
            body: Array(String(repeating: "<p>frames</p>", count: 200).utf8)
        )
        let page = CachedPage(rendered: rendered, headers: [("Cache-Control", "no-cache")])
        #expect(page.headers.map(\.0) == ["Content-Type", "Cache-Control"])

        let identity = page.representation(for: .identity)
        let gzip = page.representation(for: .gzip)
        #expect(identity.encoding == .identity)
        #expect(identity.body.readableBytes == rendered.body.count)
        #expect(gzip.encoding == .gzip)
        #expect(gzip.body.readableBytes < identity.body.readableBytes)
        #expect(identity.etag.hasPrefix("\"") && identity.etag.hasSuffix("\""))
        #expect(gzip.etag.hasPrefix("\"") && gzip.etag.hasSuffix("\""))
        #expect(identity.etag != gzip.etag)
        #expect(CachedPage(rendered: rendered).etag == page.etag)

        let tiny = Self.page("x")
        #expect(tiny.representation(for: .gzip).encoding == .identity)
        #expect(tiny.etag != page.etag)
    }
}
