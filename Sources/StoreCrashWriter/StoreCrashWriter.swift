import EdgeTestSupport
import TenantStore

#if canImport(Glibc)
import Glibc
#endif

/// The child of the SIGKILL crash test: writes ``CrashSchedule`` batches from several writers
/// as fast as the store acknowledges them, prints `ACK <writer> <operation> <seq>` after each
/// acknowledgement, and compacts now and then so that kills also land inside compaction.
///
/// Usage: `store-crash-writer DIRECTORY WRITERS`. It never stops by itself: the parent kills it.
@main
struct StoreCrashWriter {
    static func main() async throws {
        let arguments = CommandLine.arguments
        guard arguments.count == 3, let writers = Int(arguments[2]) else {
            print("usage: store-crash-writer DIRECTORY WRITERS")
            exit(2)
        }
        var options = StoreOptions()
        options.segmentSizeLimit = 256 * 1024
        options.compactionMinimumBytes = 512 * 1024
        let store = try FileKeyValueStore.open(directory: arguments[1], options: options)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    let progress = try await store.get(CrashSchedule.progressKey(writer: writer))
                    var operation = progress.flatMap { Int(String(decoding: $0.bytes, as: UTF8.self)) } ?? 0
                    while true {
                        operation += 1
                        let seq = try await store.batch(CrashSchedule.batch(writer: writer, operation: operation))
                        acknowledge("ACK \(writer) \(operation) \(seq)\n")
                    }
                }
            }
            group.addTask {
                while true {
                    try await Task.sleep(for: .milliseconds(40))
                    try await store.compact()
                }
            }
            try await group.next()
        }
    }

    /// One `write(2)` per line, unbuffered: a line the parent sees was printed after the ack.
    static func acknowledge(_ line: String) {
        var bytes = Array(line.utf8)
        bytes.withUnsafeMutableBytes { _ = write(1, $0.baseAddress, $0.count) }
    }
}
