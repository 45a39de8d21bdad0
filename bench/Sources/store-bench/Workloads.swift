import Dispatch
import Foundation
import Synchronization
import TenantStore

/// One round of a commit workload.
struct CommitRound {
    var commitsPerSecond: Double
    var p50Milliseconds: Double
    var p99Milliseconds: Double
    /// `nil` when the kernel does not count flushes.
    var deviceFlushesPerCommit: Double?

    init(latencies: [UInt64], elapsedNanos: UInt64, flushesBefore: UInt64?, flushesAfter: UInt64?) {
        self.commitsPerSecond = Double(latencies.count) / (Double(elapsedNanos) / 1e9)
        self.p50Milliseconds = percentileMilliseconds(latencies, 0.50)
        self.p99Milliseconds = percentileMilliseconds(latencies, 0.99)
        if let flushesBefore, let flushesAfter {
            self.deviceFlushesPerCommit = Double(flushesAfter - flushesBefore) / Double(latencies.count)
        }
    }
}

enum Workloads {
    /// One writer, one durable commit at a time, over the 1,000 hot keys.
    static func oneWriter(
        _ connection: any EngineConnection,
        commits: Int,
        documents: Documents,
        flushes: DeviceFlushCounter
    ) async throws -> CommitRound {
        let flushesBefore = flushes.read()
        let start = monotonicNanos()
        let latencies = try await Self.writerLoop(writer: 0, commits: commits, documents: documents) {
            try await connection.put($0, $1)
        }
        let elapsed = monotonicNanos() - start
        return CommitRound(
            latencies: latencies,
            elapsedNanos: elapsed,
            flushesBefore: flushesBefore,
            flushesAfter: flushes.read()
        )
    }

    /// `writers` tasks, each committing `commitsPerWriter` single puts back to back: what the
    /// store's group commit exists for. Latency includes the wait for the shared fsync.
    static func concurrentWriters(
        _ store: FileKeyValueStore,
        writers: Int,
        commitsPerWriter: Int,
        documents: Documents,
        flushes: DeviceFlushCounter
    ) async throws -> CommitRound {
        let flushesBefore = flushes.read()
        let start = monotonicNanos()
        let latencies = try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for writer in 0..<writers {
                group.addTask {
                    try await Self.writerLoop(writer: writer, commits: commitsPerWriter, documents: documents) {
                        try await store.put($0, $1)
                    }
                }
            }
            var all = [UInt64]()
            for try await writerLatencies in group {
                all += writerLatencies
            }
            return all
        }
        let elapsed = monotonicNanos() - start
        return CommitRound(
            latencies: latencies,
            elapsedNanos: elapsed,
            flushesBefore: flushesBefore,
            flushesAfter: flushes.read()
        )
    }

    /// The SQLite counterpart of ``concurrentWriters(_:writers:commitsPerWriter:documents:flushes:)``:
    /// `writers` threads sharing one connection, each commit taken under a mutex.
    ///
    /// Serialised rather than a connection per thread with `busy_timeout`: SQLite admits one
    /// writer at a time either way, and its busy handler sleeps 1–100 ms between retries, which
    /// would make the anchor slower than SQLite is when used well. A mutex queue is how a server
    /// would drive SQLite, and it is the harder anchor to beat.
    static func concurrentWriters(
        _ database: SQLiteDatabase,
        writers: Int,
        commitsPerWriter: Int,
        documents: Documents,
        flushes: DeviceFlushCounter
    ) async throws -> CommitRound {
        let results = ThreadResults()
        let lock = NSLock()
        let finished = DispatchGroup()
        let flushesBefore = flushes.read()
        let start = monotonicNanos()
        for writer in 0..<writers {
            finished.enter()
            let thread = Thread {
                defer { finished.leave() }
                results.record {
                    try Self.writerLoop(writer: writer, commits: commitsPerWriter, documents: documents) { key, value in
                        try lock.withLock { try database.put(key, value) }
                    }
                }
            }
            thread.start()
        }
        await withCheckedContinuation { continuation in
            finished.notify(queue: .global()) { continuation.resume() }
        }
        let elapsed = monotonicNanos() - start
        return CommitRound(
            latencies: try results.latencies(),
            elapsedNanos: elapsed,
            flushesBefore: flushesBefore,
            flushesAfter: flushes.read()
        )
    }

    /// Random point reads of `keys` in `order`, split over `tasks` concurrent tasks; returns reads/s.
    /// Every key must be present: a miss after the crash-and-reopen would be a lost ACKed write.
    static func reads(
        _ store: some KeyValueStore,
        keys: [String],
        order: [Int32],
        tasks: Int
    ) async throws -> Double {
        let share = order.count / tasks
        let start = monotonicNanos()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<tasks {
                group.addTask {
                    for position in (task * share)..<((task + 1) * share) {
                        let key = keys[Int(order[position])]
                        guard try await store.get(key)?.bytes.count == Documents.valueSize else {
                            throw BenchError("key \(key) missing or damaged")
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        return Double(share * tasks) / (Double(monotonicNanos() - start) / 1e9)
    }

    /// Reads on the calling task only: SQLite's single connection, as in the anchor, and the
    /// store's single-task figure.
    static func reads(_ connection: any EngineConnection, keys: [String], order: [Int32]) async throws -> Double {
        let start = monotonicNanos()
        for position in order {
            let key = keys[Int(position)]
            guard try await connection.valueSize(key) == Documents.valueSize else {
                throw BenchError("key \(key) missing or damaged")
            }
        }
        return Double(order.count) / (Double(monotonicNanos() - start) / 1e9)
    }

    /// What every admin write does to the store: a durable put of a new key in the middle of the
    /// key order (its audit record) and a short prefix scan (the tenant's records). Returns the
    /// process's CPU time per put + scan in µs: CPU rather than wall time, which each put's
    /// fdatasync would dominate. With a store that places a new key by moving every key after it,
    /// this grows with the number of keys.
    static func insertsWithScans(_ connection: any EngineConnection, keys: [String], count: Int) async throws -> Double
    {
        let value = [UInt8](repeating: UInt8(ascii: "a"), count: 256)
        let start = processCPUNanos()
        for index in 0..<count {
            let owner = keys[(index &* 7919) % keys.count]
            try await connection.put("\(owner)/audit/\(index)", value)
            guard try await connection.countKeys(prefix: owner + "/", limit: 10) >= 1 else {
                throw BenchError("the scan of \(owner)/ missed the key just written")
            }
        }
        return Double(processCPUNanos() - start) / Double(count) / 1000
    }

    /// A writer's loop, shared by the task-based and the thread-based workloads: it spreads
    /// the writers over the hot keys and times each commit.
    private static func writerLoop(
        writer: Int,
        commits: Int,
        documents: Documents,
        put: (String, [UInt8]) throws -> Void
    ) rethrows -> [UInt64] {
        var latencies = [UInt64]()
        latencies.reserveCapacity(commits)
        for index in 0..<commits {
            let sequence = writer * commits + index
            let began = monotonicNanos()
            try put(documents.hotKeys[sequence % documents.hotKeys.count], documents.value(sequence))
            latencies.append(monotonicNanos() - began)
        }
        return latencies
    }

    private static func writerLoop(
        writer: Int,
        commits: Int,
        documents: Documents,
        put: (String, [UInt8]) async throws -> Void
    ) async rethrows -> [UInt64] {
        var latencies = [UInt64]()
        latencies.reserveCapacity(commits)
        for index in 0..<commits {
            let sequence = writer * commits + index
            let began = monotonicNanos()
            try await put(documents.hotKeys[sequence % documents.hotKeys.count], documents.value(sequence))
            latencies.append(monotonicNanos() - began)
        }
        return latencies
    }
}

/// Latencies (or the first error) gathered from writer threads.
private final class ThreadResults: Sendable {
    private let state = Mutex<(latencies: [UInt64], error: BenchError?)>(([], nil))

    func record(_ body: () throws -> [UInt64]) {
        do {
            let latencies = try body()
            self.state.withLock { $0.latencies += latencies }
        } catch {
            self.state.withLock { $0.error = $0.error ?? BenchError("writer thread: \(error)") }
        }
    }

    func latencies() throws -> [UInt64] {
        try self.state.withLock { state in
            if let error = state.error { throw error }
            return state.latencies
        }
    }
}
