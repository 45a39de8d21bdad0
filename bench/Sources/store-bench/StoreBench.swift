import Foundation
import Glibc

/// `store-bench`: FileKeyValueStore against SQLite on the workloads of MEASUREMENTS.md.
///
/// Linux only: it reads /proc and /sys, and the anchors it is compared with were measured on
/// this Linux VM.
///
///     store-bench run [--quick] --work DIR --out FILE     the benchmark (what bench/run calls)
///     store-bench load --engine E --dir DIR --keys N      child: load N documents, wait for SIGKILL
///     store-bench open --engine E --dir DIR --key K       child: time open + one get
@main
struct StoreBench {
    static func main() async {
        do {
            let arguments = CommandLine.arguments.dropFirst()
            let options = try Options(arguments.dropFirst())
            switch arguments.first {
            case "run":
                try await self.run(options)
            case "load":
                try await Children.load(
                    engine: try options.engine(),
                    directory: try options.value("--dir"),
                    keys: try options.integer("--keys")
                )
            case "open":
                try await Children.open(
                    engine: try options.engine(),
                    directory: try options.value("--dir"),
                    key: try options.value("--key")
                )
            default:
                throw BenchError("usage: store-bench run|load|open [options]; see bench/run")
            }
        } catch {
            progress("store-bench: \(error)")
            exit(1)
        }
    }

    private static func run(_ options: Options) async throws {
        let plan = Plan(quick: options.flag("--quick"))
        let work = try options.value("--work")
        let output = try options.value("--out")
        let loadBefore = self.loadAverage()
        progress(
            "store benchmark (\(plan.quick ? "quick" : "full")): \(plan.rounds) rounds, FileKeyValueStore and "
                + "SQLite \(SQLiteDatabase.version) interleaved; data in \(work); load average \(loadBefore)"
        )
        let benchmark = Benchmark(plan: plan, work: work)
        try await benchmark.run()

        let context: [(String, JSON)] = [
            ("benchmark", .string("store")),
            ("mode", .string(plan.quick ? "quick" : "full")),
            ("rounds", .number(Double(plan.rounds))),
            ("generated_at", .string(ISO8601DateFormatter().string(from: Date()))),
            ("statistic", .string("median of rounds; per-round figures under samples")),
            (
                "machine",
                .object([
                    ("cpus", .number(Double(ProcessInfo.processInfo.activeProcessorCount))),
                    // Other work on the 2-core VM moves p99 by milliseconds (MEASUREMENTS.md).
                    ("load_average_before", .string(loadBefore)),
                    ("load_average_after", .string(self.loadAverage())),
                ])
            ),
            (
                "workload",
                .object([
                    ("value_bytes", .number(Double(Documents.valueSize))),
                    ("commits_per_round_1w", .number(Double(plan.commitsOneWriter))),
                    ("writers_64w", .number(Double(plan.writers))),
                    ("commits_per_writer_64w", .number(Double(plan.commitsPerWriter))),
                    ("data_keys", .number(Double(plan.dataKeys))),
                    ("live_bytes", .number(Double(benchmark.liveBytes))),
                    ("overwrites_before_compaction", .number(Double(plan.overwrites))),
                    ("store_read_tasks", .number(Double(plan.readTasks))),
                    ("store_reads_per_round", .number(Double(plan.storeReads))),
                    ("sqlite_reads_per_round", .number(Double(plan.sqliteReads))),
                    ("disk_bytes", .string("allocated blocks of the data directory's files (du), incl. preallocation")),
                    (
                        "device_flushes",
                        .string(
                            "FLUSH requests completed by the block device per commit, machine-wide, incl. ext4 journal"
                        )
                    ),
                ])
            ),
            (
                "sqlite",
                .object([
                    ("version", .string(SQLiteDatabase.version)),
                    ("settings", .string("WAL, synchronous=FULL, wal_autocheckpoint default, prepared statements")),
                    ("commit", .string("one INSERT OR REPLACE in autocommit mode = one transaction")),
                    ("writers_64w", .string("64 threads sharing one connection, serialised by a mutex")),
                    ("reads", .string("one connection")),
                    ("compaction", .string("PRAGMA wal_checkpoint(TRUNCATE)")),
                ])
            ),
        ]
        let report = Report(plan: plan, samples: benchmark.samples, context: context)
        emit(report.table())
        // Written beside the target and renamed, so a reader never sees half a file.
        let temporary = output + ".tmp"
        try Data((report.json().rendered() + "\n").utf8).write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, output) == 0 else {
            throw BenchError("rename \(temporary): \(String(cString: strerror(errno)))")
        }
        progress("wrote \(output)")
    }

    private static func loadAverage() -> String {
        let text = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? ""
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }
}

/// `--name value` options and `--name` flags.
private struct Options {
    private var values: [String: String] = [:]
    private var flags: Set<String> = []

    init(_ arguments: ArraySlice<String>) throws {
        var remaining = arguments[...]
        while let argument = remaining.popFirst() {
            guard argument.hasPrefix("--") else { throw BenchError("unexpected argument \(argument)") }
            if argument == "--quick" {
                self.flags.insert(argument)
            } else if let value = remaining.popFirst() {
                self.values[argument] = value
            } else {
                throw BenchError("\(argument) needs a value")
            }
        }
    }

    func flag(_ name: String) -> Bool {
        self.flags.contains(name)
    }

    func value(_ name: String) throws -> String {
        guard let value = self.values[name] else { throw BenchError("missing \(name)") }
        return value
    }

    func integer(_ name: String) throws -> Int {
        guard let value = Int(try self.value(name)) else { throw BenchError("\(name) must be an integer") }
        return value
    }

    func engine() throws -> Engine {
        guard let engine = Engine(rawValue: try self.value("--engine")) else {
            throw BenchError("--engine must be one of \(Engine.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return engine
    }
}
