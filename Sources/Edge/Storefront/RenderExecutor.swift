import NIOPosix

/// Where storefront renders run: the threads of NIO's shared thread pool, never an event loop.
///
/// `edge serve` makes the event loops Swift concurrency's global executor, so a task started on
/// a loop would run on that loop. A render (reading and decoding a tenant, building its
/// renderer, Mustache, gzip) takes from a few hundred microseconds to milliseconds, and the
/// cache hits of every other connection of that loop would wait behind it: measured with the
/// renders on the loops, the cold-cache p99 went from 78–90 ms to 98–139 ms and the p99 while
/// configuration writes invalidate pages from 6–12 ms to 7–20 ms. Tasks that prefer this
/// executor run on the pool's threads instead, which the kernel schedules beside the loops.
final class RenderExecutor: TaskExecutor {
    static let shared = RenderExecutor()

    private init() {}

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        // A job must run even if the pool were stopping, or its task would never resume; the
        // shared pool never stops.
        NIOThreadPool.singleton.submit { _ in
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
