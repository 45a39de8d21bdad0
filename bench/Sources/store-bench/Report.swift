import Foundation

/// The medians of a run, the targets judged on them, and their two renderings: the table on
/// stdout and results/store.json.
struct Report {
    /// A target of the storage design, judged on the store's median against a threshold that may
    /// depend on SQLite's median from the same run.
    struct Target {
        let metric: String
        let rule: String
        let threshold: Double?
        let value: Double?
        let higherIsBetter: Bool
        let inclusive: Bool

        var met: Bool {
            guard let value, let threshold else { return false }
            return switch (self.higherIsBetter, self.inclusive) {
            case (true, true): value >= threshold
            case (true, false): value > threshold
            case (false, true): value <= threshold
            case (false, false): value < threshold
            }
        }
    }

    let plan: Plan
    let medians: [String: Double]
    let samples: [String: [Double]]
    let targets: [Target]
    let context: [(String, JSON)]

    init(plan: Plan, samples: [String: [Double]], context: [(String, JSON)]) {
        self.plan = plan
        self.samples = samples
        self.context = context
        let medians = samples.compactMapValues(median)
        self.medians = medians
        let sqlite1w = medians["sqlite_commits_per_s_1w"]
        let sqlite64w = medians["sqlite_commits_per_s_64w"]
        let sqliteReads = medians["sqlite_reads_per_s"]
        self.targets = [
            Target(
                metric: "commits_per_s_1w",
                rule: ">= SQLite",
                threshold: sqlite1w,
                value: medians["commits_per_s_1w"],
                higherIsBetter: true,
                inclusive: true
            ),
            Target(
                metric: "commits_per_s_64w",
                rule: ">= 3x SQLite",
                threshold: sqlite64w.map { 3 * $0 },
                value: medians["commits_per_s_64w"],
                higherIsBetter: true,
                inclusive: true
            ),
            Target(
                metric: "commit_p99_ms_64w",
                rule: "< 5 ms",
                threshold: 5,
                value: medians["commit_p99_ms_64w"],
                higherIsBetter: false,
                inclusive: false
            ),
            Target(
                metric: "reads_per_s",
                rule: ">= 2,000,000 and >= 10x SQLite",
                threshold: sqliteReads.map { max(2_000_000, 10 * $0) },
                value: medians["reads_per_s"],
                higherIsBetter: true,
                inclusive: true
            ),
            Target(
                metric: "open_ms_100k",
                rule: "< 100 ms",
                threshold: 100,
                value: medians["open_ms_100k"],
                higherIsBetter: false,
                inclusive: false
            ),
            Target(
                metric: "space_amplification",
                rule: "<= 1.5",
                threshold: 1.5,
                value: medians["space_amplification"],
                higherIsBetter: false,
                inclusive: true
            ),
        ]
    }

    /// The table: each store figure beside its SQLite anchor and their ratio.
    func table() -> String {
        let tasks = self.plan.readTasks
        let rows: [(label: String, metric: String, decimals: Int)] = [
            ("1 writer: commits/s", "commits_per_s_1w", 0),
            ("1 writer: p50 ms", "commit_p50_ms_1w", 3),
            ("1 writer: p99 ms", "commit_p99_ms_1w", 3),
            ("1 writer: frames (fdatasyncs)/commit", "frames_per_commit_1w", 3),
            ("1 writer: device flushes/commit", "device_flushes_per_commit_1w", 2),
            ("\(self.plan.writers) writers: commits/s", "commits_per_s_64w", 0),
            ("\(self.plan.writers) writers: p50 ms", "commit_p50_ms_64w", 3),
            ("\(self.plan.writers) writers: p99 ms", "commit_p99_ms_64w", 3),
            ("\(self.plan.writers) writers: frames (fdatasyncs)/commit", "frames_per_commit_64w", 3),
            ("\(self.plan.writers) writers: device flushes/commit", "device_flushes_per_commit_64w", 2),
            ("point reads/s (store \(tasks) tasks, SQLite 1 conn)", "reads_per_s", 0),
            ("point reads/s, store 1 task", "reads_per_s_1task", 0),
            ("bulk load keys/s (1,000-key commits)", "bulk_keys_per_s", 0),
            ("open + 1 get after SIGKILL, 100k: ms", "open_ms_100k", 1),
            ("space amplification (3 overwrites, compacted)", "space_amplification", 2),
            ("new key + prefix scan at 100k keys: CPU µs", "insert_scan_cpu_us", 1),
        ]
        var lines = [
            "store benchmark: \(self.plan.quick ? "quick" : "full"), \(self.plan.rounds) rounds, medians; "
                + "ratio = FileKeyValueStore / SQLite",
            Self.columns("", "FileKeyValueStore", "SQLite", "ratio", "target", "met"),
        ]
        for row in rows {
            let value = self.medians[row.metric]
            // The single-task read figure is compared with SQLite's one connection too.
            let anchorMetric = row.metric == "reads_per_s_1task" ? "reads_per_s" : row.metric
            let anchor = self.medians["sqlite_" + anchorMetric]
            let ratio = value.flatMap { value in anchor.map { value / $0 } }
            let target = self.targets.first { $0.metric == row.metric }
            lines.append(
                Self.columns(
                    row.label,
                    value.map { format($0, decimals: row.decimals) } ?? "-",
                    anchor.map { format($0, decimals: row.decimals) } ?? "-",
                    ratio.map { format($0, decimals: 2) + "x" } ?? "",
                    target?.rule ?? "",
                    target.map { $0.met ? "yes" : "NO" } ?? ""
                )
            )
        }
        let met = self.targets.filter(\.met).count
        lines += [
            "targets met: \(met) of \(self.targets.count)",
            "SQLite with \(self.plan.writers) writers: \(self.plan.writers) threads share one connection, serialised "
                + "by a mutex (a connection per thread with busy_timeout would sleep 1-100 ms per retry).",
            "frames/commit is the store's fdatasyncs per commit (FileKeyValueStore.statistics); device flushes "
                + "are counted machine-wide from /sys/dev/block and include ext4's journal.",
        ]
        return lines.joined(separator: "\n")
    }

    /// results/store.json: context, the medians under their names, the targets, and every round's
    /// figure under `samples`.
    func json() -> JSON {
        var fields = self.context
        fields += self.medians.sorted { $0.key < $1.key }.map { ($0.key, .number(Self.rounded($0.value))) }
        fields.append(
            (
                "targets",
                .object(
                    self.targets.map { target in
                        (
                            target.metric,
                            .object([
                                ("rule", .string(target.rule)),
                                ("threshold", target.threshold.map { .number(Self.rounded($0)) } ?? .null),
                                ("value", target.value.map { .number(Self.rounded($0)) } ?? .null),
                                ("met", .bool(target.met)),
                            ])
                        )
                    }
                )
            )
        )
        fields.append(("targets_met", .number(Double(self.targets.filter(\.met).count))))
        fields.append(("targets_total", .number(Double(self.targets.count))))
        fields.append(("all_targets_met", .bool(self.targets.allSatisfy(\.met))))
        fields.append(
            (
                "samples",
                .object(
                    self.samples.sorted { $0.key < $1.key }.map {
                        ($0.key, .array($0.value.map { .number(Self.rounded($0)) }))
                    }
                )
            )
        )
        return .object(fields)
    }

    private static func columns(_ cells: String...) -> String {
        let widths = [48, 18, 12, 8, 32, 3]
        return zip(cells, widths).enumerated().map { index, pair in
            let (cell, width) = pair
            let padding = String(repeating: " ", count: max(0, width - cell.count))
            // Labels and rules read left-aligned, numbers right-aligned.
            return index == 0 || index >= 4 ? cell + padding : padding + cell
        }.joined(separator: "  ")
    }

    /// Whole numbers for large figures, four decimals for the rest: more digits than that are noise.
    private static func rounded(_ value: Double) -> Double {
        abs(value) >= 1000 ? value.rounded() : (value * 10_000).rounded() / 10_000
    }
}

/// A JSON value that keeps object keys in the order they were given, so results/store.json reads
/// top-down: context, figures, targets, samples.
enum JSON {
    case number(Double)
    case string(String)
    case bool(Bool)
    case null
    case array([JSON])
    case object([(String, JSON)])

    func rendered(indent: String = "") -> String {
        let inner = indent + "  "
        switch self {
        case .number(let value):
            return value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        case .string(let value):
            return Self.quoted(value)
        case .bool(let value):
            return value ? "true" : "false"
        case .null:
            return "null"
        case .array(let values):
            return "[" + values.map { $0.rendered(indent: inner) }.joined(separator: ", ") + "]"
        case .object(let fields):
            guard !fields.isEmpty else { return "{}" }
            let members = fields.map { inner + Self.quoted($0.0) + ": " + $0.1.rendered(indent: inner) }
            return "{\n" + members.joined(separator: ",\n") + "\n" + indent + "}"
        }
    }

    private static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case _ where scalar.value < 0x20: result += String(format: "\\u%04x", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

/// A figure for people: thousands grouped when whole, else fixed decimals.
func format(_ value: Double, decimals: Int = 0) -> String {
    guard decimals == 0 else { return String(format: "%.\(decimals)f", value) }
    let digits = String(Int64(value.rounded()).magnitude)
    var grouped = ""
    for (index, digit) in digits.enumerated() {
        if index > 0 && (digits.count - index).isMultiple(of: 3) { grouped += "," }
        grouped.append(digit)
    }
    return (value < 0 ? "-" : "") + grouped
}
