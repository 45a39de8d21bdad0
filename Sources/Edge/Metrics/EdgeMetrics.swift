public import CoreMetrics
import Metrics
import Synchronization

/// The edge's metrics, created once from a metrics factory and shared by every component.
///
/// Prometheus names (`edge_…`) with labels for the dimensions. The factory is passed in rather
/// than taken from `MetricsSystem` so that tests read their own registry; `edge serve`
/// bootstraps one Prometheus factory and hands it to everything.
///
/// The page cache keeps its own counters (it must count under its lock anyway); they are
/// published by ``publish(_:)`` when metrics are scraped instead of on every request.
public final class EdgeMetrics: Sendable {
    /// Storefront responses by status class: index 0 holds `1xx`, 4 holds `5xx`.
    let responses: [Counter]
    /// TLS handshakes that completed, by negotiated protocol.
    let handshakesHTTP1: Counter
    let handshakesHTTP2: Counter
    /// Time to render one page on a cache miss.
    let renderDuration: Metrics.Timer
    /// Time from a store write being queued to its being durable.
    let storeCommitDuration: Metrics.Timer
    private let cacheHits: Counter
    private let cacheMisses: Counter
    private let cacheEvictions: Counter
    private let cacheBytes: Gauge
    private let cacheEntries: Gauge
    /// What the cache counters stood at when last published, so counters advance by the difference.
    private let published = Mutex<PageCache.Statistics?>(nil)

    /// Creates the metrics on `factory`.
    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        self.responses = ["1xx", "2xx", "3xx", "4xx", "5xx"].map {
            Counter(label: "edge_http_responses_total", dimensions: [("class", $0)], factory: factory)
        }
        self.handshakesHTTP1 = Counter(
            label: "edge_tls_handshakes_total",
            dimensions: [("protocol", "http/1.1")],
            factory: factory
        )
        self.handshakesHTTP2 = Counter(
            label: "edge_tls_handshakes_total",
            dimensions: [("protocol", "h2")],
            factory: factory
        )
        self.renderDuration = Metrics.Timer(label: "edge_render_duration_seconds", factory: factory)
        self.storeCommitDuration = Metrics.Timer(label: "edge_store_commit_duration_seconds", factory: factory)
        self.cacheHits = Counter(label: "edge_cache_hits_total", factory: factory)
        self.cacheMisses = Counter(label: "edge_cache_misses_total", factory: factory)
        self.cacheEvictions = Counter(label: "edge_cache_evictions_total", factory: factory)
        self.cacheBytes = Gauge(label: "edge_cache_bytes", factory: factory)
        self.cacheEntries = Gauge(label: "edge_cache_entries", factory: factory)
    }

    /// For `StoreOptions.commitLatencyObserver`: records each store commit's latency.
    public var commitLatencyObserver: @Sendable (Duration) -> Void {
        { [storeCommitDuration] latency in storeCommitDuration.record(duration: latency) }
    }

    /// Records a render that started at `start`.
    func recordRender(since start: ContinuousClock.Instant) {
        self.renderDuration.record(duration: ContinuousClock.now - start)
    }

    /// Counts one completed TLS handshake by the protocol ALPN chose.
    func recordHandshake(http2: Bool) {
        (http2 ? self.handshakesHTTP2 : self.handshakesHTTP1).increment()
    }

    /// Counts one response by its status class.
    func recordResponse(status: Int) {
        let index = status / 100 - 1
        guard self.responses.indices.contains(index) else { return }
        self.responses[index].increment()
    }

    /// Brings the cache metrics up to date with the cache's own counters.
    public func publish(_ cache: PageCache) {
        let now = cache.statistics
        let before = self.published.withLock { published in
            defer { published = now }
            return published
        }
        self.cacheHits.increment(by: max(0, now.hits - (before?.hits ?? 0)))
        self.cacheMisses.increment(by: max(0, now.misses - (before?.misses ?? 0)))
        self.cacheEvictions.increment(by: max(0, now.evictions - (before?.evictions ?? 0)))
        self.cacheBytes.record(now.bytes)
        self.cacheEntries.record(now.entries)
    }
}
