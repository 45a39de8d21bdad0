/// Every file-system call the storage engine makes, behind one seam.
///
/// The engine never touches the operating system directly: ``POSIXStoreFileSystem`` is the real
/// implementation, and tests substitute a simulated file system that injects short writes,
/// failing syncs, torn writes and power cuts that drop whatever was not synced.
package protocol StoreFileSystem: Sendable {
    /// Opens `path`, creating an empty file when `create` is set and it does not exist.
    func openFile(_ path: String, create: Bool) throws -> any StoreFile
    /// The names (not paths) in a directory.
    func listDirectory(_ path: String) throws -> [String]
    /// Creates a directory (and its parents) if missing.
    func createDirectory(_ path: String) throws
    /// Whether something exists at `path`.
    func exists(_ path: String) -> Bool
    /// Atomically replaces `destination` with `source` (POSIX `rename`).
    func rename(_ source: String, to destination: String) throws
    /// Removes a file.
    func removeFile(_ path: String) throws
    /// Makes the directory's entries (creations, renames, removals) durable.
    func syncDirectory(_ path: String) throws
    /// Takes an exclusive, non-blocking lock on `path`; released when the returned lock closes.
    func lockExclusively(_ path: String) throws -> any StoreFileLock
}

/// An open file.
package protocol StoreFile: AnyObject, Sendable {
    /// The file's current size in bytes.
    func size() throws -> Int
    /// Reads up to `count` bytes at `offset`; fewer only at end of file.
    func read(at offset: Int, count: Int) throws -> [UInt8]
    /// Writes all of `bytes` at `offset`, or throws.
    func write(_ bytes: [UInt8], at offset: Int) throws
    /// Shortens (or zero-extends) the file to `size` bytes.
    func truncate(to size: Int) throws
    /// The file's first `length` bytes, kept in memory until the result is released.
    func mapContents(length: Int) throws -> SegmentBytes
    /// Makes the file's data durable (`fdatasync`).
    func sync() throws
    /// Closes the file; further calls fail.
    func close() throws
}

/// A held exclusive lock on a file.
package protocol StoreFileLock: AnyObject, Sendable {
    /// Releases the lock.
    func unlock()
}

extension StoreFile {
    /// The whole file.
    package func readAll() throws -> [UInt8] {
        try self.read(at: 0, count: try self.size())
    }
}

/// Joins a directory and a name the way the engine spells paths.
package func joinPath(_ directory: String, _ name: String) -> String {
    directory.hasSuffix("/") ? directory + name : directory + "/" + name
}
