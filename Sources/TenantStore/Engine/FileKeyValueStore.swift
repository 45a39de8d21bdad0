import Foundation
import Logging
import Synchronization

/// The embedded, crash-safe ``KeyValueStore``: an append-only log of checksummed frames in one
/// data directory, with every live key held in memory.
///
/// Writes from any number of tasks are grouped: one committer thread writes one frame per group
/// and makes it durable with one `fdatasync`, and only then resumes the writers. Reads never touch
/// the disk. Opening verifies every frame; see ``StoreOptions/Mode`` for what happens on damage.
///
/// ```swift
/// let store = try FileKeyValueStore.open(directory: "data/store")
/// try await store.put("greeting", Array("hello".utf8))
/// let value = try await store.get("greeting")
/// store.close()
/// ```
///
/// - Important: Call ``close()`` when done: it finishes queued writes and releases the
///   directory lock. One process at a time may open a directory for writing.
/// - Important: A failed `write` or `fdatasync` is fatal for writing: the store turns read-only
///   and says why, because after a failed sync the kernel may have dropped the data while
///   reporting later syncs as successful. Reopen to recover from what is on disk.
public final class FileKeyValueStore: KeyValueStore {
    /// What the store looks like now.
    public struct Statistics: Sendable, Hashable {
        /// Live keys.
        public var keys: Int
        /// Bytes of live keys and values.
        public var liveBytes: Int
        /// Bytes of all segment files.
        public var diskBytes: Int
        /// Values not yet loaded from the segments mapped at open (see ``FileKeyValueStore``);
        /// zero once the background load is done.
        public var valuesInMappedSegments: Int
        /// The last sequence number written.
        public var lastSeq: UInt64
        /// Frames written (and synced) since open: one per group commit.
        public var framesWritten: Int
        /// Batches committed since open.
        public var batchesCommitted: Int
        /// Compactions finished since open.
        public var compactions: Int
    }

    struct State {
        var index = OrderedKeyIndex()
        var lastSeq: UInt64 = 0
        var failure: TenantStoreError?
        var closed = false
        var framesWritten = 0
        var batchesCommitted = 0
        var compactions = 0
    }

    /// What only the committer (and, briefly, compaction) touches: the files being written.
    struct WriterState {
        var manifest: Manifest
        var activeFile: (any StoreFile)?
        var activeSize: Int
        /// The active segment's size on disk: `activeSize` plus preallocated zeros.
        var allocatedSize: Int
        var sealedBytes: Int
    }

    /// The directory this store lives in.
    public let directory: String
    /// What opening found: segments, torn tails, corruption.
    public let recoveryReport: RecoveryReport

    let options: StoreOptions
    let fileSystem: any StoreFileSystem
    let logger: Logger
    let state: ReadWriteLocked<State>
    let writer: Mutex<WriterState>
    let queue = CommitQueue()
    let committerDone = DispatchSemaphore(value: 0)
    let compactionLock = NSLock()
    let compactionRunning = Atomic<Bool>(false)
    /// ``State/lastSeq`` for ``latestVersion``, set with it under the lock, so a reader that
    /// loads it needs no lock; ``closedSeq`` once closed.
    let publishedSeq: Atomic<UInt64>
    static let closedSeq = UInt64.max
    private let directoryLock: (any StoreFileLock)?

    init(
        directory: String,
        options: StoreOptions,
        recovered: Recovery.Result,
        directoryLock: (any StoreFileLock)?
    ) {
        self.directory = directory
        self.options = options
        self.fileSystem = options.fileSystem
        self.logger = options.logger
        self.recoveryReport = recovered.report
        self.directoryLock = directoryLock
        var state = State()
        state.index = recovered.index
        state.lastSeq = recovered.lastSeq
        if options.mode == .readOnly {
            state.failure = TenantStoreError(code: .readOnly, message: "\(directory) was opened read-only")
        }
        self.state = ReadWriteLocked(state)
        self.publishedSeq = Atomic(recovered.lastSeq)
        self.writer = Mutex(
            WriterState(
                manifest: recovered.manifest,
                activeFile: recovered.activeFile,
                activeSize: recovered.activeSize,
                allocatedSize: recovered.activeSize,
                sealedBytes: recovered.sealedBytes
            )
        )
    }

    /// Opens (creating if needed) the store in `directory`, verifying every frame.
    ///
    /// - Throws: ``TenantStoreError`` `.locked` when another process has it open for writing,
    ///   `.corrupted` naming the file and offset when verified data is followed by damage (open
    ///   with ``StoreOptions/Mode/readOnly`` to read the verified prefix, or
    ///   ``StoreOptions/Mode/repair`` to cut the damage away).
    public static func open(directory: String, options: StoreOptions = StoreOptions()) throws -> FileKeyValueStore {
        let fileSystem = options.fileSystem
        var lock: (any StoreFileLock)?
        if options.mode != .readOnly {
            try fileSystem.createDirectory(directory)
            lock = try fileSystem.lockExclusively(joinPath(directory, "LOCK"))
        }
        do {
            let recovered = try Recovery(directory: directory, options: options).run()
            let store = FileKeyValueStore(
                directory: directory,
                options: options,
                recovered: recovered,
                directoryLock: lock
            )
            if options.mode != .readOnly {
                store.startCommitter()
            } else {
                store.committerDone.signal()
            }
            store.startLoadingValues()
            return store
        } catch {
            lock?.unlock()
            throw error
        }
    }

    /// Finishes queued writes, stops background work, closes files and releases the lock.
    public func close() {
        let alreadyClosed = self.state.withLock { state in
            defer {
                state.closed = true
                self.publishedSeq.store(Self.closedSeq, ordering: .releasing)
            }
            return state.closed
        }
        guard !alreadyClosed else { return }
        self.queue.close()
        self.committerDone.wait()
        self.compactionLock.lock()
        self.writer.withLock { writer in
            if writer.allocatedSize > writer.activeSize {
                try? writer.activeFile?.truncate(to: writer.activeSize)
                try? writer.activeFile?.sync()
            }
            try? writer.activeFile?.close()
            writer.activeFile = nil
        }
        self.compactionLock.unlock()
        self.directoryLock?.unlock()
    }

    /// Counters describing the store now.
    public var statistics: Statistics {
        let diskBytes = self.writer.withLock { $0.sealedBytes + $0.activeSize }
        return self.state.withReadLock { state in
            Statistics(
                keys: state.index.count,
                liveBytes: state.index.liveBytes,
                diskBytes: diskBytes,
                valuesInMappedSegments: state.index.mappedCount,
                lastSeq: state.lastSeq,
                framesWritten: state.framesWritten,
                batchesCommitted: state.batchesCommitted,
                compactions: state.compactions
            )
        }
    }

    /// Why the store refuses writes, or `nil` when it accepts them.
    public var writeFailure: TenantStoreError? {
        self.state.withReadLock { $0.failure }
    }

    public func version(of key: String) -> UInt64? {
        self.state.withReadLock { $0.closed ? nil : $0.index[key]?.seq }
    }

    public var latestVersion: UInt64? {
        let published = self.publishedSeq.load(ordering: .acquiring)
        return published == Self.closedSeq ? nil : published
    }

    nonisolated(nonsending) public func get(_ key: String) async throws -> StoredValue? {
        let entry = try self.state.withReadLock { state in
            guard !state.closed else { throw Self.closedError }
            return state.index[key]
        }
        guard let entry else { return nil }
        guard case .mapped = entry.value else { return StoredValue(bytes: entry.value.array, version: entry.seq) }
        // A value still in its mapped segment is copied once, outside the lock so that other
        // readers wait only for lookups, and kept: later reads of it share the array. Hot values
        // thus cost a reference, and cold ones stay in the page cache.
        let bytes = entry.value.array
        self.state.withLock { state in
            if state.index[key]?.seq == entry.seq { state.index.put(key, seq: entry.seq, value: .owned(bytes)) }
        }
        return StoredValue(bytes: bytes, version: entry.seq)
    }

    nonisolated(nonsending) public func scan(prefix: String, after cursor: String?, limit: Int) async throws -> ScanPage
    {
        guard limit > 0 else {
            throw TenantStoreError(code: .invalidArgument, message: "scan limit must be positive, got \(limit)")
        }
        return try self.state.withLock { state in
            guard !state.closed else { throw Self.closedError }
            state.index.settle()
            let (keys, more) = state.index.keys(prefix: prefix, after: cursor, limit: limit)
            let entries = keys.map { key in
                let entry = state.index[key]!
                return ScanEntry(key: key, value: StoredValue(bytes: entry.value.array, version: entry.seq))
            }
            return ScanPage(entries: entries, nextCursor: more ? keys.last : nil)
        }
    }

    @discardableResult
    public func put(_ key: String, _ value: [UInt8]) async throws -> UInt64 {
        var batch = WriteBatch()
        batch.put(key, value)
        return try await self.batch(batch)
    }

    @discardableResult
    public func delete(_ key: String) async throws -> UInt64 {
        var batch = WriteBatch()
        batch.delete(key)
        return try await self.batch(batch)
    }

    @discardableResult
    public func batch(_ batch: WriteBatch) async throws -> UInt64 {
        try Self.validate(batch)
        try self.state.withReadLock { state in
            if state.closed { throw Self.closedError }
            if let failure = state.failure { throw failure }
        }
        return try await withCheckedThrowingContinuation { continuation in
            self.queue.enqueue(PendingCommit(batch: batch, continuation: continuation))
        }
    }

    static let closedError = TenantStoreError(code: .closed, message: "the store is closed")

    static func validate(_ batch: WriteBatch) throws {
        var bytes = 0
        for operation in batch.operations {
            try Self.validate(key: operation.key)
            if case .put(let key, let value) = operation {
                guard value.count <= KeyValueLimits.maximumValueLength else {
                    throw TenantStoreError(
                        code: .invalidArgument,
                        message:
                            "value of \(key) is \(value.count) bytes; the limit is \(KeyValueLimits.maximumValueLength)"
                    )
                }
                bytes += value.count
            }
            bytes += operation.key.utf8.count
        }
        for (key, _) in batch.preconditions { try Self.validate(key: key) }
        guard bytes <= KeyValueLimits.maximumBatchBytes else {
            throw TenantStoreError(
                code: .invalidArgument,
                message: "batch is \(bytes) bytes; the limit is \(KeyValueLimits.maximumBatchBytes)"
            )
        }
    }

    static func validate(key: String) throws {
        let utf8 = key.utf8
        guard !utf8.isEmpty, utf8.count <= KeyValueLimits.maximumKeyLength,
            utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E })
        else {
            throw TenantStoreError(
                code: .invalidArgument,
                message:
                    "key must be 1–\(KeyValueLimits.maximumKeyLength) printable ASCII characters: \(key.debugDescription)"
            )
        }
    }
}
