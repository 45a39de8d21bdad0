import Edge
import Foundation
import Render

/// `bench/run micro`: the two lookups every storefront request makes before any byte is
/// written, through the Edge module's public API.
///
/// - host resolution: `HostResolver.resolve(authority:)` on `t00001.bench.test:8443`-style
///   authorities (normalisation and classification), over 10,000 tenant hosts;
/// - page cache hit: `PageCache.lookup` for 32,000 cached pages (1,000 tenants × 32 routes),
///   on one thread and on every core at once (the cache has one lock).
///
/// Figures are the median of 7 batches; the JSON goes to `--out`.
@main
enum EdgeMicro {
    static let batches = 7

    static func main() throws {
        let arguments = CommandLine.arguments
        let quick = arguments.contains("--quick")
        let output = arguments.firstIndex(of: "--out").map { arguments[$0 + 1] } ?? "results/micro.json"
        let operations = quick ? 200_000 : 2_000_000

        let resolver = HostResolver(platformDomain: try HostName(normalizing: "bench.test"))
        let authorities = (1...10_000).map { "t\(String(format: "%05d", $0)).bench.test:8443" }
        let resolve = Self.measure(operations: operations) { range in
            var platform = 0
            for index in range {
                if case .platformSubdomain = try? resolver.resolve(authority: authorities[index % authorities.count]) {
                    platform += 1
                }
            }
            precondition(platform == range.count, "every benchmark host is a platform subdomain")
        }

        let (cache, keys) = Self.filledCache(tenants: 1_000, routesPerTenant: 32, bodyBytes: 4_096)
        let lookup = Self.measure(operations: operations) { range in
            for index in range {
                precondition(cache.lookup(keys[index &* 7_919 % keys.count]) != nil, "every key is cached")
            }
        }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let concurrent = Self.measure(operations: operations, threads: cores) { range in
            for index in range {
                precondition(cache.lookup(keys[index &* 7_919 % keys.count]) != nil, "every key is cached")
            }
        }

        let rows: [(String, String, Double)] = [
            ("resolve_ns", "host resolution (1 thread)", resolve),
            ("cache_hit_ns", "page cache hit (1 thread)", lookup),
            ("cache_hit_concurrent_ns", "page cache hit (\(cores) threads, per lookup)", concurrent),
        ]
        for (_, label, nanoseconds) in rows {
            print(
                label.padding(toLength: 44, withPad: " ", startingAt: 0)
                    + String(format: "%8.0f ns   %10.0f /s", nanoseconds, 1e9 / nanoseconds)
            )
        }
        var document: [String: Any] = ["benchmark": "micro", "operations": operations, "threads": cores]
        for (key, _, nanoseconds) in rows {
            document[key] = nanoseconds
        }
        let json = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])
        try (json + Data("\n".utf8)).write(to: URL(filePath: output), options: .atomic)
        FileHandle.standardError.write(Data("edge-micro: wrote \(output)\n".utf8))
    }

    /// A cache holding every page, with a budget large enough that nothing is evicted.
    static func filledCache(tenants: Int, routesPerTenant: Int, bodyBytes: Int) -> (PageCache, [CacheKey]) {
        let cache = PageCache(budgetBytes: 1 << 30)
        let page = CachedPage(
            rendered: RenderedPage(
                status: 200,
                contentType: "text/html; charset=utf-8",
                body: Array(repeating: UInt8(ascii: "x"), count: bodyBytes)
            ),
            headers: [("Cache-Control", "no-cache")]
        )
        var keys: [CacheKey] = []
        for _ in 0..<tenants {
            let tenant = UUID()
            for route in 0..<routesPerTenant {
                let key = CacheKey(tenantID: tenant, contentVersion: 1, route: "/products/item-\(route)")
                precondition(cache.insert(page, for: key), "the budget holds every page")
                keys.append(key)
            }
        }
        return (cache, keys)
    }

    /// Nanoseconds per operation: the median over batches of `operations` split across threads,
    /// each thread taking its own contiguous range of operation numbers.
    static func measure(
        operations: Int,
        threads: Int = 1,
        _ body: @escaping @Sendable (Range<Int>) -> Void
    ) -> Double {
        body(0..<min(operations, 10_000))
        var samples: [Double] = []
        for _ in 0..<Self.batches {
            let share = operations / threads
            let start = ContinuousClock.now
            let group = DispatchGroup()
            for thread in 0..<threads {
                DispatchQueue.global().async(group: group) { body(thread * share..<(thread + 1) * share) }
            }
            group.wait()
            let elapsed = ContinuousClock.now - start
            samples.append(Double(elapsed.components.attoseconds) / 1e9 + Double(elapsed.components.seconds) * 1e9)
        }
        return samples.sorted()[samples.count / 2] / Double(operations)
    }
}
