import Foundation
package import TenantStore

/// An in-memory file system that remembers what was synced, for crash and fault tests.
///
/// Each file keeps its current bytes and its durable bytes (as of its last `sync`); each
/// directory keeps its current entries and its durable entries (as of its last directory sync).
/// ``powerCut(_:seed:)`` returns the file system a machine would find after losing power: the
/// durable state, plus whatever a torn write might have left of the unsynced bytes. It follows
/// SQLite's crash VFS (`test6.c`): unsynced data may vanish, survive, or survive in part.
///
/// Faults can be armed: a failing `sync` (EIO, and the data stays volatile, as Linux does after
/// a writeback error), or a write that stops after some bytes and fails.
package final class SimulatedFileSystem: StoreFileSystem, @unchecked Sendable {
    /// What becomes of bytes written but not synced when the power goes.
    package enum Tearing: Sendable, CaseIterable {
        /// They vanish.
        case dropUnsynced
        /// A random prefix of them survives.
        case keepPrefix
        /// The file keeps its length but the unsynced region reads as zeros from a random sector on.
        case zeroTail
        /// Each 512-byte sector independently survives or reads as zeros.
        case tornSectors
    }

    /// The error a fault raises.
    package struct InjectedFault: Error, CustomStringConvertible {
        package var description: String
    }

    struct Inode {
        var current: [UInt8] = []
        var durable: [UInt8] = []
    }

    struct Directory {
        var current: [String: Int] = [:]
        var durable: [String: Int] = [:]
    }

    private let lock = NSLock()
    private var inodes: [Int: Inode] = [:]
    private var directories: [String: Directory] = [:]
    private var nextInode = 1
    private var lockedPaths: Set<String> = []
    private var syncsUntilFailure: Int?
    private var writeFailureAfterBytes: Int?

    /// Syncs performed (files and directories), for tests that count them.
    package private(set) var syncCount = 0

    package init() {}

    /// Makes the sync after `successfulSyncs` more syncs fail with EIO.
    package func failSync(after successfulSyncs: Int = 0) {
        self.withLock { self.syncsUntilFailure = successfulSyncs }
    }

    /// Makes the next write store only `bytes` bytes and then fail with EIO.
    package func failNextWrite(afterBytes bytes: Int) {
        self.withLock { self.writeFailureAfterBytes = bytes }
    }

    /// The file system as it would be found after a power cut now.
    package func powerCut(_ tearing: Tearing, seed: UInt64 = 1) -> SimulatedFileSystem {
        var random = SplitMix64(seed: seed)
        return self.withLock {
            let survivor = SimulatedFileSystem()
            var reachable: Set<Int> = []
            for (path, directory) in self.directories {
                survivor.directories[path] = Directory(current: directory.durable, durable: directory.durable)
                reachable.formUnion(directory.durable.values)
            }
            for number in reachable {
                guard let inode = self.inodes[number] else { continue }
                let bytes = Self.survivingBytes(of: inode, tearing, &random)
                survivor.inodes[number] = Inode(current: bytes, durable: bytes)
            }
            survivor.nextInode = self.nextInode
            return survivor
        }
    }

    /// The file system as a process killed now leaves it: everything written survives, synced
    /// or not, because the kernel still holds it.
    package func processKill() -> SimulatedFileSystem {
        self.withLock {
            let survivor = SimulatedFileSystem()
            for (path, directory) in self.directories {
                survivor.directories[path] = Directory(current: directory.current, durable: directory.current)
            }
            for (number, inode) in self.inodes {
                survivor.inodes[number] = Inode(current: inode.current, durable: inode.current)
            }
            survivor.nextInode = self.nextInode
            return survivor
        }
    }

    /// The bytes of the file at `path`, or nil.
    package func contents(of path: String) -> [UInt8]? {
        self.withLock {
            let (directory, name) = Self.split(path)
            return self.directories[directory]?.current[name].flatMap { self.inodes[$0]?.current }
        }
    }

    /// Replaces the bytes of the file at `path` (both current and durable), to plant damage.
    package func setContents(of path: String, _ bytes: [UInt8]) {
        self.withLock {
            let (directory, name) = Self.split(path)
            if let number = self.directories[directory]?.current[name] {
                self.inodes[number] = Inode(current: bytes, durable: bytes)
            }
        }
    }

    private static func survivingBytes(of inode: Inode, _ tearing: Tearing, _ random: inout SplitMix64) -> [UInt8] {
        let durable = inode.durable
        let current = inode.current
        guard current.count > durable.count, current.starts(with: durable) else {
            // Overwritten in place (or shortened): each sector holds its old or its new bytes.
            let length = tearing == .dropUnsynced || random.next() % 2 == 0 ? durable.count : current.count
            var bytes = [UInt8](repeating: 0, count: length)
            for sector in stride(from: 0, to: length, by: 512) {
                let source = tearing != .dropUnsynced && random.next() % 2 == 0 ? current : durable
                for position in sector..<min(sector + 512, length) where position < source.count {
                    bytes[position] = source[position]
                }
            }
            return bytes
        }
        let unsynced = current.count - durable.count
        switch tearing {
        case .dropUnsynced:
            return durable
        case .keepPrefix:
            return Array(current.prefix(durable.count + Int(random.next() % UInt64(unsynced + 1))))
        case .zeroTail:
            // Disks lose whole sectors: the zeros start at a sector boundary (or where the
            // durable data ends).
            let cut = durable.count + Int(random.next() % UInt64(unsynced + 1))
            let kept = max(durable.count, cut / 512 * 512)
            return Array(current.prefix(kept)) + Array(repeating: 0, count: current.count - kept)
        case .tornSectors:
            var bytes = current
            var sector = durable.count / 512 * 512
            while sector < bytes.count {
                let end = min(sector + 512, bytes.count)
                if random.next() % 2 == 0 {
                    for position in max(sector, durable.count)..<end { bytes[position] = 0 }
                }
                sector = end
            }
            return bytes
        }
    }

    private func withLock<T>(_ body: () throws -> T) rethrows -> T {
        self.lock.lock()
        defer { self.lock.unlock() }
        return try body()
    }

    private static func split(_ path: String) -> (String, String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }

    private static func missing(_ path: String) -> TenantStoreError {
        TenantStoreError(code: .ioError, message: "\(path): No such file or directory (simulated)")
    }

    package func openFile(_ path: String, create: Bool) throws -> any StoreFile {
        try self.withLock {
            let (directory, name) = Self.split(path)
            guard self.directories[directory] != nil else { throw Self.missing(directory) }
            if let number = self.directories[directory]!.current[name] {
                return SimulatedFile(fileSystem: self, inode: number)
            }
            guard create else { throw Self.missing(path) }
            let number = self.nextInode
            self.nextInode += 1
            self.inodes[number] = Inode()
            self.directories[directory]!.current[name] = number
            return SimulatedFile(fileSystem: self, inode: number)
        }
    }

    package func listDirectory(_ path: String) throws -> [String] {
        try self.withLock {
            guard let directory = self.directories[path] else { throw Self.missing(path) }
            return directory.current.keys.sorted()
        }
    }

    package func createDirectory(_ path: String) throws {
        self.withLock {
            var prefix = ""
            for component in path.split(separator: "/") {
                prefix += "/" + component
                if self.directories[prefix] == nil { self.directories[prefix] = Directory() }
            }
        }
    }

    package func exists(_ path: String) -> Bool {
        self.withLock {
            if self.directories[path] != nil { return true }
            let (directory, name) = Self.split(path)
            return self.directories[directory]?.current[name] != nil
        }
    }

    package func rename(_ source: String, to destination: String) throws {
        try self.withLock {
            let (sourceDirectory, sourceName) = Self.split(source)
            let (destinationDirectory, destinationName) = Self.split(destination)
            guard let number = self.directories[sourceDirectory]?.current[sourceName],
                self.directories[destinationDirectory] != nil
            else { throw Self.missing(source) }
            self.directories[sourceDirectory]!.current[sourceName] = nil
            self.directories[destinationDirectory]!.current[destinationName] = number
        }
    }

    package func removeFile(_ path: String) throws {
        try self.withLock {
            let (directory, name) = Self.split(path)
            guard self.directories[directory]?.current[name] != nil else { throw Self.missing(path) }
            self.directories[directory]!.current[name] = nil
        }
    }

    package func syncDirectory(_ path: String) throws {
        try self.withLock {
            guard self.directories[path] != nil else { throw Self.missing(path) }
            try self.consumeSync(path)
            self.directories[path]!.durable = self.directories[path]!.current
        }
    }

    package func lockExclusively(_ path: String) throws -> any StoreFileLock {
        try self.withLock {
            guard !self.lockedPaths.contains(path) else {
                throw TenantStoreError(
                    code: .locked,
                    message: "\(path) is locked: another process has this data directory open"
                )
            }
            self.lockedPaths.insert(path)
            return SimulatedLock(fileSystem: self, path: path)
        }
    }

    fileprivate func release(_ path: String) {
        self.withLock { _ = self.lockedPaths.remove(path) }
    }

    private func consumeSync(_ what: String) throws {
        if let remaining = self.syncsUntilFailure {
            if remaining == 0 {
                self.syncsUntilFailure = nil
                throw TenantStoreError(code: .ioError, message: "fsync \(what): Input/output error (injected)")
            }
            self.syncsUntilFailure = remaining - 1
        }
        self.syncCount += 1
    }

    fileprivate func withInode<T>(_ number: Int, _ body: (inout Inode) throws -> T) rethrows -> T {
        try self.withLock { try body(&self.inodes[number]!) }
    }

    fileprivate func write(_ bytes: [UInt8], at offset: Int, inode number: Int) throws {
        try self.withLock {
            var toWrite = bytes[...]
            var fault: InjectedFault?
            if let limit = self.writeFailureAfterBytes {
                self.writeFailureAfterBytes = nil
                toWrite = bytes.prefix(limit)
                fault = InjectedFault(description: "pwrite: Input/output error after \(limit) bytes (injected)")
            }
            let end = offset + toWrite.count
            if self.inodes[number]!.current.count < end {
                self.inodes[number]!.current.append(
                    contentsOf: repeatElement(0, count: end - self.inodes[number]!.current.count)
                )
            }
            self.inodes[number]!.current.replaceSubrange(offset..<end, with: toWrite)
            if let fault { throw fault }
        }
    }

    fileprivate func sync(inode number: Int) throws {
        try self.withLock {
            try self.consumeSync("inode \(number)")
            self.inodes[number]!.durable = self.inodes[number]!.current
        }
    }
}

private final class SimulatedFile: StoreFile, @unchecked Sendable {
    let fileSystem: SimulatedFileSystem
    let inode: Int

    init(fileSystem: SimulatedFileSystem, inode: Int) {
        self.fileSystem = fileSystem
        self.inode = inode
    }

    func size() throws -> Int { self.fileSystem.withInode(self.inode) { $0.current.count } }

    func read(at offset: Int, count: Int) throws -> [UInt8] {
        self.fileSystem.withInode(self.inode) { inode in
            guard offset < inode.current.count else { return [] }
            return Array(inode.current[offset..<min(offset + count, inode.current.count)])
        }
    }

    func write(_ bytes: [UInt8], at offset: Int) throws {
        try self.fileSystem.write(bytes, at: offset, inode: self.inode)
    }

    func truncate(to size: Int) throws {
        self.fileSystem.withInode(self.inode) { inode in
            if inode.current.count > size {
                inode.current.removeSubrange(size...)
            } else {
                inode.current.append(contentsOf: repeatElement(0, count: size - inode.current.count))
            }
        }
    }

    func mapContents(length: Int) throws -> SegmentBytes {
        SegmentBytes(copying: try self.read(at: 0, count: length))
    }

    func sync() throws { try self.fileSystem.sync(inode: self.inode) }

    func close() throws {}
}

private final class SimulatedLock: StoreFileLock, @unchecked Sendable {
    let fileSystem: SimulatedFileSystem
    let path: String

    init(fileSystem: SimulatedFileSystem, path: String) {
        self.fileSystem = fileSystem
        self.path = path
    }

    func unlock() { self.fileSystem.release(self.path) }
}

/// A small, seedable generator so that a failing crash schedule can be replayed.
package struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    package init(seed: UInt64) { self.state = seed }

    package mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E4B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
