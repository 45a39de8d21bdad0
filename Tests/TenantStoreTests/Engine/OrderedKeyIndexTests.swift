import Testing

@testable import TenantStore

@Suite("Ordered key index")
struct OrderedKeyIndexTests {
    /// Random puts and removes, with scans between them of every size of change (a few keys are
    /// placed by binary search, many by a merge), always agree with a sorted reference set.
    @Test(arguments: [1, 7, 500])
    func scansAgreeWithASortedSetUnderRandomChanges(changesPerScan: Int) {
        var generator = SystemRandomNumberGenerator()
        var index = OrderedKeyIndex()
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
        }
    }
}
