import Foundation

/// The path of an executable built with the tests (`swift build --build-tests` puts every
/// product in the directory of the test bundle).
package func builtProduct(named name: String) throws -> String {
    let executable =
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = directory.appendingPathComponent(name).path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        directory.deleteLastPathComponent()
    }
    let fallback = FileManager.default.currentDirectoryPath + "/.build/debug/" + name
    if FileManager.default.isExecutableFile(atPath: fallback) { return fallback }
    throw BuiltProductMissing(description: "\(name) is not built next to \(executable); run swift build --build-tests")
}

/// The executable a test needs was not built.
package struct BuiltProductMissing: Error, CustomStringConvertible {
    package var description: String
}

/// What a finished child process printed and how it exited.
package struct ProcessOutcome {
    /// The exit status.
    package var status: Int32
    /// Standard output.
    package var output: String
    /// Standard error.
    package var errors: String
}

/// Runs `executable` with `arguments` to completion.
package func runProcess(_ executable: String, _ arguments: [String]) throws -> ProcessOutcome {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    let errorData = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessOutcome(
        status: process.terminationStatus,
        output: String(decoding: outputData, as: UTF8.self),
        errors: String(decoding: errorData, as: UTF8.self)
    )
}

/// Runs blocking work (waiting for a child process, polling a log) on a thread of its own.
///
/// Swift's cooperative pool has one thread per core, two on this machine: a test that blocks
/// one of them for seconds starves every other test's tasks, and timing assertions elsewhere
/// fail for no fault of their own.
package func offPool<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Swift.Result { try body() })
        }
    }
}
