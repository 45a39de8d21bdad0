public import Logging

/// How a ``FileKeyValueStore`` opens and runs.
public struct StoreOptions: Sendable {
    /// How to open a data directory.
    public enum Mode: Sendable, Hashable {
        /// Recover (truncate a torn tail) and accept writes. The default.
        case readWrite
        /// Change nothing on disk; serve the verified prefix, refuse writes.
        case readOnly
        /// Like ``readWrite``, but when corruption is found, move the damaged bytes and every
        /// later segment aside (`corrupt-*` files) and continue from the verified prefix.
        /// Explicitly loses whatever followed the damage.
        case repair
    }

    /// How to open.
    public var mode: Mode = .readWrite
    /// A log segment is sealed and a new one started once it reaches this size.
    public var segmentSizeLimit: Int = 64 * 1024 * 1024
    /// Compact in the background when sealed segments hold at least this many bytes…
    public var compactionMinimumBytes: Int = 32 * 1024 * 1024
    /// …and the log is more than this many times the live data.
    public var compactionTriggerRatio: Double = 2.0
    /// Whether the store compacts by itself; ``FileKeyValueStore/compact()`` works either way.
    public var automaticCompaction = true
    /// Where the store reports recovery, compaction and failures.
    public var logger = Logger(label: "storefront.tenant-store")
    /// Called on the committer thread with each write's commit latency (queued, written and
    /// synced), for metrics; keep it cheap. The store itself depends on no metrics library.
    public var commitLatencyObserver: (@Sendable (Duration) -> Void)?

    package var fileSystem: any StoreFileSystem = POSIXStoreFileSystem()

    public init() {}
}
