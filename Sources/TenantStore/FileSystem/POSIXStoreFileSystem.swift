#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The real file system, through POSIX calls.
///
/// Written against POSIX directly rather than Foundation because durability needs calls that
/// Foundation hides or gets wrong: `fdatasync`, a directory `fsync` after every rename or
/// unlink, and `flock` for the single-writer lock.
package struct POSIXStoreFileSystem: StoreFileSystem {
    package init() {}

    package func openFile(_ path: String, create: Bool) throws -> any StoreFile {
        let flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0)
        let fd = open(path, flags, 0o644)
        guard fd >= 0 else { throw POSIXStoreFileSystem.error("open", path: path) }
        return POSIXStoreFile(descriptor: fd, path: path)
    }

    package func listDirectory(_ path: String) throws -> [String] {
        guard let directory = opendir(path) else { throw POSIXStoreFileSystem.error("opendir", path: path) }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    package func createDirectory(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw POSIXStoreFileSystem.error("mkdir", path: prefix)
            }
            prefix += "/"
        }
    }

    package func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    package func rename(_ source: String, to destination: String) throws {
        #if canImport(Glibc) || canImport(Musl)
        let result = Glibc.rename(source, destination)
        #else
        let result = Darwin.rename(source, destination)
        #endif
        guard result == 0 else { throw POSIXStoreFileSystem.error("rename", path: "\(source) → \(destination)") }
    }

    package func removeFile(_ path: String) throws {
        guard unlink(path) == 0 else { throw POSIXStoreFileSystem.error("unlink", path: path) }
    }

    package func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw POSIXStoreFileSystem.error("open", path: path) }
        defer { _ = Glibc.close(fd) }
        guard fsync(fd) == 0 else { throw POSIXStoreFileSystem.error("fsync", path: path) }
    }

    package func lockExclusively(_ path: String) throws -> any StoreFileLock {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw POSIXStoreFileSystem.error("open", path: path) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let lockErrno = errno
            _ = Glibc.close(fd)
            if lockErrno == EWOULDBLOCK {
                throw TenantStoreError(
                    code: .locked,
                    message: "\(path) is locked: another process has this data directory open"
                )
            }
            throw POSIXStoreFileSystem.error("flock", path: path, errno: lockErrno)
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        return POSIXStoreFileLock(descriptor: fd)
    }

    static func error(_ call: String, path: String, errno code: Int32 = errno) -> TenantStoreError {
        TenantStoreError(
            code: .ioError,
            message: "\(call) \(path): \(String(cString: strerror(code))) (errno \(code))"
        )
    }
}

private final class POSIXStoreFileLock: StoreFileLock {
    private let descriptor: Int32

    init(descriptor: Int32) { self.descriptor = descriptor }

    func unlock() {
        _ = flock(self.descriptor, LOCK_UN)
        _ = Glibc.close(self.descriptor)
    }
}

/// One open descriptor. Its methods are called by one thread at a time (the engine serialises
/// them), so it has no lock of its own.
private final class POSIXStoreFile: StoreFile, @unchecked Sendable {
    private let descriptor: Int32
    private let path: String

    init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    func size() throws -> Int {
        var info = stat()
        guard fstat(self.descriptor, &info) == 0 else { throw POSIXStoreFileSystem.error("fstat", path: self.path) }
        return Int(info.st_size)
    }

    func read(at offset: Int, count: Int) throws -> [UInt8] {
        guard count > 0 else { return [] }
        var filled = 0
        let bytes = try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            while filled < count {
                let result = pread(
                    self.descriptor,
                    buffer.baseAddress! + filled,
                    count - filled,
                    off_t(offset + filled)
                )
                if result < 0 {
                    if errno == EINTR { continue }
                    initialized = filled
                    throw POSIXStoreFileSystem.error("pread", path: self.path)
                }
                if result == 0 { break }
                filled += result
            }
            initialized = filled
        }
        return bytes
    }

    func write(_ bytes: [UInt8], at offset: Int) throws {
        try bytes.withUnsafeBytes { raw in
            var written = 0
            while written < raw.count {
                let result = pwrite(
                    self.descriptor,
                    raw.baseAddress! + written,
                    raw.count - written,
                    off_t(offset + written)
                )
                if result < 0 {
                    if errno == EINTR { continue }
                    throw POSIXStoreFileSystem.error("pwrite", path: self.path)
                }
                written += result
            }
        }
    }

    func truncate(to size: Int) throws {
        guard ftruncate(self.descriptor, off_t(size)) == 0 else {
            throw POSIXStoreFileSystem.error("ftruncate", path: self.path)
        }
    }

    func mapContents(length: Int) throws -> SegmentBytes {
        guard length > 0 else { return SegmentBytes(copying: []) }
        // MAP_POPULATE: fault the page-cache pages in with one call instead of one fault each.
        guard let address = mmap(nil, length, PROT_READ, MAP_PRIVATE | MAP_POPULATE, self.descriptor, 0),
            address != MAP_FAILED
        else {
            throw POSIXStoreFileSystem.error("mmap", path: self.path)
        }
        return SegmentBytes(buffer: UnsafeRawBufferPointer(start: address, count: length)) { buffer in
            _ = munmap(UnsafeMutableRawPointer(mutating: buffer.baseAddress), buffer.count)
        }
    }

    func sync() throws {
        #if canImport(Darwin)
        let result = fsync(self.descriptor)
        #else
        let result = fdatasync(self.descriptor)
        #endif
        guard result == 0 else { throw POSIXStoreFileSystem.error("fdatasync", path: self.path) }
    }

    func close() throws {
        guard Glibc.close(self.descriptor) == 0 else { throw POSIXStoreFileSystem.error("close", path: self.path) }
    }
}
