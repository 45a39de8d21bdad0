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
        }

        /// The most entries kept; a full cache starts over, since the records that matter are
        /// the few read again and again, which refill it at once.
        static let capacity = 4096

        private let entries = Mutex<[String: Entry]>([:])

        func value<Value: Sendable>(_ type: Value.Type, at key: String, version: UInt64) -> Value? {
            self.entries.withLock { entries in
                guard let entry = entries[key], entry.version == version else { return nil }
                return entry.value as? Value
            }
        }

        func remember(_ value: some Sendable, at key: String, version: UInt64) {
            self.entries.withLock { entries in
                if entries.count >= Self.capacity, entries[key] == nil {
                    entries.removeAll(keepingCapacity: true)
                }
                entries[key] = Entry(version: version, value: value)
            }
        }
    }
}
