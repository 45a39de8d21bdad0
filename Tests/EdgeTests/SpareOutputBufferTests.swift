import NIOCore
import Testing

@testable import Edge

/// A thread's spare output buffer is reused only once nothing else holds it.
@Suite struct SpareOutputBufferTests {
    private func address(_ buffer: ByteBuffer) -> UnsafeRawPointer? {
        buffer.withVeryUnsafeBytes { UnsafeRawPointer($0.baseAddress) }
    }

    // Synchronous, so that every step runs on the one thread whose spare it is.
    @Test func aBufferIsReusedEmptyOnlyWhenNoOneElseHoldsIt() {
        var first = SpareOutputBuffer.take(minimumCapacity: 256)
        first.writeString("first response")
        let stillWritten = first
        SpareOutputBuffer.recycle(consume first)
        var second = SpareOutputBuffer.take(minimumCapacity: 256)
        #expect(self.address(second) != self.address(stillWritten))
        #expect(String(buffer: stillWritten) == "first response")

        second.writeString("second response")
        let secondAddress = self.address(second)
        SpareOutputBuffer.recycle(consume second)
        let third = SpareOutputBuffer.take(minimumCapacity: 256)
        #expect(self.address(third) == secondAddress)
        #expect(third.readableBytes == 0)

        SpareOutputBuffer.recycle(ByteBuffer(repeating: 0, count: SpareOutputBuffer.maximumKept + 1))
        let fourth = SpareOutputBuffer.take(minimumCapacity: 256)
        #expect(fourth.capacity <= SpareOutputBuffer.maximumKept)
    }
}
