import Synchronization

extension RecordStore {
    /// The values of recently read records as decoded, by key and the version they were read at.
    ///
    /// A config `PUT` reads its tenant and the tenant's configuration, and decoding their JSON
    /// was 8 % of its CPU; most reads find the record unchanged since the last one. A version is
    /// the store's sequence number of the write that stored the bytes, never reused for other
    /// bytes under the key, so an entry whose version matches the store's is the decoding of
    /// exactly those bytes: a write can never be served stale, only miss.
    final class DecodedRecords: Sendable {
        private struct Entry {
            var version: UInt64
            var value: any Sendable
            var cost: Int
        }

        private struct State {
            var entries: [String: Entry] = [:]
            var cost = 0
        }

        /// What all entries may cost together: each its stored bytes, its key and
        /// ``entryOverhead``. Full, the cache starts over, since the records that matter are the
        /// few read again and again, which refill it at once.
        static let budget = 8 << 20
        /// Records stored in more bytes than this (templates, large imports) are not kept: they
        /// are read once per render or change, and would crowd out the small ones.
        static let largestRecord = 64 << 10
        /// The dictionary slot and the boxed value of an entry, estimated.
        static let entryOverhead = 128

        private let state = Mutex(State())

        func value<Value: Sendable>(_ type: Value.Type, at key: String, version: UInt64) -> Value? {
            self.state.withLock { state in
                guard let entry = state.entries[key], entry.version == version else { return nil }
                return entry.value as? Value
            }
        }

        /// Keeps `value`, the decoding of the `byteCount` bytes stored under `key` at `version`.
        func remember(_ value: some Sendable, at key: String, version: UInt64, byteCount: Int) {
            guard byteCount <= Self.largestRecord else { return }
            let cost = byteCount + key.utf8.count + Self.entryOverhead
            self.state.withLock { state in
                if let replaced = state.entries[key] {
                    state.cost -= replaced.cost
                }
                if state.cost + cost > Self.budget {
                    state.entries.removeAll(keepingCapacity: true)
                    state.cost = 0
                }
                state.entries[key] = Entry(version: version, value: value, cost: cost)
                state.cost += cost
            }
        }

        /// The entries' total cost, for tests.
        var cost: Int { self.state.withLock { $0.cost } }
    }
}
