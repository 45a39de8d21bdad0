import NIOCore

/// Bytes read from a connection that a parser has not cut into messages or frames yet.
///
/// A parser takes them with ``take()``, reads what it can and gives back the rest with
/// ``keep(_:)``. A buffer read whole is let go rather than kept empty: holding on to it made
/// NIOSSL copy its receive buffer, which it hands out and then writes into again, on every
/// read (6 % of the server's CPU).
struct UnreadBytes {
    private var buffer: ByteBuffer?

    /// Adds what was read after the bytes still unread.
    mutating func append(_ bytes: ByteBuffer) {
        if var buffer = self.buffer.take() {
            var bytes = bytes
            buffer.writeBuffer(&bytes)
            self.buffer = buffer
        } else {
            self.buffer = bytes
        }
    }

    /// The unread bytes, if there are any, handed over until ``keep(_:)``.
    mutating func take() -> ByteBuffer? {
        self.buffer.take()
    }

    /// Keeps what a parser left of the bytes it took.
    mutating func keep(_ rest: ByteBuffer) {
        self.buffer = rest.readableBytes > 0 ? rest : nil
    }
}
