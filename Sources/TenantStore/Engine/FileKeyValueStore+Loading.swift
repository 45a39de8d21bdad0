import Foundation

extension FileKeyValueStore {
    /// Copies the values that open left in their mapped segments into arrays of their own, on a
    /// background thread, a slice at a time.
    ///
    /// Opening maps the segments so that it is fast (no copy, no zeroed memory); but a read
    /// must return an array, so a mapped value costs a 2 KB copy on every first read, which cut
    /// random reads to about half. Loading after open keeps open fast and makes reads share
    /// arrays; the mapped segments are released as their last values move.
    func startLoadingValues() {
        let thread = Thread { [self] in
            let snapshot = self.state.withReadLock { $0.index.entries }
            var slice: [(key: String, seq: UInt64, value: StoredBytes)] = []
            slice.reserveCapacity(Self.loadingSlice)
            for (key, entry) in snapshot {
                guard case .mapped = entry.value else { continue }
                slice.append((key, entry.seq, entry.value))
                if slice.count == Self.loadingSlice {
                    guard self.load(slice) else { return }
                    slice.removeAll(keepingCapacity: true)
                }
            }
            _ = self.load(slice)
        }
        thread.name = "tenant-store-load"
        thread.start()
    }

    /// Values per exclusive-lock turn: short enough that readers barely notice.
    private static let loadingSlice = 256

    /// Copies outside the lock, then swaps in what did not change meanwhile; false once closed.
    private func load(_ slice: [(key: String, seq: UInt64, value: StoredBytes)]) -> Bool {
        let copies = slice.map { $0.value.array }
        return self.state.withLock { state in
            guard !state.closed else { return false }
            for (item, bytes) in zip(slice, copies) where state.index[item.key]?.seq == item.seq {
                state.index.put(item.key, seq: item.seq, value: .owned(bytes))
            }
            return true
        }
    }
}
