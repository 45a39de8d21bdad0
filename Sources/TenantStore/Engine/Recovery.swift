import Logging

/// Opens a data directory: reads the manifest, verifies every segment and rebuilds the index.
struct Recovery {
    struct Result {
        var manifest: Manifest
        var index: OrderedKeyIndex
        var lastSeq: UInt64
        var activeFile: (any StoreFile)?
        var activeSize: Int
        var sealedBytes: Int
        var report: RecoveryReport
    }

    let directory: String
    let options: StoreOptions
    /// Whether to verify checksums on a second thread while parsing (see `SegmentScanner`).
    var parallel = true
    var fileSystem: any StoreFileSystem { self.options.fileSystem }
    var writable: Bool { self.options.mode != .readOnly }

    func run() throws -> Result {
        var report = RecoveryReport()
        var manifest = try self.loadOrCreateManifest()
        if self.writable {
            report.removedFiles = try self.removeUnlistedFiles(manifest)
        }
        var index = OrderedKeyIndex()
        var expectedSeq: UInt64 = 1
        var sealedBytes = 0
        var activeSize = 0
        var scanners: [SegmentScanner] = []
        for (number, segment) in manifest.segments.enumerated() {
            let path = joinPath(self.directory, segment.name)
            guard self.fileSystem.exists(path) else {
                throw TenantStoreError(code: .corrupted, message: "\(path): listed in MANIFEST but missing")
            }
            let file = try self.fileSystem.openFile(path, create: false)
            let bytes = try file.mapContents(length: try file.size())
            try file.close()
            let isLast = number == manifest.segments.count - 1
            scanners.append(
                SegmentScanner(segment: bytes, kind: segment.kind.frameKind, isActive: isLast && segment.kind == .log)
            )
        }
        index.reserveCapacity(scanners.reduce(0) { $0 + $1.recordCount() })
        var segmentNumber = 0
        while segmentNumber < manifest.segments.count {
            let segment = manifest.segments[segmentNumber]
            let isLast = segmentNumber == manifest.segments.count - 1
            let path = joinPath(self.directory, segment.name)
            let scanner = scanners[segmentNumber]
            let bytes = scanner.segment
            let apply = { (record: Frame.Record) in
                switch record.operation {
                case .put: index.put(record.key, seq: record.seq, value: record.value)
                case .delete: index.remove(record.key)
                }
            }
            let scanned: SegmentScanner.Result
            if let fast = scanner.scan(expectedSeq: expectedSeq, verifyingInParallel: self.parallel, apply: apply) {
                scanned = fast
            } else {
                // A bad checksum in a frame whose records were already applied: start over
                // with checks before application, which also pinpoints the damage.
                return try Recovery(directory: self.directory, options: self.options, parallel: false).run()
            }
            expectedSeq = scanned.nextSeq
            if segment.kind == .snapshot, let upToSeq = segment.upToSeq {
                guard expectedSeq <= upToSeq + 1 else {
                    throw TenantStoreError(
                        code: .corrupted,
                        message: "\(path): snapshot holds sequence \(expectedSeq - 1), past its end \(upToSeq)"
                    )
                }
                expectedSeq = upToSeq + 1
            }
            report.segments.append(
                RecoveryReport.Segment(
                    name: segment.name,
                    kind: segment.kind.rawValue,
                    bytes: scanned.validLength,
                    frames: scanned.frames,
                    records: scanned.records
                )
            )
            switch scanned.outcome {
            case .clean:
                break
            case .zeroTail(let offset):
                // Preallocated space (see `FileKeyValueStore.preallocationChunk`): zeros hold
                // nothing to save, so the tail is cut without a side file.
                if self.writable {
                    let file = try self.fileSystem.openFile(path, create: false)
                    try file.truncate(to: offset)
                    try file.sync()
                    try file.close()
                }
            case .tornTail(let offset, let reason):
                var damage = RecoveryReport.Damage(
                    file: segment.name,
                    offset: offset,
                    length: bytes.buffer.count - offset,
                    reason: reason
                )
                if self.writable {
                    damage.savedAs = try self.cutTail(of: segment.name, bytes: bytes, at: offset, prefix: "torn")
                }
                report.tornTail = damage
                self.options.logger.warning(
                    "tenant store cut a torn tail",
                    metadata: [
                        "store.file": "\(segment.name)", "store.offset": "\(offset)", "store.reason": "\(reason)",
                    ]
                )
            case .corrupted(let offset, let reason):
                var damage = RecoveryReport.Damage(
                    file: segment.name,
                    offset: offset,
                    length: bytes.buffer.count - offset,
                    reason: reason
                )
                switch self.options.mode {
                case .readWrite:
                    throw TenantStoreError(
                        code: .corrupted,
                        message: "\(path) is corrupt at offset \(offset): \(reason). "
                            + "Open read-only to read the \(offset) verified bytes before it, "
                            + "or repair to discard everything from there on"
                    )
                case .readOnly:
                    report.corruption = damage
                    manifest.segments.removeSubrange((segmentNumber + 1)...)
                case .repair:
                    damage.savedAs = try self.cutTail(of: segment.name, bytes: bytes, at: offset, prefix: "corrupt")
                    for later in manifest.segments[(segmentNumber + 1)...] {
                        try self.fileSystem.rename(
                            joinPath(self.directory, later.name),
                            to: joinPath(self.directory, "corrupt-" + later.name)
                        )
                    }
                    manifest.segments.removeSubrange((segmentNumber + 1)...)
                    try self.fileSystem.syncDirectory(self.directory)
                    try manifest.write(to: self.directory, fileSystem: self.fileSystem)
                    report.corruption = damage
                    self.options.logger.warning(
                        "tenant store repaired corruption by discarding data",
                        metadata: ["store.file": "\(segment.name)", "store.offset": "\(offset)"]
                    )
                }
            }
            if isLast || report.corruption != nil {
                activeSize = scanned.validLength
            } else {
                sealedBytes += scanned.validLength
            }
            segmentNumber += 1
        }
        var activeFile: (any StoreFile)?
        if self.writable {
            if manifest.segments.last?.kind != .log {
                sealedBytes += activeSize
                activeSize = 0
                let name = Manifest.segmentName(manifest.nextSegmentNumber)
                activeFile = try self.createSegmentFile(name)
                manifest.nextSegmentNumber += 1
                manifest.segments.append(Manifest.Segment(name: name, kind: .log, upToSeq: nil))
                try manifest.write(to: self.directory, fileSystem: self.fileSystem)
            } else if let last = manifest.segments.last {
                activeFile = try self.fileSystem.openFile(joinPath(self.directory, last.name), create: false)
            }
        }
        report.keys = index.count
        report.lastSeq = expectedSeq - 1
        return Result(
            manifest: manifest,
            index: index,
            lastSeq: expectedSeq - 1,
            activeFile: activeFile,
            activeSize: activeSize,
            sealedBytes: sealedBytes,
            report: report
        )
    }

    private func loadOrCreateManifest() throws -> Manifest {
        let path = joinPath(self.directory, Manifest.fileName)
        if self.fileSystem.exists(path) {
            let file = try self.fileSystem.openFile(path, create: false)
            defer { try? file.close() }
            return try Manifest.decode(try file.readAll(), path: path)
        }
        guard self.writable else {
            throw TenantStoreError(code: .notFound, message: "\(self.directory) holds no store (no MANIFEST)")
        }
        if let stray = try self.fileSystem.listDirectory(self.directory).first(where: { $0.hasPrefix("seg-") }) {
            throw TenantStoreError(
                code: .corrupted,
                message: "\(self.directory) has segment \(stray) but no MANIFEST; refusing to start a new store over it"
            )
        }
        let first = Manifest.segmentName(1)
        try self.createSegmentFile(first).close()
        let manifest = Manifest(
            format: Manifest.currentFormat,
            segments: [Manifest.Segment(name: first, kind: .log, upToSeq: nil)],
            nextSegmentNumber: 2
        )
        try manifest.write(to: self.directory, fileSystem: self.fileSystem)
        return manifest
    }

    /// Creates an empty segment file durably: the file and the directory entry are synced.
    private func createSegmentFile(_ name: String) throws -> any StoreFile {
        let file = try self.fileSystem.openFile(joinPath(self.directory, name), create: true)
        try file.sync()
        try self.fileSystem.syncDirectory(self.directory)
        return file
    }

    /// Leftovers of an interrupted rotation, compaction or manifest switch.
    private func removeUnlistedFiles(_ manifest: Manifest) throws -> [String] {
        let listed = Set(manifest.segments.map(\.name))
        let stale = try self.fileSystem.listDirectory(self.directory).filter { name in
            (name.hasPrefix("seg-") && !listed.contains(name)) || name.hasSuffix(".tmp")
        }
        for name in stale { try self.fileSystem.removeFile(joinPath(self.directory, name)) }
        if !stale.isEmpty { try self.fileSystem.syncDirectory(self.directory) }
        return stale
    }

    /// Saves the bytes from `offset` to a side file, then truncates the segment there.
    private func cutTail(of name: String, bytes: SegmentBytes, at offset: Int, prefix: String) throws -> String {
        let sideName = "\(prefix)-\(name)-\(offset)"
        let side = try self.fileSystem.openFile(joinPath(self.directory, sideName), create: true)
        try side.truncate(to: 0)
        try side.write(Array(UnsafeRawBufferPointer(rebasing: bytes.buffer[offset...])), at: 0)
        try side.sync()
        try side.close()
        let segment = try self.fileSystem.openFile(joinPath(self.directory, name), create: false)
        try segment.truncate(to: offset)
        try segment.sync()
        try segment.close()
        try self.fileSystem.syncDirectory(self.directory)
        return sideName
    }
}
