/// A segment's bytes held in memory for as long as any value points into them.
///
/// On the real file system this is a read-only `mmap` of the file: opening a store neither
/// copies the log nor makes the kernel zero fresh memory for it (measured: those two were 50 %
/// of open time), and the values stay in the page cache, where the kernel may reclaim them.
package final class SegmentBytes: Sendable {
    /// The bytes.
    package nonisolated(unsafe) let buffer: UnsafeRawBufferPointer
    private let release: @Sendable (UnsafeRawBufferPointer) -> Void

    package init(buffer: UnsafeRawBufferPointer, release: @escaping @Sendable (UnsafeRawBufferPointer) -> Void) {
        self.buffer = buffer
        self.release = release
    }

    /// Owned copy of `bytes`, for file systems that cannot map.
    package convenience init(copying bytes: [UInt8]) {
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
        memory.copyBytes(from: bytes)
        self.init(buffer: UnsafeRawBufferPointer(rebasing: memory[0..<bytes.count])) { buffer in
            UnsafeMutableRawPointer(mutating: buffer.baseAddress)?.deallocate()
        }
    }

    deinit { self.release(self.buffer) }
}

/// The bytes of one stored value: either an array of its own (written since open) or a range
/// of a segment read at open or written by compaction.
enum StoredBytes {
    case owned([UInt8])
    case mapped(SegmentBytes, Range<Int>)

    var count: Int {
        switch self {
        case .owned(let bytes): bytes.count
        case .mapped(_, let range): range.count
        }
    }

    var array: [UInt8] {
        switch self {
        case .owned(let bytes): bytes
        case .mapped(let segment, let range):
            [UInt8](unsafeUninitializedCapacity: range.count) { destination, initialized in
                UnsafeMutableRawBufferPointer(destination).copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: segment.buffer[range])
                )
                initialized = range.count
            }
        }
    }

    func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        switch self {
        case .owned(let bytes): try bytes.withUnsafeBytes(body)
        case .mapped(let segment, let range): try body(UnsafeRawBufferPointer(rebasing: segment.buffer[range]))
        }
    }
}
