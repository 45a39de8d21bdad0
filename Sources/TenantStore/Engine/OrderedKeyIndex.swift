/// The in-memory index: every live key with its value and version, point lookups by hash and
/// ordered prefix scans.
///
/// Written by hand because swift-collections' `SortedDictionary` is an unreleased prototype.
/// Keys live in a hash table plus a sorted array; keys inserted or removed since the last scan
/// wait in small side lists and are brought into the array by the next scan: a few at a time by
/// binary search, many at once by one merge pass. Point reads and writes never pay for
/// ordering, and most writes overwrite existing keys, which changes nothing here.
struct OrderedKeyIndex {
    struct Entry {
        var seq: UInt64
        var value: StoredBytes
    }

    private(set) var entries: [String: Entry] = [:]
    private var sortedKeys: [String] = []
    private var insertedKeys: [String] = []
    private var removedKeys: [String] = []
    /// The sum of key and value sizes of the live entries.
    private(set) var liveBytes = 0
    /// Entries whose value still lives in a mapped segment.
    private(set) var mappedCount = 0

    var count: Int { self.entries.count }

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

    /// Brings the sorted key array up to date; called before ordered reads.
    ///
    /// A scan after every write is the common case (a write reads its tenant's keys, then adds
    /// one audit record), so a handful of changes are placed by binary search: a merge pass
    /// would hash and compare every key in the store for each of them.
    mutating func settle() {
        guard !self.insertedKeys.isEmpty || !self.removedKeys.isEmpty else { return }
        if (self.insertedKeys.count + self.removedKeys.count) * 64 < self.sortedKeys.count {
            for key in self.removedKeys where self.entries[key] == nil {
                let position = self.position(of: key)
                if position < self.sortedKeys.count, self.sortedKeys[position] == key {
                    self.sortedKeys.remove(at: position)
                }
            }
            for key in self.insertedKeys where self.entries[key] != nil {
                let position = self.position(of: key)
                if position == self.sortedKeys.count || self.sortedKeys[position] != key {
                    self.sortedKeys.insert(key, at: position)
                }
            }
        } else {
            self.merge()
        }
        self.insertedKeys = []
        self.removedKeys = []
    }

    /// Rebuilds the sorted array from it and the inserted keys in one pass.
    private mutating func merge() {
        let inserted = self.insertedKeys.filter { self.entries[$0] != nil }.sorted()
        let checksRemovals = !self.removedKeys.isEmpty
        var merged: [String] = []
        merged.reserveCapacity(self.entries.count)
        var left = 0
        var right = 0
        while left < self.sortedKeys.count || right < inserted.count {
            let key: String
            if right == inserted.count || (left < self.sortedKeys.count && self.sortedKeys[left] < inserted[right]) {
                key = self.sortedKeys[left]
                left += 1
                if checksRemovals, self.entries[key] == nil { continue }
            } else {
                key = inserted[right]
                right += 1
            }
            if merged.last != key { merged.append(key) }
        }
        self.sortedKeys = merged
    }

    /// The index of the first sorted key not less than `key`.
    private func position(of key: String) -> Int {
        var low = 0
        var high = self.sortedKeys.count
        while low < high {
            let middle = (low + high) / 2
            if self.sortedKeys[middle] < key { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Up to `limit` keys with `prefix`, strictly after `cursor`, in order. Call ``settle()`` first.
    func keys(prefix: String, after cursor: String?, limit: Int) -> (keys: [String], more: Bool) {
        var result: [String] = []
        var position = self.position(of: max(prefix, cursor ?? prefix))
        while position < self.sortedKeys.count {
            let key = self.sortedKeys[position]
            guard key.hasPrefix(prefix) else { break }
            if key != cursor {
                if result.count == limit { return (result, true) }
                result.append(key)
            }
            position += 1
        }
        return (result, false)
    }
}
