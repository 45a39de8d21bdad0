import Foundation
import Synchronization

/// An `edge serve` child process for tests: started in its own directory, with the ports it
/// announced on standard output, stopped by signal.
package final class ServerProcess: Sendable {
    /// The announced listeners by name (`https`, `http`, `admin`): their URLs.
    package let listeners: [String: String]
    /// The process's working directory (where `certs/` is written).
    package let directory: String
    private let process: SendableProcess
    private let errors: OutputBuffer
    private let output: OutputBuffer

    /// Everything written to standard error so far (the structured log).
    package var errorOutput: String { String(decoding: self.errors.bytes.withLock { $0 }, as: UTF8.self) }
    /// Everything written to standard output so far.
    package var standardOutput: String { String(decoding: self.output.bytes.withLock { $0 }, as: UTF8.self) }

    /// The port of a listener, e.g. `port("https")`.
    package func port(_ listener: String) -> Int? {
        guard let url = self.listeners[listener].flatMap(URL.init(string:)) else { return nil }
        return url.port
    }

    /// Starts `edge` with `arguments` in `directory` and waits until it announced its admin
    /// listener (the last listener line), or throws with its output when it exits first.
    package init(
        arguments: [String],
        environment: [String: String] = [:],
        directory: String,
        timeout: Duration = .seconds(60)
    ) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try builtProduct(named: "edge"))
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let outputPipe = Pipe()
        let errorPipe = Pipe()
        process.standardOutput = outputPipe
        process.standardError = errorPipe
        let output = OutputBuffer()
        let errors = OutputBuffer()
        outputPipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            output.bytes.withLock { $0.append(contentsOf: data) }
        }
        errorPipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            errors.bytes.withLock { $0.append(contentsOf: data) }
        }
        try process.run()
        let deadline = ContinuousClock.now + timeout
        var listeners: [String: String] = [:]
        while true {
            let text = String(decoding: output.bytes.withLock { $0 }, as: UTF8.self)
            for line in text.split(separator: "\n") {
                for name in ["https", "http", "admin"] where line.hasPrefix("\(name): ") {
                    listeners[name] = line.dropFirst(name.count + 2).split(separator: " ").first.map(String.init)
                }
            }
            if listeners["admin"] != nil { break }
            guard process.isRunning, ContinuousClock.now < deadline else {
                if process.isRunning { process.terminate() }
                process.waitUntilExit()
                throw ServerProcessFailed(
                    description: "edge \(arguments.joined(separator: " ")) did not start: "
                        + String(decoding: errors.bytes.withLock { $0 }, as: UTF8.self) + text
                )
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        self.listeners = listeners
        self.directory = directory
        self.process = SendableProcess(process: process)
        self.output = output
        self.errors = errors
    }

    /// Sends a signal, e.g. `SIGHUP`.
    package func signal(_ number: Int32) {
        kill(self.process.process.processIdentifier, number)
    }

    /// Sends SIGTERM and waits for the exit status. A server still running after `timeout` is
    /// killed, so a lost or unheeded SIGTERM fails the test (status `SIGKILL`) instead of hanging
    /// the whole run.
    @discardableResult
    package func stop(timeout: Duration = .seconds(30)) -> Int32 {
        let process = self.process.process
        if process.isRunning { self.signal(SIGTERM) }
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.05)
        }
        if process.isRunning { self.signal(SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Waits until standard error contains `text`, for up to `timeout`.
    package func waitForLog(_ text: String, timeout: Duration = .seconds(10)) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if self.errorOutput.contains(text) { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }
}

/// What a child wrote to one of its pipes, appended as it arrives.
private final class OutputBuffer: Sendable {
    let bytes = Mutex<[UInt8]>([])
}

/// `Process` is a class the tests only touch from one place at a time.
private struct SendableProcess: @unchecked Sendable {
    let process: Process
}

/// The server process did not start.
package struct ServerProcessFailed: Error, CustomStringConvertible {
    package var description: String
}
