import Foundation
import Synchronization
import TenantStore

/// The access log: one line per response in the combined log format, followed by the tenant,
/// the cache status and the duration.
///
/// ```
/// 127.0.0.1 - - [27/Nov/2026:16:52:36 +0000] "GET / HTTP/1.1" 200 7612 "-" "curl/7.88.1" tenant=4D1C… cache=hit duration_ms=0.084
/// ```
///
/// Event loops only append the line to a buffer under a short lock; a writer thread writes the
/// buffer out every 100 ms, so a slow disk never stalls a response. When the buffer holds more
/// than ``maximumBufferedBytes`` (the disk cannot keep up), lines are dropped and counted
/// rather than growing memory; the count is written to the log when writing catches up.
public final class AccessLog: Sendable {
    /// What is waiting to be written.
    private struct Pending {
        var bytes: [UInt8] = []
        var dropped = 0
        var closed = false
        var reopen = false
    }

    /// Past this, new lines are dropped until the writer catches up.
    static let maximumBufferedBytes = 8 << 20

    /// Where the log goes: a file path or `-` for standard output.
    public let destination: String
    /// Only the writer thread touches the handle once the log is open.
    nonisolated(unsafe) private var handle: FileHandle
    private let pending = Mutex(Pending())
    private let wake = NSCondition()
    private let finished = Atomic(false)

    /// Opens `destination` for appending (created when missing), or standard output for `-`,
    /// and starts the writer thread.
    ///
    /// - Throws: When the file cannot be opened.
    public init(destination: String) throws {
        self.destination = destination
        self.handle = try Self.open(destination)
        let thread = Thread { [self] in self.writeLoop() }
        thread.name = "edge-access-log"
        thread.start()
    }

    /// Opens the destination again at the next write, after the file was moved away (log
    /// rotation); lines queued meanwhile go to the new file.
    public func reopen() {
        self.pending.withLock { $0.reopen = true }
    }

    private static func open(_ destination: String) throws -> FileHandle {
        if destination == "-" { return .standardOutput }
        if !FileManager.default.fileExists(atPath: destination) {
            // A file that cannot be created cannot be opened either, which is reported below.
            _ = FileManager.default.createFile(
                atPath: destination,
                contents: nil,
                attributes: [.posixPermissions: 0o640]
            )
        }
        guard let handle = FileHandle(forWritingAtPath: destination) else {
            throw AccessLogError(message: "cannot open the access log \(destination) for writing")
        }
        handle.seekToEndOfFile()
        return handle
    }

    /// Queues one line; `line` has no newline.
    func append(_ line: String) {
        self.pending.withLock { pending in
            guard !pending.closed else { return }
            guard pending.bytes.count < Self.maximumBufferedBytes else {
                pending.dropped += 1
                return
            }
            pending.bytes.append(contentsOf: line.utf8)
            pending.bytes.append(UInt8(ascii: "\n"))
        }
    }

    /// Writes what is queued and stops the writer; later lines are ignored.
    public func close() {
        self.pending.withLock { $0.closed = true }
        self.wake.lock()
        self.wake.signal()
        self.wake.unlock()
        while !self.finished.load(ordering: .acquiring) {
            Thread.sleep(forTimeInterval: 0.005)
        }
        if self.destination != "-" {
            try? self.handle.close()
        }
    }

    private func writeLoop() {
        while true {
            self.wake.lock()
            _ = self.wake.wait(until: Date(timeIntervalSinceNow: 0.1))
            self.wake.unlock()
            let (bytes, dropped, closed, reopen) = self.pending.withLock { pending in
                defer {
                    pending.bytes.removeAll(keepingCapacity: true)
                    pending.dropped = 0
                    pending.reopen = false
                }
                return (pending.bytes, pending.dropped, pending.closed, pending.reopen)
            }
            if reopen, self.destination != "-", let reopened = try? Self.open(self.destination) {
                try? self.handle.close()
                self.handle = reopened
            }
            if !bytes.isEmpty {
                try? self.handle.write(contentsOf: bytes)
            }
            if dropped > 0 {
                try? self.handle.write(
                    contentsOf: Data("access log: \(dropped) lines dropped, writing fell behind\n".utf8)
                )
            }
            if closed {
                self.finished.store(true, ordering: .releasing)
                return
            }
        }
    }

    /// One line of the log.
    static func line(
        client: String?,
        time: String,
        method: String,
        target: String,
        version: String,
        status: Int,
        bytes: Int,
        referer: String?,
        userAgent: String?,
        tenantID: UUID?,
        cacheStatus: StorefrontResponse.CacheStatus,
        duration: Duration
    ) -> String {
        let milliseconds = duration.milliseconds
        return "\(client ?? "-") - - [\(time)] \"\(Self.escaped(method)) \(Self.escaped(target)) \(version)\" "
            + "\(status) \(bytes) \"\(Self.escaped(referer ?? "-"))\" \"\(Self.escaped(userAgent ?? "-"))\" "
            + "tenant=\(tenantID.map { $0.uuidString.lowercased() } ?? "-") cache=\(cacheStatus.rawValue) "
            + "duration_ms=\((milliseconds * 1000).rounded() / 1000)"
    }

    /// Client-chosen text with quotes, backslashes and control characters escaped, so that a
    /// request cannot forge a log line or break the quoting.
    static func escaped(_ text: String) -> String {
        guard text.utf8.containsByte(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0x7F }) else {
            return text
        }
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                result += "\\x" + String(scalar.value, radix: 16, uppercase: false).leftPadded(to: 2)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}

/// The access log could not be opened.
public struct AccessLogError: Error, CustomStringConvertible {
    /// What went wrong.
    public var message: String

    public var description: String { self.message }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - self.count)) + self
    }
}
