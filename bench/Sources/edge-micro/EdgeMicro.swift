@_spi(Benchmarks) import Edge
import Foundation
import NIOCore
import NIOEmbedded
import Render
import TenantStore

/// `bench/run micro`: the two lookups every storefront request makes before any byte is
/// written and the writing of its answer, through the Edge module's API, and the JSON every
/// audited admin write makes.
///
/// - host resolution: `HostResolver.resolve(authority:)` on `t00001.bench.test:8443`-style
///   authorities (normalisation and classification), over 10,000 tenant hosts;
/// - page cache hit: `PageCache.lookup` for 32,000 cached pages (1,000 tenants × 32 routes),
///   on one thread and on every core at once (the cache has one lock);
/// - response encoding: a `GET` answered with a cached 8,000-byte page by the storefront's
///   HTTP/1.1 handler (request read, status line, fields and body written) and by its HTTP/2
///   handler (HEADERS decoded; HEADERS and DATA frames written), on an `EmbeddedChannel`:
///   the transports' share of a cache hit, without TLS, sockets or the two lookups above;
///   beside them, a handler that writes the same HTTP/1.1 answer without reading the request
///   (the channel round trip's own cost, the floor under both);
/// - an audit event to and from JSON text, as every audited admin write stores one and an
///   audit listing reads a page of them: through `JSONValue` (the store's codec) and through
///   Foundation's `JSONEncoder`/`JSONDecoder` beside it.
///
/// Figures are the median of 7 batches (for the JSON rows, 7 of each alternating); the JSON
/// goes to `--out`.
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

        let event = AuditEvent(
            actor: "operator:alice",
            action: "PUT /api/tenants/{id}/config/{key}",
            target: "/api/tenants/6F1C2A9E-4B7D-4E35-9C0A-2B8D5E7F1A3C/config/branding",
            tenantId: UUID(),
            requestId: "7d3f0c9a-1b2e-4f5a-8c6d-9e0f1a2b3c4d",
            clientAddress: "203.0.113.7"
        )
        let jsonOperations = operations / 20
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = try JSONValue(encoding: event).jsonText()
        let data = Data(text)
        let (encodeValue, encodeFoundation) = Self.measurePair(
            operations: jsonOperations,
            { for _ in $0 { precondition((try? JSONValue(encoding: event).jsonText())?.isEmpty == false) } },
            { for _ in $0 { precondition((try? encoder.encode(event))?.isEmpty == false) } }
        )
        let (decodeValue, decodeFoundation) = Self.measurePair(
            operations: jsonOperations,
            { for _ in $0 { precondition((try? JSONValue(parsing: text).decode(as: AuditEvent.self)) == event) } },
            { for _ in $0 { precondition((try? JSONDecoder().decode(AuditEvent.self, from: data)) == event) } }
        )

        let page = Self.page(bodyBytes: 8_000)
        let responseOperations = operations / 10
        let http1 = try Self.measureHTTP1(page, operations: responseOperations)
        let http2 = try Self.measureHTTP2(page, operations: responseOperations)
        let harness = try Self.measureHarness(answering: http1.answer, operations: responseOperations)

        let rows: [(String, String, Double)] = [
            ("resolve_ns", "host resolution (1 thread)", resolve),
            ("cache_hit_ns", "page cache hit (1 thread)", lookup),
            ("cache_hit_concurrent_ns", "page cache hit (\(cores) threads, per lookup)", concurrent),
            ("response_http1_ns", "8 KB cached page answered, HTTP/1.1", http1.nanoseconds),
            ("response_http2_ns", "8 KB cached page answered, HTTP/2", http2),
            ("response_floor_ns", "the same bytes from a fixed-answer handler", harness),
            ("audit_encode_ns", "audit event to JSON, JSONValue", encodeValue),
            ("audit_encode_foundation_ns", "audit event to JSON, JSONEncoder", encodeFoundation),
            ("audit_decode_ns", "audit event from JSON, JSONValue", decodeValue),
            ("audit_decode_foundation_ns", "audit event from JSON, JSONDecoder", decodeFoundation),
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

    /// A page as the storefront caches it, with `bodyBytes` of body.
    static func page(bodyBytes: Int) -> CachedPage {
        CachedPage(
            rendered: RenderedPage(
                status: 200,
                contentType: "text/html; charset=utf-8",
                body: Array(repeating: UInt8(ascii: "x"), count: bodyBytes)
            ),
            headers: [("Cache-Control", "no-cache"), ("Vary", "Accept-Encoding")]
        )
    }

    /// A cache holding every page, with a budget large enough that nothing is evicted.
    static func filledCache(tenants: Int, routesPerTenant: Int, bodyBytes: Int) -> (PageCache, [CacheKey]) {
        let cache = PageCache(budgetBytes: 1 << 30)
        let page = Self.page(bodyBytes: bodyBytes)
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

    /// Nanoseconds per operation of `first` and `second`, their batches alternating so that the
    /// machine's drift, which on this VM swings a figure twofold within a minute, meets both.
    static func measurePair(
        operations: Int,
        _ first: @escaping @Sendable (Range<Int>) -> Void,
        _ second: @escaping @Sendable (Range<Int>) -> Void
    ) -> (Double, Double) {
        var samples: ([Double], [Double]) = ([], [])
        for _ in 0..<Self.batches {
            samples.0.append(Self.measure(operations: operations, batches: 1, first))
            samples.1.append(Self.measure(operations: operations, batches: 1, second))
        }
        return (samples.0.sorted()[Self.batches / 2], samples.1.sorted()[Self.batches / 2])
    }

    /// Nanoseconds per operation: the median over batches of `operations` split across threads,
    /// each thread taking its own contiguous range of operation numbers.
    static func measure(
        operations: Int,
        threads: Int = 1,
        batches: Int = Self.batches,
        _ body: @escaping @Sendable (Range<Int>) -> Void
    ) -> Double {
        body(0..<min(operations, 10_000))
        return Self.median(batches: batches, operations: operations) {
            let share = operations / threads
            let group = DispatchGroup()
            for thread in 0..<threads {
                DispatchQueue.global().async(group: group) { body(thread * share..<(thread + 1) * share) }
            }
            group.wait()
        }
    }

    /// Nanoseconds per operation of `batch`, which runs `operations` operations: the median of
    /// `batches` runs.
    static func median(batches: Int = Self.batches, operations: Int, _ batch: () throws -> Void) rethrows -> Double {
        var samples: [Double] = []
        for _ in 0..<batches {
            let start = ContinuousClock.now
            try batch()
            let elapsed = ContinuousClock.now - start
            samples.append(Double(elapsed.components.attoseconds) / 1e9 + Double(elapsed.components.seconds) * 1e9)
        }
        return samples.sorted()[samples.count / 2] / Double(operations)
    }
}
