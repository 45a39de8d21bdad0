/// The in-memory index: every live key with its value and version, point lookups by hash and
/// ordered prefix scans.
///
/// Written by hand because swift-collections' `SortedDictionary` is an unreleased prototype
/// (behind its `UnstableSortedCollections` trait, "not ready for use in production"). Keys live
/// in a hash table plus sorted chunks; keys inserted or removed since the last scan wait in small
/// side lists and are brought into the chunks by the next scan: a few at a time by binary search,
/// many at once by one merge pass. Point reads and writes never pay for ordering, and most writes
/// overwrite existing keys, which changes nothing here.
///
/// Chunks rather than one sorted array: placing a key in one array moves every key after it, and
/// every admin write adds an audit key in the middle of the order, so each write cost more than
/// the last (at 1 M keys, 8 MB moved per write, under the store's lock). A chunk holds at most
/// `chunkCapacity` keys, so a placement moves at most that many.
struct OrderedKeyIndex {
    struct Entry {
        var seq: UInt64
        var value: StoredBytes
    }

    /// Where a key is or would be: a chunk and an offset in it; `chunks.count` past the end.
    private struct Position {
        var chunk: Int
        var offset: Int
    }

    private(set) var entries: [String: Entry] = [:]
    /// Non-empty sorted runs, each before the next, each of at most `chunkCapacity` keys.
    private var chunks: [[String]] = []
    private let chunkCapacity: Int
    private var insertedKeys: [String] = []
    private var removedKeys: [String] = []
    /// The sum of key and value sizes of the live entries.
    private(set) var liveBytes = 0
    /// Entries whose value still lives in a mapped segment.
    private(set) var mappedCount = 0

    var count: Int { self.entries.count }

    /// - Parameter chunkCapacity: 1,024 keys moves 16 KB at most per placement, and 1 M keys
    ///   take 1,000 chunks, about 10 steps of the chunk search.
    init(chunkCapacity: Int = 1024) {
        precondition(chunkCapacity >= 2)
        self.chunkCapacity = chunkCapacity
    }

    subscript(key: String) -> Entry? { self.entries[key] }

    /// Sizes the hash table up front: rehashing while it grows was a fifth of open time.
    mutating func reserveCapacity(_ capacity: Int) {
        self.entries.reserveCapacity(capacity)
    }

    mutating func put(_ key: String, seq: UInt64, value: StoredBytes) {
        if case .mapped = value { self.mappedCount += 1 }
        if let old = self.entries.updateValue(Entry(seq: seq, value: value), forKey: key) {
            if case .mapped = old.value { self.mappedCount -= 1 }
            self.liveBytes += value.count - old.value.count
        } else {
            self.liveBytes += key.utf8.count + value.count
            self.insertedKeys.append(key)
        }
    }

    mutating func remove(_ key: String) {
        guard let old = self.entries.removeValue(forKey: key) else { return }
        if case .mapped = old.value { self.mappedCount -= 1 }
        self.liveBytes -= key.utf8.count + old.value.count
        self.removedKeys.append(key)
    }

    /// Brings the sorted chunks up to date; called before ordered reads.
    ///
    /// A scan after every write is the common case (a write reads its tenant's keys, then adds
    /// one audit record), so a handful of changes are placed by binary search: a merge pass
    /// would hash and compare every key in the store for each of them.
    mutating func settle() {
        guard !self.insertedKeys.isEmpty || !self.removedKeys.isEmpty else { return }
        if (self.insertedKeys.count + self.removedKeys.count) * 64 < self.entries.count {
            for key in self.removedKeys where self.entries[key] == nil {
                self.removeSorted(key)
            }
            for key in self.insertedKeys where self.entries[key] != nil {
                self.insertSorted(key)
            }
        } else {
            self.merge()
        }
        self.insertedKeys = []
        self.removedKeys = []
    }

    private mutating func insertSorted(_ key: String) {
        var position = self.position(of: key)
        if position.chunk == self.chunks.count {
            guard !self.chunks.isEmpty else {
                self.chunks.append([key])
                return
            }
            position = Position(chunk: self.chunks.count - 1, offset: self.chunks[self.chunks.count - 1].count)
        } else if self.chunks[position.chunk][position.offset] == key {
            return
        }
        self.chunks[position.chunk].insert(key, at: position.offset)
        if self.chunks[position.chunk].count > self.chunkCapacity {
            let half = self.chunks[position.chunk].count / 2
            let upper = Array(self.chunks[position.chunk][half...])
            self.chunks[position.chunk].removeSubrange(half...)
            self.chunks.insert(upper, at: position.chunk + 1)
        }
    }

    private mutating func removeSorted(_ key: String) {
        let position = self.position(of: key)
        guard position.chunk < self.chunks.count, self.chunks[position.chunk][position.offset] == key else { return }
        if self.chunks[position.chunk].count == 1 {
            self.chunks.remove(at: position.chunk)
        } else {
            self.chunks[position.chunk].remove(at: position.offset)
        }
    }

    /// Rebuilds the chunks from them and the inserted keys in one pass, each chunk half full so
    /// that the placements after it do not split at once.
    private mutating func merge() {
        let inserted = self.insertedKeys.filter { self.entries[$0] != nil }.sorted()
        let checksRemovals = !self.removedKeys.isEmpty
        let fill = max(1, self.chunkCapacity / 2)
        var merged: [[String]] = []
        merged.reserveCapacity(self.entries.count / fill + 1)
        var chunk: [String] = []
        chunk.reserveCapacity(fill)
        var previous: String?
        var existing = self.chunks.joined().makeIterator()
        var nextExisting = existing.next()
        var right = 0
        while nextExisting != nil || right < inserted.count {
            let key: String
            if let candidate = nextExisting, right == inserted.count || candidate < inserted[right] {
                key = candidate
                nextExisting = existing.next()
                if checksRemovals, self.entries[key] == nil { continue }
            } else {
                key = inserted[right]
                right += 1
            }
            guard previous != key else { continue }
            previous = key
            chunk.append(key)
            if chunk.count == fill {
                merged.append(chunk)
                chunk = []
                chunk.reserveCapacity(fill)
            }
        }
        if !chunk.isEmpty { merged.append(chunk) }
        self.chunks = merged
    }

    /// The first key not less than `key`: the first chunk whose last key is not less, and in it
    /// the first such offset.
    private func position(of key: String) -> Position {
        var low = 0
        var high = self.chunks.count
        while low < high {
            let middle = (low + high) / 2
            if self.chunks[middle][self.chunks[middle].count - 1] < key { low = middle + 1 } else { high = middle }
        }
        guard low < self.chunks.count else { return Position(chunk: low, offset: 0) }
        let chunk = low
        low = 0
        high = self.chunks[chunk].count
        while low < high {
            let middle = (low + high) / 2
            if self.chunks[chunk][middle] < key { low = middle + 1 } else { high = middle }
        }
        return Position(chunk: chunk, offset: low)
    }

    /// Up to `limit` keys with `prefix`, strictly after `cursor`, in order. Call ``settle()`` first.
    func keys(prefix: String, after cursor: String?, limit: Int) -> (keys: [String], more: Bool) {
        var result: [String] = []
        let start = self.position(of: max(prefix, cursor ?? prefix))
        var offset = start.offset
        for chunk in self.chunks[start.chunk...] {
            while offset < chunk.count {
                let key = chunk[offset]
                guard key.hasPrefix(prefix) else { return (result, false) }
                if key != cursor {
                    if result.count == limit { return (result, true) }
                    result.append(key)
                }
                offset += 1
            }
            offset = 0
        }
        return (result, false)
    }
}
