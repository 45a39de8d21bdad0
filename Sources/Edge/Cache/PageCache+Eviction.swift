import NIOCore

extension PageCache {
    /// The cached pages under a byte budget, evicted with S3-FIFO.
    ///
    /// S3-FIFO (Yang et al., "FIFO queues are all you need for cache eviction", SOSP 2023):
    /// new pages enter a small FIFO queue (about 10% of the budget). A page that is requested
    /// again while there moves to the main FIFO queue when it reaches the tail; a page that
    /// was not is dropped, and its key hash is remembered in a ghost queue, so that if it comes
    /// back soon it goes straight to main. The main queue evicts CLOCK-style: a page with a
    /// non-zero frequency is reinserted with the frequency lowered instead of being evicted.
    ///
    /// Why not LRU: a crawler walking every product page of every tenant would flush an LRU
    /// cache, while here one-hit pages only churn the small queue and the pages shoppers keep
    /// requesting stay in main. A hit is also cheaper: it bumps a two-bit counter instead of
    /// relinking a list.
    struct Storage {
        let budget: Int
        private(set) var bytes = 0
        private(set) var evictions = 0
        private var smallBytes = 0
        private var entries: [CacheKey: Entry] = [:]
        private var small = CircularBuffer<CacheKey>()
        private var main = CircularBuffer<CacheKey>()
        private var ghost = CircularBuffer<Int>()
        private var ghostCounts: [Int: Int] = [:]

        /// Frequencies saturate here: S3-FIFO needs only "not requested", "requested" and a
        /// little history for the main queue's second chances.
        private static let maximumFrequency: UInt8 = 3
        /// What an entry costs beyond its page: the key, the dictionary slot and queue slots.
        private static let entryOverhead = 128
        /// The ghost queue remembers at least this many evicted keys even when the cache
        /// holds fewer pages, so a tiny cache still recognises a returning page.
        private static let minimumGhostCount = 64

        init(budget: Int) {
            self.budget = budget
        }

        var count: Int { self.entries.count }

        /// The page for `key`, recording the request for eviction.
        mutating func get(_ key: CacheKey) -> CachedPage? {
            guard let index = self.entries.index(forKey: key) else {
                return nil
            }
            let frequency = self.entries.values[index].frequency
            if frequency < Self.maximumFrequency {
                self.entries.values[index].frequency = frequency + 1
            }
            return self.entries.values[index].page
        }

        /// Adds or replaces the page for `key`, evicting until the budget holds again.
        /// Returns `false`, keeping nothing, when the page alone exceeds the budget.
        @discardableResult
        mutating func insert(_ page: CachedPage, for key: CacheKey) -> Bool {
            let cost = page.byteCount + key.route.utf8.count + key.query.utf8.count + Self.entryOverhead
            guard cost <= self.budget else {
                return false
            }
            if let index = self.entries.index(forKey: key) {
                // Same key means same tenant and content version: a racing insert of an
                // equivalent page. Swap it in place; its queue position stays.
                let change = cost - self.entries.values[index].cost
                self.entries.values[index].page = page
                self.entries.values[index].cost = cost
                self.bytes += change
                if self.entries.values[index].queue == .small {
                    self.smallBytes += change
                }
            } else {
                let returning = self.ghostCounts[key.hashValue] != nil
                let queue: Queue = returning ? .main : .small
                self.entries[key] = Entry(page: page, cost: cost, frequency: 0, queue: queue)
                self.bytes += cost
                if returning {
                    self.main.append(key)
                } else {
                    self.small.append(key)
                    self.smallBytes += cost
                }
            }
            self.evictUntilWithinBudget()
            return true
        }

        private mutating func evictUntilWithinBudget() {
            while self.bytes > self.budget {
                if self.smallBytes > self.budget / 10 || self.main.isEmpty {
                    self.evictFromSmall()
                } else {
                    self.evictFromMain()
                }
            }
        }

        private mutating func evictFromSmall() {
            guard let key = self.small.popFirst(), let index = self.entries.index(forKey: key) else {
                return
            }
            let cost = self.entries.values[index].cost
            self.smallBytes -= cost
            if self.entries.values[index].frequency > 0 {
                self.entries.values[index].queue = .main
                self.main.append(key)
            } else {
                self.entries.remove(at: index)
                self.bytes -= cost
                self.evictions += 1
                self.remember(key.hashValue)
            }
        }

        private mutating func evictFromMain() {
            guard let key = self.main.popFirst(), let index = self.entries.index(forKey: key) else {
                return
            }
            let frequency = self.entries.values[index].frequency
            if frequency > 0 {
                self.entries.values[index].frequency = frequency - 1
                self.main.append(key)
            } else {
                self.bytes -= self.entries.values[index].cost
                self.entries.remove(at: index)
                self.evictions += 1
            }
        }

        /// Records an evicted key's hash; a collision only promotes some page early.
        private mutating func remember(_ hash: Int) {
            self.ghost.append(hash)
            self.ghostCounts[hash, default: 0] += 1
            let limit = max(self.entries.count, Self.minimumGhostCount)
            while self.ghost.count > limit, let oldest = self.ghost.popFirst() {
                if let count = self.ghostCounts[oldest], count > 1 {
                    self.ghostCounts[oldest] = count - 1
                } else {
                    self.ghostCounts[oldest] = nil
                }
            }
        }

        private struct Entry {
            var page: CachedPage
            var cost: Int
            var frequency: UInt8
            var queue: Queue
        }

        private enum Queue {
            case small
            case main
        }
    }
}
