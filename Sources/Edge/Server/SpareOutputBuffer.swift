import NIOCore
import NIOPosix

/// One output buffer per event-loop thread, handed from response to response.
///
/// The protocol handlers write each flush's responses into one buffer. `NIOSSLHandler`
/// encrypts it during the flush and lets it go, so after the flush it is free again, and the
/// next flush on the same thread, of any connection, can write into it: no allocation and no
/// growth per response. A buffer still held after its flush (a write that did not reach TLS,
/// when the connection closed meanwhile) is simply not taken back. Kept per thread rather than
/// per connection, so that idle keep-alive connections hold no output memory.
final class SpareOutputBuffer {
    private var spare: ByteBuffer?

    /// An empty buffer with at least `minimumCapacity` bytes of room: this thread's spare when
    /// it has one.
    static func take(minimumCapacity: Int) -> ByteBuffer {
        guard let box = Self.perThread.currentValue, var buffer = box.spare.take() else {
            return ByteBufferAllocator().buffer(capacity: minimumCapacity)
        }
        buffer.reserveCapacity(minimumCapacity)
        return buffer
    }

    /// Keeps `buffer` as this thread's spare, when no one else holds its storage (`NIOSSLHandler`
    /// encrypted it and let it go) and it is not larger than ``maximumKept``.
    static func recycle(_ buffer: consuming ByteBuffer) {
        guard buffer.capacity <= Self.maximumKept, buffer.modifyIfUniquelyOwned({ $0.clear() }) != nil else { return }
        if let box = Self.perThread.currentValue {
            box.spare = buffer
        } else {
            let box = SpareOutputBuffer()
            box.spare = buffer
            Self.perThread.currentValue = box
        }
    }

    /// The largest buffer kept: a full TLS record's worth of responses and then some. A burst
    /// of pipelined responses can grow a buffer further; that one is let go.
    static let maximumKept = 64 * 1024

    private static let perThread = ThreadSpecificVariable<SpareOutputBuffer>()
}

// Each instance is only ever reached through `perThread`, by the thread that owns it.
extension SpareOutputBuffer: @unchecked Sendable {}
