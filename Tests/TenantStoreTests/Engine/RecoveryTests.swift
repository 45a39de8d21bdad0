import EdgeTestSupport
import Synchronization
import TenantStore
import Testing

/// Per-writer acknowledged operation counts, shared with the writer tasks.
private final class Acknowledgements: Sendable {
    let counts: Mutex<[Int]>

    init(writers: Int) { self.counts = Mutex([Int](repeating: 0, count: writers)) }
}

@Suite("FileKeyValueStore: recovery and faults")
struct RecoveryTests {
    static let directory = "/data/store"

    /// Writes three single-put frames and returns the active segment's path.
    private func threeFrames(_ fileSystem: SimulatedFileSystem) async throws -> String {
        let store = try FileKeyValueStore.open(directory: Self.directory, options: .simulated(fileSystem))
        for index in 1...3 { try await store.put("key\(index)", bytes(String(repeating: "\(index)", count: 100))) }
        store.close()
        return Self.directory + "/seg-00000001.log"
    }

    /// Size of one frame holding one put of a 4-byte key and a 100-byte value.
    private let frameSize = 16 + 12 + 15 + 4 + 100

    @Test(arguments: [0, 7, 16, 50])
    func tornTailIsCutAndSavedAside(keptBytes: Int) async throws {
        let fileSystem = SimulatedFileSystem()
        let segment = try await self.threeFrames(fileSystem)
        let original = fileSystem.contents(of: segment)!
        #expect(original.count == 3 * self.frameSize)
        let tornFrame = Array(original[(2 * self.frameSize)...].prefix(keptBytes))
        fileSystem.setContents(of: segment, Array(original.prefix(2 * self.frameSize)) + tornFrame)
        let store = try FileKeyValueStore.open(directory: Self.directory, options: .simulated(fileSystem))
        defer { store.close() }
        #expect(text(try await store.get("key2")) == String(repeating: "2", count: 100))
        #expect(try await store.get("key3") == nil)
        if keptBytes > 0 {
            let torn = try #require(store.recoveryReport.tornTail)
            #expect(torn.offset == 2 * self.frameSize)
            #expect(fileSystem.contents(of: Self.directory + "/" + torn.savedAs!) == tornFrame)
        }
        #expect(fileSystem.contents(of: segment)!.count == 2 * self.frameSize)
        try await store.put("key3", bytes("again"))
        #expect(store.statistics.lastSeq == 3)
    }

    @Test func zeroFilledTailIsRecovered() async throws {
        let fileSystem = SimulatedFileSystem()
        let segment = try await self.threeFrames(fileSystem)
        let original = fileSystem.contents(of: segment)!
        fileSystem.setContents(of: segment, original + [UInt8](repeating: 0, count: 4096))
        let store = try FileKeyValueStore.open(directory: Self.directory, options: .simulated(fileSystem))
        defer { store.close() }
        #expect(store.recoveryReport.tornTail == nil)
        #expect(store.statistics.keys == 3)
        #expect(fileSystem.contents(of: segment) == original)
    }

    @Test func lastFrameWithZeroedSectorIsTorn() async throws {
        let fileSystem = SimulatedFileSystem()
        let store = try FileKeyValueStore.open(directory: Self.directory, options: .simulated(fileSystem))
        try await store.put("small", bytes("x"))
        try await store.put("large", [UInt8](repeating: 7, count: 3000))
        store.close()
        let segment = Self.directory + "/seg-00000001.log"
        var damaged = fileSystem.contents(of: segment)!
        for position in 1024..<1536 { damaged[position] = 0 }
        fileSystem.setContents(of: segment, damaged)
        let reopened = try FileKeyValueStore.open(directory: Self.directory, options: .simulated(fileSystem))
        defer { reopened.close() }
        #expect(reopened.recoveryReport.tornTail != nil)
        #expect(reopened.statistics.keys == 1)
    }

    @Test func bitFlipInTheMiddleRefusesReadWriteOpen() async throws {
        let fileSystem = SimulatedFileSystem()
        let segment = try await self.threeFrames(fileSystem)
        var damaged = fileSystem.contents(of: segment)!
        damaged[self.frameSize + 60] ^= 0x04
        fileSystem.setContents(of: segment, damaged)

        do {
            _ = try FileKeyValueStore.open(directory: Self.directory, options: .simulated(fileSystem))
            Issue.record("a flipped bit in an acknowledged frame must refuse the open")
        } catch let error as TenantStoreError {
            #expect(error.code == .corrupted)
            #expect(error.message.contains("seg-00000001.log"))
            #expect(error.message.contains("offset \(self.frameSize)"))
            #expect(error.message.contains("read-only"))
        }

        let readOnly = try FileKeyValueStore.open(
            directory: Self.directory,
            options: .simulated(fileSystem, mode: .readOnly)
        )
        #expect(readOnly.recoveryReport.corruption?.offset == self.frameSize)
        #expect(readOnly.statistics.keys == 1)
        #expect(fileSystem.contents(of: segment) == damaged)
        readOnly.close()

        let repaired = try FileKeyValueStore.open(
            directory: Self.directory,
            options: .simulated(fileSystem, mode: .repair)
        )
        #expect(repaired.statistics.keys == 1)
        try await repaired.put("key2", bytes("rewritten"))
        repaired.close()
        let reopened = try FileKeyValueStore.open(directory: Self.directory, options: .simulated(fileSystem))
        defer { reopened.close() }
        #expect(text(try await reopened.get("key2")) == "rewritten")
    }

    @Test func sequenceGapRefusesOpen() async throws {
        let fileSystem = SimulatedFileSystem()
        let segment = try await self.threeFrames(fileSystem)
        let original = fileSystem.contents(of: segment)!
        let withoutSecond = Array(original[0..<self.frameSize]) + Array(original[(2 * self.frameSize)...])
        fileSystem.setContents(of: segment, withoutSecond)
        #expect {
            _ = try FileKeyValueStore.open(directory: Self.directory, options: .simulated(fileSystem))
        } throws: { error in
            (error as? TenantStoreError)?.message.contains("sequence gap: expected 2, found 3") == true
        }
    }

    @Test func failedSyncMakesTheStoreReadOnly() async throws {
        let fileSystem = SimulatedFileSystem()
        let store = try FileKeyValueStore.open(directory: Self.directory, options: .simulated(fileSystem))
        try await store.put("before", bytes("kept"))
        fileSystem.failSync()
        await #expect(throws: TenantStoreError.self) { try await store.put("during", bytes("lost")) }
        // Never retried as if nothing happened: every later write fails too, and says why.
        do {
            try await store.put("after", bytes("refused"))
            Issue.record("a write after a failed sync must fail")
        } catch let error as TenantStoreError {
            #expect(error.code == .readOnly)
        }
        #expect(store.writeFailure != nil)
        #expect(try await store.get("during") == nil)
        let survivor = fileSystem.powerCut(.dropUnsynced)
        store.close()
        let reopened = try FileKeyValueStore.open(directory: Self.directory, options: .simulated(survivor))
        defer { reopened.close() }
        #expect(text(try await reopened.get("before")) == "kept")
        // Never acknowledged, so the disk may or may not have kept it; if it did, it is whole.
        let during = text(try await reopened.get("during"))
        #expect(during == nil || during == "lost")
        #expect(try await reopened.get("after") == nil)
    }

    @Test func shortWriteLeavesATornTailThatRecovers() async throws {
        let fileSystem = SimulatedFileSystem()
        let store = try FileKeyValueStore.open(directory: Self.directory, options: .simulated(fileSystem))
        try await store.put("before", bytes("kept"))
        fileSystem.failNextWrite(afterBytes: 20)
        await #expect(throws: TenantStoreError.self) { try await store.put("during", bytes("lost")) }
        await #expect(throws: TenantStoreError.self) { try await store.put("after", bytes("refused")) }
        let killed = fileSystem.processKill()
        store.close()
        let reopened = try FileKeyValueStore.open(directory: Self.directory, options: .simulated(killed))
        defer { reopened.close() }
        #expect(reopened.recoveryReport.tornTail?.length ?? 0 > 20)
        #expect(reopened.statistics.keys == 1)
    }

    @Test(arguments: SimulatedFileSystem.Tearing.allCases)
    func powerCutKeepsExactlyAnAcknowledgedPrefix(tearing: SimulatedFileSystem.Tearing) async throws {
        for seed in UInt64(1)...6 {
            try await self.powerCut(tearing: tearing, seed: seed, compacting: seed % 2 == 0)
        }
    }

    private func powerCut(tearing: SimulatedFileSystem.Tearing, seed: UInt64, compacting: Bool) async throws {
        let fileSystem = SimulatedFileSystem()
        var options = StoreOptions.simulated(fileSystem)
        options.segmentSizeLimit = 16 * 1024
        let store = try FileKeyValueStore.open(directory: Self.directory, options: options)
        let writers = 4
        let acknowledged = Acknowledgements(writers: writers)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    var operation = 0
                    while !Task.isCancelled {
                        operation += 1
                        do {
                            try await store.batch(CrashSchedule.batch(writer: writer, operation: operation))
                        } catch {
                            return
                        }
                        acknowledged.counts.withLock { $0[writer] = operation }
                    }
                }
            }
            if compacting {
                group.addTask {
                    while !Task.isCancelled {
                        try? await store.compact()
                        try? await Task.sleep(for: .milliseconds(1))
                    }
                }
            }
            // Cut after a seed-dependent amount of progress (not time: other tests share the cores).
            let target = 20 + Int(seed) * 15
            let deadline = ContinuousClock.now + .seconds(20)
            while acknowledged.counts.withLock({ $0.reduce(0, +) }) < target && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(1))
            }
            let acked = acknowledged.counts.withLock { $0 }
            let cut = fileSystem.powerCut(tearing, seed: seed)
            // Writes acknowledged between reading the counts and the cut may be in it too.
            let atMost = acknowledged.counts.withLock { $0 }.map { $0 + 1 }
            group.cancelAll()
            try await group.waitForAll()
            store.close()
            let recovered = try FileKeyValueStore.open(directory: Self.directory, options: .simulated(cut))
            defer { recovered.close() }
            var model = CrashModel(writers: writers)
            let counts = try await CrashSchedule.verify(recovered, model: &model, acknowledged: acked, atMost: atMost)
            #expect(counts.reduce(0, +) > 0)
        }
    }

    @Test func filesTheManifestDoesNotListAreRemoved() async throws {
        let fileSystem = SimulatedFileSystem()
        _ = try await self.threeFrames(fileSystem)
        _ = try fileSystem.openFile(Self.directory + "/seg-00000009.log", create: true)
        _ = try fileSystem.openFile(Self.directory + "/seg-00000002.log.tmp", create: true)
        let store = try FileKeyValueStore.open(directory: Self.directory, options: .simulated(fileSystem))
        defer { store.close() }
        #expect(store.recoveryReport.removedFiles == ["seg-00000002.log.tmp", "seg-00000009.log"])
        #expect(store.statistics.keys == 3)
    }

    @Test func segmentsWithoutManifestAreRefused() async throws {
        let fileSystem = SimulatedFileSystem()
        _ = try await self.threeFrames(fileSystem)
        try fileSystem.removeFile(Self.directory + "/MANIFEST")
        #expect(throws: TenantStoreError.self) {
            _ = try FileKeyValueStore.open(directory: Self.directory, options: .simulated(fileSystem))
        }
    }
}
