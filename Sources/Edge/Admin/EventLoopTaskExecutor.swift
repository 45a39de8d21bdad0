import NIOCore
import NIOPosix

/// Runs the admin plane's tasks on NIO's event loops as plain nonisolated code.
///
/// `edge serve` makes the event loops Swift concurrency's global executor, but NIO runs each
/// global job as if isolated to the loop's serial executor. Every `await` that leaves or returns
/// to nonisolated code then differs in isolation from where the task runs, so Swift queues the
/// task on the loop again instead of going on: a uprobe on `swift_task_enqueue` counted 131 per
/// configuration PUT, and 2 with this executor. A task that prefers this executor runs with no serial
/// executor and this task executor, which is what its nonisolated code asks for, so it only
/// hops to reach an actor or when it really waits.
package final class EventLoopTaskExecutor: TaskExecutor {
    package static let shared = EventLoopTaskExecutor()

    private init() {}

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        // `any()` is the current loop when called on one of the group's loops, so a task keeps
        // to its loop unless another thread (the store's committer) resumes it.
        MultiThreadedEventLoopGroup.singleton.any().execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
