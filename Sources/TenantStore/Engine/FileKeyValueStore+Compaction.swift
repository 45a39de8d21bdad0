import Foundation
import Logging
import Synchronization

extension FileKeyValueStore {
    /// The outcome of a backup.
    public struct BackupReport: Sendable, Hashable {
        /// The backup directory.
        public var directory: String
        /// Keys in the backup.
        public var keys: Int
        /// The last sequence number the backup holds.
        public var lastSeq: UInt64
        /// Bytes written.
        public var bytes: Int
    }

    /// Rewrites every sealed segment as one snapshot of the live keys and deletes them.
    ///
    /// Safe at any moment and concurrent with writes: the active segment is sealed first, the
    /// snapshot is built from an immutable copy of the index, written to a temp file, synced and
    /// renamed, and only a durable manifest switch makes it replace the old segments. Tombstones
    /// are dropped, because no older segment remains that could still hold their keys.
    public func compact() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let thread = Thread { [self] in
                continuation.resume(with: Result { try self.compactNow() })
            }
            thread.name = "tenant-store-compaction"
            thread.start()
        }
    }

    /// Starts a background compaction when the log has grown well past the live data.
    func compactIfWorthIt() {
        guard self.options.automaticCompaction else { return }
        let (sealed, disk) = self.writer.withLock { ($0.sealedBytes, $0.sealedBytes + $0.activeSize) }
        let live = self.state.withLock { $0.index.liveBytes }
        guard sealed >= self.options.compactionMinimumBytes,
            Double(disk) > self.options.compactionTriggerRatio * Double(max(live, 1)),
            self.compactionRunning.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing)
                .exchanged
        else { return }
        let thread = Thread { [self] in
            do {
                try self.compactNow()
            } catch {
                self.logger.error(
                    "tenant store compaction failed",
                    metadata: ["store.directory": "\(self.directory)", "error.message": "\(error)"]
                )
            }
            self.compactionRunning.store(false, ordering: .releasing)
        }
        thread.name = "tenant-store-compaction"
        thread.start()
    }

    func compactNow() throws {
        self.compactionLock.lock()
        defer { self.compactionLock.unlock() }
        let started = ContinuousClock.now
        let sealing = try self.writer.withLock { writer -> Sealed? in
            try self.state.withLock { state in
                if let failure = state.failure { throw failure }
                if state.closed { throw Self.closedError }
            }
            if writer.activeSize > 0 { try self.rotate(&writer) }
            let sealed = Array(writer.manifest.segments.dropLast())
            guard sealed.count > 1 || sealed.first?.kind == .log else { return nil }
            let number = writer.manifest.nextSegmentNumber
            writer.manifest.nextSegmentNumber += 1
            // The committer publishes under the writer lock, so the index holds exactly what the
            // sealed segments hold, and the new active segment starts right after `lastSeq`.
            let (entries, upToSeq) = self.state.withLock { ($0.index.entries, $0.lastSeq) }
            return Sealed(
                number: number,
                segments: sealed,
                bytes: writer.sealedBytes,
                entries: entries,
                upToSeq: upToSeq
            )
        }
        guard let sealing else { return }
        let (number, sealed, sealedBytes, entries, upToSeq) = (
            sealing.number, sealing.segments, sealing.bytes, sealing.entries, sealing.upToSeq
        )
        let name = Manifest.segmentName(number)
        let written = try self.writeSnapshotSegment(
            entries: entries,
            upToSeq: upToSeq,
            directory: self.directory,
            name: name
        )
        let rewritten = try self.readBack(snapshot: name, in: self.directory)
        try self.writer.withLock { writer in
            var manifest = writer.manifest
            let sealedNames = Set(sealed.map(\.name))
            manifest.segments.removeAll { sealedNames.contains($0.name) }
            manifest.segments.insert(Manifest.Segment(name: name, kind: .snapshot, upToSeq: upToSeq), at: 0)
            try manifest.write(to: self.directory, fileSystem: self.fileSystem)
            writer.manifest = manifest
            writer.sealedBytes += written - sealedBytes
        }
        // Point values still in the old segments at the snapshot, so the old segments' memory
        // and disk space are released once they are unlinked.
        self.state.withLock { state in
            for record in rewritten {
                guard let entry = state.index[record.key], entry.seq == record.seq, case .mapped = entry.value
                else { continue }
                state.index.put(record.key, seq: record.seq, value: record.value)
            }
        }
        for segment in sealed {
            try self.fileSystem.removeFile(joinPath(self.directory, segment.name))
        }
        try self.fileSystem.syncDirectory(self.directory)
        self.state.withLock { $0.compactions += 1 }
        self.logger.info(
            "tenant store compacted",
            metadata: [
                "store.directory": "\(self.directory)",
                "store.segments_removed": "\(sealed.count)",
                "store.bytes_before": "\(sealedBytes)",
                "store.bytes_after": "\(written)",
                "store.duration_ms": "\((ContinuousClock.now - started).milliseconds)",
            ]
        )
    }

    /// Writes the entries with `seq <= upToSeq` as a snapshot segment: temp file, sync, rename,
    /// directory sync. Returns its size.
    func writeSnapshotSegment(
        entries: [String: OrderedKeyIndex.Entry],
        upToSeq: UInt64,
        directory: String,
        name: String
    ) throws -> Int {
        let surviving = entries.filter { $0.value.seq <= upToSeq }.sorted { $0.value.seq < $1.value.seq }
        let temporary = joinPath(directory, name + ".tmp")
        let file = try self.fileSystem.openFile(temporary, create: true)
        var offset = 0
        do {
            try file.truncate(to: 0)
            var records: [Frame.Record] = []
            var frameBytes = 0
            for (key, entry) in surviving {
                records.append(Frame.Record(operation: .put, seq: entry.seq, key: key, value: entry.value))
                frameBytes += key.utf8.count + entry.value.count + Frame.recordOverhead
                if frameBytes >= 4 * 1024 * 1024 {
                    let frame = Frame.encode(kind: .snapshot, records: records)
                    try file.write(frame, at: offset)
                    offset += frame.count
                    records.removeAll(keepingCapacity: true)
                    frameBytes = 0
                }
            }
            if !records.isEmpty {
                let frame = Frame.encode(kind: .snapshot, records: records)
                try file.write(frame, at: offset)
                offset += frame.count
            }
            try file.sync()
            try file.close()
        } catch {
            try? file.close()
            throw error
        }
        try self.fileSystem.rename(temporary, to: joinPath(directory, name))
        try self.fileSystem.syncDirectory(directory)
        return offset
    }

    /// Maps a snapshot segment just written and verifies every frame of it, returning its records.
    private func readBack(snapshot name: String, in directory: String) throws -> [Frame.Record] {
        let path = joinPath(directory, name)
        let file = try self.fileSystem.openFile(path, create: false)
        let bytes = try file.mapContents(length: try file.size())
        try file.close()
        var records: [Frame.Record] = []
        let scanned = SegmentScanner(segment: bytes, kind: .snapshot, isActive: false).scan(expectedSeq: 1) {
            records.append($0)
        }
        guard let outcome = scanned?.outcome, outcome == .clean else {
            throw TenantStoreError(
                code: .corrupted,
                message:
                    "\(path): the snapshot just written does not read back: \(String(describing: scanned?.outcome))"
            )
        }
        return records
    }

    /// Writes a consistent copy of the store to `destination` (which must not exist or be empty)
    /// while writes go on, then proves it by opening it read-only and comparing.
    public func backup(to destination: String) async throws -> BackupReport {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<BackupReport, any Error>) in
            let thread = Thread { [self] in
                continuation.resume(with: Result { try self.backupNow(to: destination) })
            }
            thread.name = "tenant-store-backup"
            thread.start()
        }
    }

    private func backupNow(to destination: String) throws -> BackupReport {
        try self.fileSystem.createDirectory(destination)
        guard try self.fileSystem.listDirectory(destination).isEmpty else {
            throw TenantStoreError(code: .invalidArgument, message: "backup directory \(destination) is not empty")
        }
        let (entries, upToSeq) = try self.writer.withLock { _ in
            try self.state.withLock { state in
                if state.closed { throw Self.closedError }
                return (state.index.entries, state.lastSeq)
            }
        }
        let snapshotName = Manifest.segmentName(1)
        let logName = Manifest.segmentName(2)
        let bytes = try self.writeSnapshotSegment(
            entries: entries,
            upToSeq: upToSeq,
            directory: destination,
            name: snapshotName
        )
        let log = try self.fileSystem.openFile(joinPath(destination, logName), create: true)
        try log.sync()
        try log.close()
        try self.fileSystem.syncDirectory(destination)
        let manifest = Manifest(
            format: Manifest.currentFormat,
            segments: [
                Manifest.Segment(name: snapshotName, kind: .snapshot, upToSeq: upToSeq),
                Manifest.Segment(name: logName, kind: .log, upToSeq: nil),
            ],
            nextSegmentNumber: 3
        )
        try manifest.write(to: destination, fileSystem: self.fileSystem)
        var verifyOptions = StoreOptions()
        verifyOptions.mode = .readOnly
        verifyOptions.fileSystem = self.fileSystem
        verifyOptions.logger = self.logger
        let copy = try FileKeyValueStore.open(directory: destination, options: verifyOptions)
        defer { copy.close() }
        let copied = copy.statistics
        guard copied.keys == entries.count, copied.lastSeq == upToSeq, copy.recoveryReport.corruption == nil else {
            throw TenantStoreError(
                code: .corrupted,
                message: "backup in \(destination) does not verify: \(copied.keys) keys at sequence \(copied.lastSeq), "
                    + "expected \(entries.count) at \(upToSeq)"
            )
        }
        return BackupReport(directory: destination, keys: copied.keys, lastSeq: upToSeq, bytes: bytes)
    }
}

private struct Sealed {
    var number: Int
    var segments: [Manifest.Segment]
    var bytes: Int
    var entries: [String: OrderedKeyIndex.Entry]
    var upToSeq: UInt64
}
