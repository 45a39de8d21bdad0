import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import Edge

/// The admin plane's tasks run on NIO's event loops and go on through nonisolated `await`s
/// without being queued behind the loop's other work.
@Suite struct EventLoopTaskExecutorTests {
    private final class Flag: Sendable {
        let raised = Mutex(false)
    }

    /// A nonisolated async function: entering and leaving it asks for the generic executor.
    @inline(never)
    private static func nonisolatedStep() async {}

    @Test func tasksThatPreferItGoOnThroughNonisolatedAwaitsOnTheirLoop() async throws {
        let outcome = await Task(executorPreference: EventLoopTaskExecutor.shared) {
            () -> (onLoop: Bool, overtaken: Bool) in
            guard let loop = MultiThreadedEventLoopGroup.currentEventLoop else { return (false, false) }
            // Work queued on the loop now runs only after the task gives the loop up. Had the
            // task been queued again to go on after the awaits below, this would run first.
            let queued = Flag()
            loop.execute { queued.raised.withLock { $0 = true } }
            for _ in 0..<10 {
                await Self.nonisolatedStep()
            }
            let overtaken = queued.raised.withLock { $0 }
            return (MultiThreadedEventLoopGroup.currentEventLoop === loop, overtaken)
        }.value
        #expect(outcome.onLoop)
        #expect(!outcome.overtaken)
    }
}
