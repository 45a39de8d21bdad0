import NIOCore
import NIOEmbedded
import Testing

@testable import Edge

/// Small writes of one flush leave as record-sized buffers, in order; large ones pass through.
@Suite struct TLSRecordCoalescerTests {
    private func channel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(TLSRecordCoalescer())
        return channel
    }

    private func written(_ channel: EmbeddedChannel) throws -> [String] {
        var buffers: [String] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
            buffers.append(String(buffer: buffer))
        }
        return buffers
    }

    @Test func smallWritesOfOneFlushLeaveAsOneBuffer() throws {
        let channel = try self.channel()
        let promises = (0..<3).map { _ in channel.eventLoop.makePromise(of: Void.self) }
        channel.write(ByteBuffer(string: "HTTP/1.1 200 OK\r\n\r\n"), promise: promises[0])
        channel.write(ByteBuffer(string: "<p>body</p>"), promise: nil)
        channel.write(ByteBuffer(string: "tail"), promise: promises[1])
        channel.write(ByteBuffer(string: "more"), promise: promises[2])
        #expect(try self.written(channel).isEmpty)
        channel.flush()
        #expect(try self.written(channel) == ["HTTP/1.1 200 OK\r\n\r\n<p>body</p>tailmore"])
        for promise in promises {
            #expect(throws: Never.self) { try promise.futureResult.wait() }
        }
        _ = try channel.finish()
    }

    /// NIOHTTP2 clears and refills the frame buffer it wrote: a merge may write into a first
    /// write's storage only when nothing else holds it, and a roomy unshared one is appended to.
    @Test func mergesNeverWriteIntoStorageSomeoneElseHolds() throws {
        let channel = try self.channel()
        var reused = ByteBuffer(string: "frame-1 ")
        reused.reserveCapacity(minimumWritableBytes: 256)
        channel.write(reused, promise: nil)
        channel.write(ByteBuffer(string: "data-1 "), promise: nil)
        reused.clear()
        reused.writeString("frame-2 ")
        channel.write(reused, promise: nil)
        channel.flush()
        var roomy = ByteBuffer(string: "head ")
        roomy.reserveCapacity(minimumWritableBytes: 256)
        channel.write(roomy, promise: nil)
        roomy = ByteBuffer()
        channel.write(ByteBuffer(string: "body"), promise: nil)
        channel.flush()
        #expect(try self.written(channel) == ["frame-1 data-1 frame-2 ", "head body"])
        #expect(String(buffer: reused) == "frame-2 ")
        _ = try channel.finish()
    }

    @Test func largeWritesPassThroughAndOrderIsKept() throws {
        let channel = try self.channel()
        let large = String(repeating: "x", count: TLSRecordCoalescer.recordSize)
        let nearlyFull = String(repeating: "y", count: TLSRecordCoalescer.recordSize - 2)
        channel.write(ByteBuffer(string: "a"), promise: nil)
        channel.write(ByteBuffer(string: large), promise: nil)
        channel.write(ByteBuffer(string: "b"), promise: nil)
        channel.write(ByteBuffer(string: nearlyFull), promise: nil)
        channel.write(ByteBuffer(string: "cc"), promise: nil)
        channel.flush()
        #expect(try self.written(channel) == ["a", large, "b" + nearlyFull, "cc"])
        _ = try channel.finish()
    }

    /// Records what reaches it from the coalescer, in order.
    final class Recorder: ChannelOutboundHandler {
        typealias OutboundIn = ByteBuffer
        var events: [String] = []

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            self.events.append("write " + String(buffer: self.unwrapOutboundIn(data)))
            context.write(data, promise: promise)
        }

        func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
            self.events.append("close")
            context.close(mode: mode, promise: promise)
        }
    }

    @Test func nothingIsHeldAcrossAFlushOrAClose() throws {
        let channel = EmbeddedChannel()
        let recorder = Recorder()
        try channel.pipeline.syncOperations.addHandler(recorder)
        try channel.pipeline.syncOperations.addHandler(TLSRecordCoalescer())
        channel.write(ByteBuffer(string: "first"), promise: nil)
        channel.flush()
        channel.write(ByteBuffer(string: "second"), promise: nil)
        #expect(recorder.events == ["write first"])
        _ = try? channel.close().wait()
        // Handed on before the close, so the channel fails it like any unflushed write.
        #expect(recorder.events == ["write first", "write second", "close"])
    }
}
