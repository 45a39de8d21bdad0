import Foundation
import Glibc

/// A `store-bench` subprocess with pipes on its stdin and stdout.
///
/// Spawned with `posix_spawn` rather than Foundation's `Process`, which on Linux puts the child in
/// a process group of its own: `bench/run` stops an interrupted run by signalling the benchmark's
/// process group, and that has to reach these children too. The child also watches its stdin: when
/// the benchmark dies, the pipe closes and a loader waiting to be killed exits on its own.
final class ChildProcess {
    private var pid: pid_t
    private var stdinWriter: Int32
    private let stdoutReader: Int32
    private var pending: [UInt8] = []

    init(arguments: [String]) throws {
        var stdinPipe: [Int32] = [-1, -1]
        var stdoutPipe: [Int32] = [-1, -1]
        guard pipe(&stdinPipe) == 0, pipe(&stdoutPipe) == 0 else {
            throw BenchError("pipe: \(String(cString: strerror(errno)))")
        }
        // Close-on-exec: only the ends dup'ed onto 0 and 1 stay open in the child, so its stdin
        // reaches EOF exactly when this process closes (or loses) the write end. (Glibc's
        // pipe2 is not visible to Swift.)
        for descriptor in stdinPipe + stdoutPipe {
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdinPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutPipe[1], 1)

        let executable = Self.executablePath()
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer {
            for argument in argv { free(argument) }
        }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        close(stdinPipe[0])
        close(stdoutPipe[1])
        guard status == 0 else {
            close(stdinPipe[1])
            close(stdoutPipe[0])
            throw BenchError("spawn \(executable): \(String(cString: strerror(status)))")
        }
        self.pid = pid
        self.stdinWriter = stdinPipe[1]
        self.stdoutReader = stdoutPipe[0]
    }

    deinit {
        self.kill()
        close(self.stdoutReader)
    }

    /// The next line the child writes, or `nil` at EOF (the child exited or closed stdout).
    func readLine() throws -> String? {
        while true {
            if let newline = self.pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: self.pending[..<newline], as: UTF8.self)
                self.pending.removeSubrange(...newline)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = chunk.withUnsafeMutableBytes { Glibc.read(self.stdoutReader, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw BenchError("read from child: \(String(cString: strerror(errno)))") }
            guard count > 0 else { return nil }
            self.pending += chunk[..<count]
        }
    }

    /// SIGKILLs the child (if it still runs) and reaps it.
    func kill() {
        guard self.pid > 0 else { return }
        Glibc.kill(self.pid, SIGKILL)
        _ = self.wait()
    }

    /// Waits for the child to exit and returns its wait status; closing its stdin first tells a
    /// child that waits for EOF to finish.
    @discardableResult
    func wait() -> Int32 {
        if self.stdinWriter >= 0 {
            close(self.stdinWriter)
            self.stdinWriter = -1
        }
        var status: Int32 = 0
        guard self.pid > 0 else { return status }
        while waitpid(self.pid, &status, 0) < 0 && errno == EINTR {}
        self.pid = 0
        return status
    }

    /// This program's own binary, so that children run the very build being measured.
    private static func executablePath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
