import Foundation
import Glibc
import TenantStore

/// How much work one run does.
struct Plan {
    let quick: Bool

    /// Rounds of every workload; each round runs both engines back to back.
    var rounds: Int { self.quick ? 3 : 5 }
    var commitsOneWriter: Int { self.quick ? 1000 : 4000 }
    let writers = 64
    var commitsPerWriter: Int { self.quick ? 40 : 150 }
    /// The data set of the read, open and space workloads: the size the targets are set for.
    let dataKeys = 100_000
    let overwrites = 3
    var storeReads: Int { self.quick ? 400_000 : 2_000_000 }
    /// Fewer for SQLite, which reads ~10× slower: the rate settles long before that.
    var sqliteReads: Int { self.quick ? 100_000 : 400_000 }
    /// Puts of new keys, each followed by a prefix scan, into the 100k-key data set.
    var insertsWithScans: Int { self.quick ? 1000 : 4000 }
    /// Concurrent read tasks for the store's multi-task figure: one per core.
    let readTasks = ProcessInfo.processInfo.activeProcessorCount
}

/// Runs every workload on both engines, round by round, and collects the per-round figures under
/// their results/store.json names.
final class Benchmark {
    let plan: Plan
    private let work: String
    private let documents: Documents
    private let flushes: DeviceFlushCounter
    /// The random read order, shared by both engines.
    private let readOrder: [Int32]
    private(set) var samples: [String: [Double]] = [:]

    /// The payload of the data set: the denominator of space amplification.
    var liveBytes: Int { Documents.liveBytes(keys: self.documents.dataKeys) }

    init(plan: Plan, work: String) {
        self.plan = plan
        self.work = work
        self.documents = Documents(dataKeyCount: plan.dataKeys)
        self.flushes = DeviceFlushCounter(directory: work)
        var random = SplitMix64(seed: 0xBE4C)
        self.readOrder = (0..<max(plan.storeReads, plan.sqliteReads)).map { _ in
            Int32.random(in: 0..<Int32(plan.dataKeys), using: &random)
        }
    }

    func run() async throws {
        let storeDirectory = try self.makeDirectory("commits-store")
        let sqliteDirectory = try self.makeDirectory("commits-sqlite")
        let store = try StoreConnection(directory: storeDirectory)
        let sqlite = try SQLiteConnection(directory: sqliteDirectory)
        defer {
            store.close()
            for directory in [storeDirectory, sqliteDirectory] {
                try? FileManager.default.removeItem(atPath: directory)
            }
        }
        // Unmeasured commits first, so that round 1 does not pay for creating files.
        _ = try await Workloads.oneWriter(store, commits: 100, documents: self.documents, flushes: self.flushes)
        _ = try await Workloads.oneWriter(sqlite, commits: 100, documents: self.documents, flushes: self.flushes)

        for round in 1...self.plan.rounds {
            progress("round \(round)/\(self.plan.rounds)")
            // Alternating which engine goes first spreads drift during the run (page cache, writeback,
            // other load on the machine) evenly over both.
            let engines: [Engine] = round.isMultiple(of: 2) ? [.sqlite, .store] : [.store, .sqlite]
            for engine in engines {
                let connection: any EngineConnection = engine == .store ? store : sqlite
                let before = store.store.statistics
                let result = try await Workloads.oneWriter(
                    connection,
                    commits: self.plan.commitsOneWriter,
                    documents: self.documents,
                    flushes: self.flushes
                )
                self.record(result, engine: engine, suffix: "1w", label: "1 writer", store: store.store, since: before)
            }
            for engine in engines {
                let before = store.store.statistics
                let result =
                    switch engine {
                    case .store:
                        try await Workloads.concurrentWriters(
                            store.store,
                            writers: self.plan.writers,
                            commitsPerWriter: self.plan.commitsPerWriter,
                            documents: self.documents,
                            flushes: self.flushes
                        )
                    case .sqlite:
                        try await Workloads.concurrentWriters(
                            sqlite.database,
                            writers: self.plan.writers,
                            commitsPerWriter: self.plan.commitsPerWriter,
                            documents: self.documents,
                            flushes: self.flushes
                        )
                    }
                self.record(
                    result,
                    engine: engine,
                    suffix: "64w",
                    label: "\(self.plan.writers) writers",
                    store: store.store,
                    since: before
                )
            }
            for engine in engines {
                try await self.dataSet(engine, round: round)
            }
        }
    }

    /// The 100k-key workloads on a fresh directory: load in a child that is SIGKILLed, open in
    /// another child, point reads, then overwrite every key and compact.
    private func dataSet(_ engine: Engine, round: Int) async throws {
        let directory = try self.makeDirectory("data-\(round)-\(engine.rawValue)")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let prefix = engine.metricPrefix
        let common = ["--engine", engine.rawValue, "--dir", directory]

        // The loader reports "ready" only after its last commit returned, so everything is ACKed
        // when the SIGKILL lands; SQLite still has its WAL then (autocheckpoint left at default).
        let loader = try ChildProcess(arguments: ["load"] + common + ["--keys", String(self.plan.dataKeys)])
        let ready = try loader.readLine()
        loader.kill()
        guard let ready, let loadMilliseconds = Self.field("load_ms", in: ready) else {
            throw BenchError("\(engine.rawValue) loader failed: \(ready ?? "no output")")
        }
        self.samples[prefix + "bulk_keys_per_s", default: []].append(
            Double(self.plan.dataKeys) / (loadMilliseconds / 1000)
        )

        let probe = self.documents.dataKeys[(round * 7919) % self.plan.dataKeys]
        let opener = try ChildProcess(arguments: ["open"] + common + ["--key", probe])
        let opened = try opener.readLine()
        let status = opener.wait()
        guard status == 0, let opened, let openMilliseconds = Self.field("open_ms", in: opened),
            Self.field("value_bytes", in: opened) == Double(Documents.valueSize)
        else {
            throw BenchError(
                "\(engine.rawValue) open after SIGKILL failed (status \(status)): \(opened ?? "no output")"
            )
        }
        self.samples[prefix + "open_ms_100k", default: []].append(openMilliseconds)
        progress(
            "  \(engine.displayName) 100k: load \(format(Double(self.plan.dataKeys) / (loadMilliseconds / 1000))) keys/s, "
                + "SIGKILL, open+get \(format(openMilliseconds, decimals: 1)) ms (\(ready))"
        )

        let connection = try engine.open(directory: directory)
        defer { connection.close() }
        let keys = self.documents.dataKeys
        // A warm-up pass, so both engines are measured with warm caches as in the anchor.
        _ = try await Workloads.reads(connection, keys: keys, order: Array(self.readOrder.prefix(20_000)))
        switch connection {
        case let storeConnection as StoreConnection:
            // Steady state: the store maps its segments at open and loads the values into memory
            // on a background thread right after; measure once that is done (bounded wait).
            let deadline = ContinuousClock.now + .seconds(30)
            while storeConnection.store.statistics.valuesInMappedSegments > 0 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            let order = Array(self.readOrder.prefix(self.plan.storeReads))
            let single = try await Workloads.reads(connection, keys: keys, order: order)
            let multi = try await Workloads.reads(
                storeConnection.store,
                keys: keys,
                order: order,
                tasks: self.plan.readTasks
            )
            self.samples["reads_per_s_1task", default: []].append(single)
            self.samples["reads_per_s", default: []].append(multi)
            progress(
                "  \(engine.displayName) reads/s: \(format(multi)) with \(self.plan.readTasks) tasks, \(format(single)) with 1"
            )
        default:
            let order = Array(self.readOrder.prefix(self.plan.sqliteReads))
            let single = try await Workloads.reads(connection, keys: keys, order: order)
            self.samples[prefix + "reads_per_s", default: []].append(single)
            progress("  \(engine.displayName) reads/s: \(format(single)) on one connection")
        }

        for pass in 1...self.plan.overwrites {
            try await connection.bulkWrite(keys: keys, documents: self.documents, valueOffset: pass)
        }
        try await connection.compact()
        let usage = try DiskUsage(directory: directory)
        let live = Double(self.liveBytes)
        self.samples[prefix + "space_amplification", default: []].append(Double(usage.allocatedBytes) / live)
        self.samples[prefix + "disk_bytes", default: []].append(Double(usage.allocatedBytes))
        self.samples[prefix + "apparent_bytes", default: []].append(Double(usage.apparentBytes))
        progress(
            "  \(engine.displayName) after \(self.plan.overwrites) overwrites + compaction: "
                + "\(format(Double(usage.allocatedBytes) / 1e6, decimals: 1)) MB on disk for "
                + "\(format(live / 1e6, decimals: 1)) MB live = \(format(Double(usage.allocatedBytes) / live, decimals: 2))×"
        )

        // Last, so that its keys count in no figure above.
        let insertCPU = try await Workloads.insertsWithScans(connection, keys: keys, count: self.plan.insertsWithScans)
        self.samples[prefix + "insert_scan_cpu_us", default: []].append(insertCPU)
        progress(
            "  \(engine.displayName) new key + prefix scan at 100k keys: \(format(insertCPU, decimals: 1)) µs CPU each"
        )
    }

    /// Records a commit round; for the store also its frames per commit from `statistics`, which
    /// is its fdatasyncs per commit, as each frame is synced once.
    private func record(
        _ result: CommitRound,
        engine: Engine,
        suffix: String,
        label: String,
        store: FileKeyValueStore,
        since before: FileKeyValueStore.Statistics
    ) {
        let prefix = engine.metricPrefix
        self.samples[prefix + "commits_per_s_" + suffix, default: []].append(result.commitsPerSecond)
        self.samples[prefix + "commit_p50_ms_" + suffix, default: []].append(result.p50Milliseconds)
        self.samples[prefix + "commit_p99_ms_" + suffix, default: []].append(result.p99Milliseconds)
        var line =
            "  \(engine.displayName) \(label): \(format(result.commitsPerSecond)) commits/s, "
            + "p50 \(format(result.p50Milliseconds, decimals: 3)) ms, p99 \(format(result.p99Milliseconds, decimals: 3)) ms"
        if engine == .store {
            let after = store.statistics
            let frames = Double(after.framesWritten - before.framesWritten)
            let perCommit = frames / Double(after.batchesCommitted - before.batchesCommitted)
            self.samples["frames_per_commit_" + suffix, default: []].append(perCommit)
            line += ", \(format(perCommit, decimals: 3)) frames (fdatasyncs)/commit"
        }
        if let flushes = result.deviceFlushesPerCommit {
            self.samples[prefix + "device_flushes_per_commit_" + suffix, default: []].append(flushes)
            line += ", \(format(flushes, decimals: 2)) device flushes/commit"
        }
        progress(line)
    }

    private func makeDirectory(_ name: String) throws -> String {
        let path = self.work + "/" + name
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The number after `name=` in a child's `name=value name=value` line.
    private static func field(_ name: String, in line: String) -> Double? {
        line.split(separator: " ").lazy.compactMap { pair -> Double? in
            let parts = pair.split(separator: "=", maxSplits: 1)
            return parts.count == 2 && parts[0] == name ? Double(parts[1]) : nil
        }.first
    }
}

/// The child side of the open-after-SIGKILL workload.
enum Children {
    /// `store-bench load`: writes `keys` documents in 1,000-key commits, says "ready", then waits
    /// for the SIGKILL.
    static func load(engine: Engine, directory: String, keys: Int) async throws {
        let documents = Documents(dataKeyCount: keys)
        let connection = try engine.open(directory: directory)
        let start = monotonicNanos()
        try await connection.bulkWrite(keys: documents.dataKeys, documents: documents, valueOffset: 0)
        let elapsed = milliseconds(monotonicNanos() - start)
        let usage = try DiskUsage(directory: directory)
        emit("ready load_ms=\(elapsed) keys=\(keys) disk_bytes=\(usage.apparentBytes)\(Self.walSize(directory))")
        // EOF on stdin means the benchmark died without killing us: leave instead of lingering.
        var byte: UInt8 = 0
        while true {
            let count = read(0, &byte, 1)
            guard count > 0 || (count < 0 && errno == EINTR) else { exit(1) }
        }
    }

    /// `store-bench open`: opens the store (recovering it) and reads one key, timing both, and
    /// prints `open_ms=… value_bytes=…`.
    static func open(engine: Engine, directory: String, key: String) async throws {
        let start = monotonicNanos()
        let connection = try engine.open(directory: directory)
        let size = try await connection.valueSize(key)
        let elapsed = milliseconds(monotonicNanos() - start)
        connection.close()
        emit("open_ms=\(elapsed) value_bytes=\(size ?? -1)")
    }

    /// ` wal_bytes=N` when a SQLite WAL is present: shows that the kill leaves one to recover.
    private static func walSize(_ directory: String) -> String {
        let attributes = try? FileManager.default.attributesOfItem(atPath: directory + "/kv.sqlite-wal")
        return (attributes?[.size] as? Int).map { " wal_bytes=\($0)" } ?? ""
    }
}
