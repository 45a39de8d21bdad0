import EdgeTestSupport
import Foundation
import TenantStore
import Testing

@Suite("FileKeyValueStore: API")
struct FileKeyValueStoreTests {
    @Test func putGetDeleteAndVersions() async throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanup() }
        let store = try FileKeyValueStore.open(directory: directory.path)
        defer { store.close() }
        let first = try await store.put("a", bytes("1"))
        #expect(store.latestVersion == first)
        let second = try await store.put("b", bytes("2"))
        #expect(second == first + 1)
        #expect(store.latestVersion == second)
        #expect(try await store.get("a") == StoredValue(bytes: bytes("1"), version: first))
        let third = try await store.put("a", bytes("3"))
        #expect(try await store.get("a")?.version == third)
        #expect(store.version(of: "a") == third)
        try await store.delete("a")
        #expect(try await store.get("a") == nil)
        #expect(store.version(of: "a") == nil)
        #expect(text(try await store.get("b")) == "2")
        let deleted = store.latestVersion
        #expect(deleted.map { $0 > third } == true)
        await #expect(throws: TenantStoreError.self) {
            var batch = WriteBatch()
            batch.require("b", .absent)
            batch.put("c", bytes("4"))
            try await store.batch(batch)
        }
        #expect(store.latestVersion == deleted, "a batch that fails its precondition changes nothing")
        store.close()
        #expect(store.version(of: "b") == nil)
        #expect(store.latestVersion == nil)
    }

    @Test func reopenKeepsEverythingAcknowledged() async throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanup() }
        var store = try FileKeyValueStore.open(directory: directory.path)
        for index in 0..<500 { try await store.put("key/\(index)", bytes("value \(index)")) }
        try await store.delete("key/7")
        store.close()
        store = try FileKeyValueStore.open(directory: directory.path)
        defer { store.close() }
        #expect(store.statistics.keys == 499)
        #expect(text(try await store.get("key/499")) == "value 499")
        #expect(try await store.get("key/7") == nil)
        #expect(store.statistics.lastSeq == 501)
        // Values mapped at open move into memory in the background and read the same after.
        let deadline = ContinuousClock.now + .seconds(10)
        while store.statistics.valuesInMappedSegments > 0 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(store.statistics.valuesInMappedSegments == 0)
        #expect(text(try await store.get("key/123")) == "value 123")
    }

    @Test func scanIsOrderedAndPaginated() async throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanup() }
        let store = try FileKeyValueStore.open(directory: directory.path)
        defer { store.close() }
        for key in ["p/c", "p/a", "q/a", "p/b", "o/z", "p/d"] { try await store.put(key, bytes(key)) }
        let first = try await store.scan(prefix: "p/", after: nil, limit: 2)
        #expect(first.entries.map(\.key) == ["p/a", "p/b"])
        let second = try await store.scan(prefix: "p/", after: first.nextCursor, limit: 2)
        #expect(second.entries.map(\.key) == ["p/c", "p/d"])
        #expect(second.nextCursor == nil)
        try await store.delete("p/b")
        try await store.put("p/bb", bytes("x"))
        let all = try await store.scan(prefix: "p/", after: nil, limit: 10)
        #expect(all.entries.map(\.key) == ["p/a", "p/bb", "p/c", "p/d"])
    }

    @Test func batchIsAtomicAndChecksPreconditions() async throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanup() }
        let store = try FileKeyValueStore.open(directory: directory.path)
        defer { store.close() }
        let version = try await store.put("tenant", bytes("v1"))
        var stale = WriteBatch()
        stale.require("tenant", .version(version + 10))
        stale.put("tenant", bytes("v2"))
        stale.put("other", bytes("x"))
        await #expect(throws: TenantStoreError.self) { try await store.batch(stale) }
        #expect(try await store.get("other") == nil)

        var fresh = WriteBatch()
        fresh.require("tenant", .version(version))
        fresh.require("index/acme", .absent)
        fresh.put("tenant", bytes("v2"))
        fresh.put("index/acme", bytes("tenant"))
        try await store.batch(fresh)
        #expect(text(try await store.get("tenant")) == "v2")

        var duplicate = WriteBatch()
        duplicate.require("index/acme", .absent)
        duplicate.put("index/acme", bytes("someone else"))
        do {
            try await store.batch(duplicate)
            Issue.record("a second claim of the same key must fail")
        } catch let error as TenantStoreError {
            #expect(error.code == .preconditionFailed)
        }
    }

    @Test func exactlyOneConcurrentClaimWins() async throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanup() }
        let store = try FileKeyValueStore.open(directory: directory.path)
        defer { store.close() }
        let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
            for claimant in 0..<64 {
                group.addTask {
                    var batch = WriteBatch()
                    batch.require("idx/subdomain/acme", .absent)
                    batch.put("idx/subdomain/acme", bytes("tenant-\(claimant)"))
                    do {
                        try await store.batch(batch)
                        return true
                    } catch let error as TenantStoreError where error.code == .preconditionFailed {
                        return false
                    }
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(winners == 1)
    }

    @Test func concurrentWritersShareSyncs() async throws {
        let fileSystem = SimulatedFileSystem()
        let store = try FileKeyValueStore.open(directory: "/data", options: .simulated(fileSystem))
        defer { store.close() }
        let syncsBefore = fileSystem.syncCount
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<64 {
                group.addTask {
                    for index in 0..<20 { try await store.put("w\(writer)/\(index)", bytes("x")) }
                }
            }
            try await group.waitForAll()
        }
        let statistics = store.statistics
        #expect(statistics.batchesCommitted == 64 * 20)
        #expect(statistics.framesWritten <= statistics.batchesCommitted)
        #expect(fileSystem.syncCount - syncsBefore == statistics.framesWritten)
    }

    @Test func rejectsBadKeysAndValues() async throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanup() }
        let store = try FileKeyValueStore.open(directory: directory.path)
        defer { store.close() }
        for key in ["", "has space", "tab\t", "ünïcode", String(repeating: "k", count: 1025)] {
            await #expect(throws: TenantStoreError.self) { try await store.put(key, bytes("x")) }
        }
        let huge = [UInt8](repeating: 1, count: KeyValueLimits.maximumValueLength + 1)
        await #expect(throws: TenantStoreError.self) { try await store.put("big", huge) }
        await #expect(throws: TenantStoreError.self) { try await store.scan(prefix: "", after: nil, limit: 0) }
    }

    @Test func secondWriterIsLockedOut() async throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanup() }
        let store = try FileKeyValueStore.open(directory: directory.path)
        do {
            _ = try FileKeyValueStore.open(directory: directory.path)
            Issue.record("a second read-write open must fail")
        } catch let error as TenantStoreError {
            #expect(error.code == .locked)
            #expect(error.message.contains("another process"))
        }
        store.close()
        let reopened = try FileKeyValueStore.open(directory: directory.path)
        reopened.close()
    }

    @Test func compactionKeepsLiveDataAndShrinksTheLog() async throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanup() }
        var options = StoreOptions()
        options.segmentSizeLimit = 64 * 1024
        options.automaticCompaction = false
        var store = try FileKeyValueStore.open(directory: directory.path, options: options)
        let value = [UInt8](repeating: UInt8(ascii: "v"), count: 1000)
        for round in 0..<5 {
            for index in 0..<200 { try await store.put("k/\(index)", value + bytes("\(round)")) }
        }
        for index in 0..<50 { try await store.delete("k/\(index)") }
        let before = store.statistics
        try await store.compact()
        let after = store.statistics
        #expect(after.diskBytes < before.diskBytes)
        #expect(Double(after.diskBytes) / Double(after.liveBytes) < 1.1)
        try await store.put("k/after", bytes("x"))
        store.close()
        store = try FileKeyValueStore.open(directory: directory.path, options: options)
        defer { store.close() }
        #expect(store.statistics.keys == 151)
        #expect(try await store.get("k/10") == nil)
        #expect(try await store.get("k/199")?.bytes == value + bytes("4"))
        #expect(store.statistics.lastSeq == after.lastSeq + 1)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(files.filter { $0.hasPrefix("seg-") }.count == 2)
    }

    @Test func backupIsConsistentAndVerified() async throws {
        let directory = TemporaryDirectory()
        let backup = TemporaryDirectory()
        defer {
            directory.cleanup()
            backup.cleanup()
        }
        let store = try FileKeyValueStore.open(directory: directory.path)
        defer { store.close() }
        for index in 0..<300 { try await store.put("k/\(index)", bytes("v\(index)")) }
        async let writes: Void = {
            for index in 300..<600 { try await store.put("k/\(index)", bytes("v\(index)")) }
        }()
        let report = try await store.backup(to: backup.path)
        try await writes
        #expect(report.keys >= 300)
        var options = StoreOptions()
        options.mode = .readOnly
        let copy = try FileKeyValueStore.open(directory: backup.path, options: options)
        defer { copy.close() }
        #expect(copy.statistics.keys == report.keys)
        #expect(copy.statistics.lastSeq == report.lastSeq)
        #expect(report.keys == Int(report.lastSeq))
        await #expect(throws: TenantStoreError.self) { try await copy.put("x", bytes("y")) }
        await #expect(throws: TenantStoreError.self) { try await store.backup(to: backup.path) }
    }
}
