import EdgeTestSupport
import Foundation
import TenantStore
import Testing

/// `edge store …` run as a user runs it: the built binary against a real data directory.
@Suite("edge store commands")
struct StoreCommandTests {
    let dataDirectory = NSTemporaryDirectory() + "edge-store-command-" + UUID().uuidString

    private func seed(keys: Int) async throws {
        let store = try FileKeyValueStore.open(directory: self.dataDirectory + "/store")
        defer { store.close() }
        for index in 0..<keys { try await store.put("key/\(index)", Array("value \(index)".utf8)) }
        for index in 0..<keys / 2 { try await store.put("key/\(index)", Array("rewritten \(index)".utf8)) }
    }

    @Test func checkBackupCompactAndCorruption() async throws {
        defer { try? FileManager.default.removeItem(atPath: self.dataDirectory) }
        let edge = try builtProduct(named: "edge")
        try await self.seed(keys: 200)

        let check = try runProcess(edge, ["store", "check", "--data-dir", self.dataDirectory])
        #expect(check.status == 0)
        #expect(check.output.contains("keys: 200  last sequence: 300"))
        #expect(check.output.contains("ok"))

        let backupDirectory = self.dataDirectory + "/backup"
        let backup = try runProcess(
            edge,
            ["store", "backup", "--data-dir", self.dataDirectory, "--to", backupDirectory]
        )
        #expect(backup.status == 0, "\(backup.errors)")
        #expect(backup.output.contains("200 keys up to sequence 300"))
        var readOnly = StoreOptions()
        readOnly.mode = .readOnly
        let copy = try FileKeyValueStore.open(directory: backupDirectory, options: readOnly)
        #expect(try await copy.get("key/10").map { String(decoding: $0.bytes, as: UTF8.self) } == "rewritten 10")
        copy.close()

        let compact = try runProcess(edge, ["store", "compact", "--data-dir", self.dataDirectory])
        #expect(compact.status == 0, "\(compact.errors)")
        #expect(compact.output.contains("in 200 keys"))

        let migrate = try runProcess(edge, ["store", "migrate", "--data-dir", self.dataDirectory])
        #expect(migrate.status == 0, "\(migrate.errors)")

        // The snapshot compaction wrote is the segment that holds data; the active one is empty.
        let storePath = self.dataDirectory + "/store/"
        let snapshotName = try #require(
            try FileManager.default.contentsOfDirectory(atPath: storePath).filter { $0.hasPrefix("seg-") }.max {
                let sizes = try [$0, $1].map {
                    try FileManager.default.attributesOfItem(atPath: storePath + $0)[.size] as? Int ?? 0
                }
                return sizes[0] < sizes[1]
            }
        )
        let snapshot = storePath + snapshotName
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: snapshot)))
        bytes[100] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: snapshot))
        let damaged = try runProcess(edge, ["store", "check", "--data-dir", self.dataDirectory])
        #expect(damaged.status == 1)
        #expect(damaged.output.contains("CORRUPT: \(snapshotName) at offset 0"))
    }

    @Test func maintenanceNeverCreatesAStore() throws {
        let edge = try builtProduct(named: "edge")
        for command in ["check", "compact", "migrate", "repair"] {
            let outcome = try runProcess(edge, ["store", command, "--data-dir", self.dataDirectory])
            #expect(outcome.status == 1)
            #expect(outcome.errors.contains("holds no store"))
        }
        #expect(!FileManager.default.fileExists(atPath: self.dataDirectory))
    }
}
