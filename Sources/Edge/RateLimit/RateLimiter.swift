import Synchronization
import TenantStore

/// Token buckets per client key (an address, an API key): each key may spend `burst` requests
/// at once and regains `ratePerSecond` tokens every second.
///
/// Written by hand because it is a dozen lines over a dictionary, and the answer must carry
/// what `429`, `Retry-After` and the `RateLimit-*` headers need. Memory is bounded: past
/// ``capacity`` keys, buckets that are full again (idle clients) are dropped first, and if
/// none are, the table starts over, which only ever errs in the client's favour.
package final class RateLimiter: Sendable {
    /// The answer for one request.
    package struct Decision: Sendable, Hashable {
        /// Whether the request may proceed.
        package var allowed: Bool
        /// The bucket's size, for `RateLimit-Limit`.
        package var limit: Int
        /// Whole tokens left after this request, for `RateLimit-Remaining`.
        package var remaining: Int
        /// Seconds until the bucket is full again, for `RateLimit-Reset`.
        package var resetSeconds: Int
        /// Seconds until the next token, for `Retry-After` on a refused request.
        package var retryAfterSeconds: Int

        /// The `RateLimit-*` headers (draft-ietf-httpapi-ratelimit-headers), plus `Retry-After` when refused.
        package var headers: [(name: String, value: String)] {
            var headers = [
                ("RateLimit-Limit", String(self.limit)),
                ("RateLimit-Remaining", String(self.remaining)),
                ("RateLimit-Reset", String(self.resetSeconds)),
            ]
            if !self.allowed {
                headers.append(("Retry-After", String(self.retryAfterSeconds)))
            }
            return headers
        }
    }

    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    /// The most tokens a bucket holds.
    package let burst: Int
    /// Tokens regained per second.
    package let ratePerSecond: Double
    /// The most keys tracked at once.
    package let capacity: Int
    private let buckets = Mutex<[String: Bucket]>([:])

    package init(burst: Int, ratePerSecond: Double, capacity: Int = 100_000) {
        precondition(burst > 0 && ratePerSecond > 0, "a rate limit needs a positive burst and rate")
        self.burst = burst
        self.ratePerSecond = ratePerSecond
        self.capacity = capacity
    }

    /// Takes one token from `key`'s bucket if it has one.
    package func acquire(_ key: String, now: ContinuousClock.Instant = .now) -> Decision {
        let burst = Double(self.burst)
        return self.buckets.withLock { buckets in
            var bucket = buckets[key] ?? Bucket(tokens: burst, updated: now)
            let elapsed = now - bucket.updated
            bucket.tokens = min(burst, bucket.tokens + max(0, elapsed.timeInterval) * self.ratePerSecond)
            bucket.updated = now
            let allowed = bucket.tokens >= 1
            if allowed { bucket.tokens -= 1 }
            if buckets[key] == nil, buckets.count >= self.capacity {
                self.makeRoom(in: &buckets, now: now)
            }
            buckets[key] = bucket
            return Decision(
                allowed: allowed,
                limit: self.burst,
                remaining: Int(bucket.tokens),
                resetSeconds: Int(((burst - bucket.tokens) / self.ratePerSecond).rounded(.up)),
                retryAfterSeconds: max(1, Int(((1 - bucket.tokens) / self.ratePerSecond).rounded(.up)))
            )
        }
    }

    private func makeRoom(in buckets: inout [String: Bucket], now: ContinuousClock.Instant) {
        let refillTime = Duration.seconds(Double(self.burst) / self.ratePerSecond)
        buckets = buckets.filter { now - $0.value.updated < refillTime }
        if buckets.count >= self.capacity {
            buckets.removeAll(keepingCapacity: true)
        }
    }
}
