import Foundation
import NIOPosix
import Testing

@testable import Edge

/// Renders run on NIO's shared thread pool, also across their suspensions.
@Suite struct RenderExecutorTests {
    /// The calling thread's name, as NIO set it (Linux).
    private static func threadName() -> String {
        let name = try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)
        return name?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    }

    @Test func tasksThatPreferItRunOnTheSharedThreadPool() async throws {
        let poolThread = try await NIOThreadPool.singleton.runIfActive { Self.threadName() }
        let poolPrefix = String(poolThread.prefix { !$0.isNumber })
        #expect(!poolPrefix.isEmpty)
        let names = await Task(executorPreference: RenderExecutor.shared) {
            let before = Self.threadName()
            try? await Task.sleep(for: .milliseconds(1))
            await Task.yield()
            #expect(MultiThreadedEventLoopGroup.currentEventLoop == nil)
            return [before, Self.threadName()]
        }.value
        #expect(names.allSatisfy { $0.hasPrefix(poolPrefix) }, "\(names) vs \(poolThread)")
    }
}
