import EdgeTestSupport
import Foundation
import TenantStore
import Testing

/// The SIGKILL crash test: a child process (`StoreCrashWriter`) writes and prints each
/// acknowledgement; this test kills it at random moments, also inside compaction, reopens the
/// store and checks that every acknowledged write is there and that the state is an exact
/// prefix of what was written. `STORE_CRASH_KILLS` sets the number of kills (default 200).
@Suite("FileKeyValueStore: SIGKILL crash loop", .serialized)
struct CrashTests {
    static let writers = 6

    @Test func everyAcknowledgedWriteSurvivesSIGKILL() async throws {
        let kills = ProcessInfo.processInfo.environment["STORE_CRASH_KILLS"].flatMap(Int.init) ?? 200
        let writerBinary = try builtProduct(named: "StoreCrashWriter")
        let directory = TemporaryDirectory()
        defer { directory.cleanup() }
        var random = SplitMix64(seed: UInt64(Date().timeIntervalSince1970))
        var floor = [Int](repeating: 0, count: Self.writers)
        var model = CrashModel(writers: Self.writers)
        var acknowledgements = 0
        var tornTails = 0
        let started = Date()
        for cycle in 1...kills {
            let log = directory.path + ".acks"
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: writerBinary)
            process.arguments = [directory.path, String(Self.writers)]
            process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            process.standardError = FileHandle.nullDevice
            try process.run()
            let lifetime = 50 + Int(random.next() % 450)
            try await Task.sleep(for: .milliseconds(lifetime))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal, "cycle \(cycle): the writer exited by itself")

            let lines = String(decoding: try Data(contentsOf: URL(fileURLWithPath: log)), as: UTF8.self)
                .split(separator: "\n")
            var acknowledged = floor
            for line in lines {
                let fields = line.split(separator: " ")
                guard fields.count == 4, fields[0] == "ACK", let writer = Int(fields[1]), let operation = Int(fields[2])
                else { continue }
                acknowledged[writer] = max(acknowledged[writer], operation)
                acknowledgements += 1
            }
            try Self.damageUnacknowledgedTail(in: directory.path, cycle: cycle, &random)
            let store = try FileKeyValueStore.open(directory: directory.path)
            if store.recoveryReport.tornTail != nil { tornTails += 1 }
            do {
                floor = try await CrashSchedule.verify(store, model: &model, acknowledged: acknowledged)
            } catch {
                store.close()
                Issue.record("cycle \(cycle) after \(lifetime) ms: \(error)")
                return
            }
            store.close()
        }
        let seconds = Date().timeIntervalSince(started)
        print(
            "crash test: \(kills) SIGKILLs in \(Int(seconds)) s, \(acknowledgements) acknowledgements checked, "
                + "\(tornTails) torn tails cut, 0 violations"
        )
        #expect(acknowledgements > kills)
    }

    /// Now and then, after a kill, leaves what a power cut could: zeros or a partial frame header
    /// after the last frame of the active segment. Recovery must cut it and lose nothing.
    static func damageUnacknowledgedTail(in directory: String, cycle: Int, _ random: inout SplitMix64) throws {
        guard cycle % 3 != 0 else { return }
        // The active segment is the manifest's last; the JSON precedes the checksum line.
        let manifest = try String(contentsOfFile: directory + "/MANIFEST", encoding: .utf8)
        let json = manifest.split(separator: "\n").dropLast().joined(separator: "\n")
        let document = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        let segments = document?["segments"] as? [[String: Any]]
        guard let active = segments?.last?["name"] as? String else { return }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/" + active))
        defer { try? handle.close() }
        try handle.seekToEnd()
        let garbage: [UInt8] =
            cycle % 3 == 1
            ? [UInt8](repeating: 0, count: Int(random.next() % 4096) + 1)
            : (0..<Int(random.next() % 15) + 1).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        try handle.write(contentsOf: garbage)
    }
}
