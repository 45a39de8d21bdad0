import Synchronization

/// The in-memory cache of rendered storefront pages.
///
/// - A hit is served synchronously with ``lookup(_:)``: one lock acquisition, no allocation,
///   no task hop, so a channel handler can answer on its event loop. The returned page shares
///   its body storage with the cache.
/// - A miss goes through ``page(for:render:)``, which coalesces concurrent misses for one key
///   into a single render (single flight) and inserts the result.
/// - Memory is bounded by a byte budget; eviction is S3-FIFO (see `PageCache+Eviction.swift`),
///   which keeps pages that are requested again even while crawlers or scanners stream
///   through many pages that are requested once.
/// - There is no invalidation API: a change bumps the tenant's content version, which is part
///   of ``CacheKey``, so stale entries are simply never asked for again and age out.
///
/// Thread-safe; share one instance across all event loops and tasks.
public final class PageCache: Sendable {
    private let state: Mutex<State>

    /// Creates a cache that holds at most `budgetBytes` of pages (bodies, headers and keys).
    public init(budgetBytes: Int) {
        precondition(budgetBytes >= 0, "a byte budget cannot be negative")
        self.state = Mutex(State(storage: Storage(budget: budgetBytes)))
    }

    /// The cached page for `key`, or `nil`; never waits.
    ///
    /// Counts a hit when found. A `nil` is not counted as a miss: callers follow it with
    /// ``page(for:render:)``, which counts the miss (or the hit, if a render finished in
    /// between), so every request is counted once.
    public func lookup(_ key: CacheKey) -> CachedPage? {
        self.state.withLock { state in
            let page = state.storage.get(key)
            if page != nil {
                state.hits += 1
            }
            return page
        }
    }

    /// Inserts a page rendered elsewhere; returns `false` if it is larger than the budget and
    /// was not kept.
    @discardableResult
    public func insert(_ page: CachedPage, for key: CacheKey) -> Bool {
        self.state.withLock { $0.storage.insert(page, for: key) }
    }

    /// The page for `key`, rendering it on a miss.
    ///
    /// Concurrent misses for one key call `render` once: the first caller renders, in its own
    /// task, and the others wait for its result. A successful render is inserted (unless it
    /// exceeds the budget) and returned to all of them. A failed render, including one ended
    /// by the rendering caller's cancellation, is not cached: every waiter gets the error, and
    /// the next request renders afresh. A waiting caller that is cancelled still waits for
    /// the render, which is short, rather than leaving a continuation behind.
    public func page(
        for key: CacheKey,
        render: @Sendable () async throws -> CachedPage
    ) async throws -> CachedPage {
        let role = self.state.withLock { state -> Role in
            if let page = state.storage.get(key) {
                state.hits += 1
                return .hit(page)
            }
            state.misses += 1
            if let flight = state.flights[key] {
                state.coalescedMisses += 1
                return .follow(flight)
            }
            let flight = Flight()
            state.flights[key] = flight
            state.renders += 1
            return .lead(flight)
        }

        switch role {
        case .hit(let page):
            return page
        case .follow(let flight):
            return try await withCheckedThrowingContinuation { continuation in
                let outcome = self.state.withLock { _ -> Result<CachedPage, any Error>? in
                    if let outcome = flight.outcome {
                        return outcome
                    }
                    flight.waiters.append(continuation)
                    return nil
                }
                if let outcome {
                    continuation.resume(with: outcome)
                }
            }
        case .lead(let flight):
            let outcome: Result<CachedPage, any Error>
            do {
                outcome = .success(try await render())
            } catch {
                outcome = .failure(error)
            }
            let waiters = self.state.withLock { state in
                state.flights[key] = nil
                switch outcome {
                case .success(let page):
                    state.storage.insert(page, for: key)
                case .failure:
                    state.renderFailures += 1
                }
                flight.outcome = outcome
                let waiters = flight.waiters
                flight.waiters = []
                return waiters
            }
            for waiter in waiters {
                waiter.resume(with: outcome)
            }
            return try outcome.get()
        }
    }

    /// A snapshot of the counters, for metrics.
    public var statistics: Statistics {
        self.state.withLock { state in
            Statistics(
                hits: state.hits,
                misses: state.misses,
                coalescedMisses: state.coalescedMisses,
                renders: state.renders,
                renderFailures: state.renderFailures,
                evictions: state.storage.evictions,
                bytes: state.storage.bytes,
                entries: state.storage.count,
                budgetBytes: state.storage.budget
            )
        }
    }

    /// Cache counters since creation; `bytes` and `entries` are current values.
    public struct Statistics: Sendable, Hashable {
        /// Requests answered from the cache.
        public var hits: Int
        /// Requests that had to render or wait for a render.
        public var misses: Int
        /// Misses that joined a render already in flight instead of starting one.
        public var coalescedMisses: Int
        /// Renders started.
        public var renders: Int
        /// Renders that threw; their results were not cached.
        public var renderFailures: Int
        /// Pages removed to stay within the budget.
        public var evictions: Int
        /// Bytes currently charged against the budget.
        public var bytes: Int
        /// Pages currently cached.
        public var entries: Int
        /// The byte budget.
        public var budgetBytes: Int
    }

    private struct State {
        var storage: Storage
        var flights: [CacheKey: Flight] = [:]
        var hits = 0
        var misses = 0
        var coalescedMisses = 0
        var renders = 0
        var renderFailures = 0
    }

    private enum Role {
        case hit(CachedPage)
        case lead(Flight)
        case follow(Flight)
    }

    /// One render in progress and the callers waiting for it.
    ///
    /// A class so that a waiter that looked the flight up can still find its outcome after
    /// the flight has left `State.flights`.
    // Unchecked because both fields are read and written only while `PageCache.state` is locked.
    private final class Flight: @unchecked Sendable {
        var waiters: [CheckedContinuation<CachedPage, any Error>] = []
        var outcome: Result<CachedPage, any Error>?
    }
}
