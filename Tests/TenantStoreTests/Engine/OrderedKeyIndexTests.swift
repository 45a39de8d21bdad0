import Testing

@testable import TenantStore

@Suite("Ordered key index")
struct OrderedKeyIndexTests {
    /// Random puts and removes, with scans between them of every size of change (a few keys are
    /// placed by binary search, many by a merge), always agree with a sorted reference set; with
    /// tiny chunks, so that placements split chunks and removals empty them.
    @Test(arguments: [1, 7, 500], [2, 5, 1024])
    func scansAgreeWithASortedSetUnderRandomChanges(changesPerScan: Int, chunkCapacity: Int) {
        var generator = SystemRandomNumberGenerator()
        var index = OrderedKeyIndex(chunkCapacity: chunkCapacity)
        var reference = Set<String>()
        for round in 0..<60 {
            for _ in 0..<changesPerScan {
                let key = "k/\(Int.random(in: 0..<2_000, using: &generator))"
                if Bool.random(using: &generator) || reference.count < 100 {
                    index.put(key, seq: UInt64(round), value: .owned([1]))
                    reference.insert(key)
                } else {
                    index.remove(key)
                    reference.remove(key)
                }
            }
            index.settle()
            let scanned = index.keys(prefix: "k/", after: nil, limit: 10_000).keys
            #expect(scanned == reference.sorted(), "round \(round)")
            let after = reference.sorted().dropFirst(reference.count / 2).first
            let tail = index.keys(prefix: "k/", after: after, limit: 10_000).keys
            #expect(tail == reference.sorted().filter { $0 > (after ?? "") })
            let page = index.keys(prefix: "k/", after: after, limit: 3)
            #expect(page.keys == Array(tail.prefix(3)))
            #expect(page.more == (tail.count > 3))
        }
    }

    /// Keys of other prefixes before and after bound a scan, wherever the chunk boundaries fall.
    @Test(arguments: [2, 3, 1024])
    func aScanStopsAtItsPrefix(chunkCapacity: Int) {
        var index = OrderedKeyIndex(chunkCapacity: chunkCapacity)
        for key in ["a/1", "b/1", "b/2", "b/3", "c/1", "b/0", "a/2", "c/0"] {
            index.put(key, seq: 1, value: .owned([1]))
            index.settle()
        }
        #expect(index.keys(prefix: "b/", after: nil, limit: 10).keys == ["b/0", "b/1", "b/2", "b/3"])
        #expect(index.keys(prefix: "b/", after: "b/1", limit: 10).keys == ["b/2", "b/3"])
        #expect(index.keys(prefix: "d/", after: nil, limit: 10).keys == [])
        #expect(index.keys(prefix: "", after: nil, limit: 100).keys.count == 8)
        index.remove("b/2")
        index.remove("c/0")
        index.remove("c/1")
        index.settle()
        #expect(index.keys(prefix: "", after: "b/1", limit: 100).keys == ["b/3"])
    }
}
