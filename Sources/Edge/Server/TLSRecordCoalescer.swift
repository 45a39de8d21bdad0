import NIOCore

/// Merges the small writes made before one flush into buffers of up to one TLS record before
/// `NIOSSLHandler` sees them.
///
/// NIOSSL encrypts every write on its own (one `SSL_write`, so at least one TLS record each).
/// Pipelined HTTP/1.1 responses flushed together are a write or two each, so a flush of ten
/// made ten to twenty records: as many record headers and tags, encryption calls here and
/// decryptions at the client, where one record holds up to 16 KiB. nginx likewise gathers its
/// output into 16 KiB before `SSL_write`. The merge copies the small writes once, which the
/// encryption right after costs anyway; writes of a record or more pass through untouched, and
/// so does a lone write, such as the one buffer ``StorefrontHTTP2Handler`` writes per flush.
final class TLSRecordCoalescer: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    /// The most plaintext one TLS record carries (RFC 8446 §5.1).
    static let recordSize = 16_384

    private var pending: ByteBuffer?
    /// Completes with the merged write; the promises of the writes merged into it cascade from it.
    private var pendingPromise: EventLoopPromise<Void>?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .byteBuffer(var buffer) = self.unwrapOutboundIn(data), buffer.readableBytes < Self.recordSize
        else {
            self.writePending(context: context)
            context.write(data, promise: promise)
            return
        }
        if var merged = self.pending, merged.readableBytes + buffer.readableBytes <= Self.recordSize {
            self.pending = nil
            // In place only when that needs no copy and no reallocation: the first write's buffer
            // is often still shared or sized for that write alone, and growing it copied or
            // reallocated it at every merge (2.6 % of the server's CPU under h2load, when NIOHTTP2
            // wrote each frame on its own). Otherwise one buffer of a whole record takes this
            // write and those to come.
            let appended =
                merged.writableBytes >= buffer.readableBytes
                && merged.modifyIfUniquelyOwned { $0.writeBuffer(&buffer) } != nil
            if !appended {
                var record = context.channel.allocator.buffer(capacity: Self.recordSize)
                record.writeBuffer(&merged)
                record.writeBuffer(&buffer)
                merged = record
            }
            self.pending = merged
        } else {
            self.writePending(context: context)
            // Kept as it is until a second write arrives: a lone write is never copied.
            self.pending = buffer
        }
        if let promise {
            if let earlier = self.pendingPromise {
                earlier.futureResult.cascade(to: promise)
            } else {
                self.pendingPromise = promise
            }
        }
    }

    func flush(context: ChannelHandlerContext) {
        self.writePending(context: context)
        context.flush()
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        self.writePending(context: context)
        context.close(mode: mode, promise: promise)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.writePending(context: context)
    }

    private func writePending(context: ChannelHandlerContext) {
        guard let pending = self.pending else { return }
        let promise = self.pendingPromise
        self.pending = nil
        self.pendingPromise = nil
        context.write(self.wrapOutboundOut(.byteBuffer(pending)), promise: promise)
    }
}

@available(*, unavailable)
extension TLSRecordCoalescer: Sendable {}
