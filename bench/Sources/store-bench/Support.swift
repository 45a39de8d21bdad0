import Foundation
import Glibc

/// Monotonic time in nanoseconds. Raw integers keep filling and sorting the per-commit latency
/// arrays cheap, so the clock adds no measurable cost to a 100 µs commit.
func monotonicNanos() -> UInt64 {
    nanos(of: CLOCK_MONOTONIC)
}

/// CPU time of the whole process (every thread: the store commits on one of its own), in
/// nanoseconds.
func processCPUNanos() -> UInt64 {
    nanos(of: CLOCK_PROCESS_CPUTIME_ID)
}

private func nanos(of clock: clockid_t) -> UInt64 {
    var now = timespec()
    clock_gettime(clock, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

func milliseconds(_ nanos: UInt64) -> Double {
    Double(nanos) / 1_000_000
}

/// The nearest-rank percentile (`q` in 0...1) of unsorted latencies, in milliseconds.
func percentileMilliseconds(_ latencies: [UInt64], _ q: Double) -> Double {
    let sorted = latencies.sorted()
    let rank = Int((Double(sorted.count) * q).rounded(.up))
    return milliseconds(sorted[min(max(rank, 1), sorted.count) - 1])
}

/// The median of per-round figures: rounds disturbed by other work on the machine land at the
/// extremes, so the median is what the quiet rounds measured.
func median(_ values: [Double]) -> Double? {
    guard !values.isEmpty else { return nil }
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count.isMultiple(of: 2) ? (sorted[middle - 1] + sorted[middle]) / 2 : sorted[middle]
}

/// SplitMix64: seeded, so both engines get the same keys, documents and read order.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = self.state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}

/// The keys and the 2 KB JSON documents every workload writes, identical for both engines.
struct Documents: Sendable {
    /// Every value's size: MEASUREMENTS.md's anchors use 2,048-byte JSON values.
    static let valueSize = 2048

    /// The 1,000 keys the commit workloads overwrite, as in the anchor's single-commit test.
    let hotKeys: [String]
    /// The keys of the 100k data set.
    let dataKeys: [String]
    /// Distinct documents, cycled: varied enough that no layer can dedup them, few enough that
    /// generating them costs nothing.
    private let values: [[UInt8]]

    init(dataKeyCount: Int) {
        self.hotKeys = (0..<1000).map { "bench/hot/" + Self.pad($0, 4) }
        self.dataKeys = (0..<dataKeyCount).map { "bench/doc/" + Self.pad($0, 6) }
        var random = SplitMix64(seed: 0x5EED)
        self.values = (0..<1024).map { Self.document(number: $0, random: &random) }
    }

    /// Document `index` (cycling through the distinct ones).
    func value(_ index: Int) -> [UInt8] {
        self.values[index % self.values.count]
    }

    /// The bytes a key and its value occupy as payload: the denominator of space amplification.
    static func liveBytes(keys: [String]) -> Int {
        keys.reduce(0) { $0 + $1.utf8.count + Self.valueSize }
    }

    private static func pad(_ number: Int, _ width: Int) -> String {
        let digits = String(number)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// An order document padded to exactly ``valueSize`` bytes with random text, so that no
    /// compression or dedup on the way to the disk can make the values smaller than they are.
    private static func document(number: Int, random: inout SplitMix64) -> [UInt8] {
        let head =
            "{\"kind\":\"order\",\"id\":\"o-\(pad(number, 6))\",\"tenant\":\"t-\(pad(number % 97, 3))\","
            + "\"status\":\"paid\",\"total_cents\":\(Int.random(in: 100...999_999, using: &random)),\"note\":\""
        let tail = "\"}"
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
        var bytes = Array(head.utf8)
        while bytes.count < valueSize - tail.utf8.count {
            bytes.append(alphabet[Int(random.next() % UInt64(alphabet.count))])
        }
        bytes += Array(tail.utf8)
        return bytes
    }
}

/// Bytes a directory's regular files occupy: allocated blocks (what `du` counts, including
/// preallocated space) and apparent sizes.
struct DiskUsage {
    var allocatedBytes: Int64 = 0
    var apparentBytes: Int64 = 0

    init(directory: String) throws {
        for relative in try FileManager.default.subpathsOfDirectory(atPath: directory) {
            var info = stat()
            guard lstat(directory + "/" + relative, &info) == 0 else {
                throw BenchError("lstat \(relative): \(String(cString: strerror(errno)))")
            }
            guard (info.st_mode & S_IFMT) == S_IFREG else { continue }
            self.allocatedBytes += Int64(info.st_blocks) * 512
            self.apparentBytes += Int64(info.st_size)
        }
    }
}

/// Counts the FLUSH requests the block device under a directory completed, from
/// `/sys/dev/block/MAJ:MIN/stat`. fsync itself is not observable from outside the store, but every
/// durable fsync ends in a device flush, so flushes per commit show how well commits are grouped.
/// The count is machine-wide and includes ext4's journal flushes (an fdatasync that grows a file
/// commits the journal too), so it is an upper bound on what the engine asked for.
struct DeviceFlushCounter {
    private let statPath: String?

    init(directory: String) {
        var info = stat()
        guard lstat(directory, &info) == 0 else {
            self.statPath = nil
            return
        }
        // glibc's major()/minor() are macros Swift cannot import; this is their encoding.
        let device = UInt64(info.st_dev)
        let major = ((device >> 8) & 0xFFF) | ((device >> 32) & ~0xFFF)
        let minor = (device & 0xFF) | ((device >> 12) & ~0xFF)
        let path = "/sys/dev/block/\(major):\(minor)/stat"
        self.statPath = FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// The completed flush count, or `nil` when the kernel does not report it (before 5.5).
    func read() -> UInt64? {
        guard let statPath, let text = try? String(contentsOfFile: statPath, encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        // Field 16 of Documentation/block/stat.rst: flush requests completed.
        return fields.count > 15 ? UInt64(fields[15]) : nil
    }
}

/// A failure of the benchmark itself, with a message for the person running it.
struct BenchError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}

/// Progress lines go to stderr, unbuffered, so they appear while a round runs and stay out of the
/// table on stdout.
func progress(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Writes a line to stdout at once; `print` would sit in a buffer when stdout is a pipe.
func emit(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
