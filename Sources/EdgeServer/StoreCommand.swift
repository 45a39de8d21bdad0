import ArgumentParser
import Foundation
import TenantStore

/// `edge store …`: inspect and maintain a data directory.
struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Check, back up and compact the tenant store in a data directory.",
        subcommands: [Check.self, Backup.self, Compact.self, Repair.self, Migrate.self]
    )

    struct DataDirectory: ParsableArguments {
        @Option(name: .customLong("data-dir"), help: "The server's data directory.")
        var path = "./data"

        /// The store lives in `store/` so that the data directory can also hold keys and certificates.
        var storePath: String { joinedStorePath(self.path) }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify every frame of the store without changing anything; exit 1 on damage."
        )

        @OptionGroup var dataDirectory: DataDirectory

        func run() async throws {
            var options = StoreOptions()
            options.mode = .readOnly
            let store = try openStore(self.dataDirectory.storePath, options)
            defer { store.close() }
            let report = store.recoveryReport
            print("store: \(self.dataDirectory.storePath)")
            for segment in report.segments {
                print(
                    "  \(segment.name)  \(segment.kind)  \(segment.bytes) bytes  \(segment.frames) frames  \(segment.records) records"
                )
            }
            print("keys: \(report.keys)  last sequence: \(report.lastSeq)")
            if let torn = report.tornTail {
                print("torn tail (would be cut on the next read-write open): \(torn)")
            }
            if let corruption = report.corruption {
                print("CORRUPT: \(corruption)")
                print("the keys above are the verified prefix; `edge store repair` discards the rest")
                throw ExitCode(1)
            }
            print("ok")
        }
    }

    struct Backup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a consistent copy of the store to a new directory and verify it by opening it."
        )

        @OptionGroup var dataDirectory: DataDirectory

        @Option(help: "The directory to write the backup to; must not exist or be empty.")
        var to: String

        func run() async throws {
            let store = try openStore(self.dataDirectory.storePath, StoreOptions())
            defer { store.close() }
            let report = try await store.backup(to: self.to)
            print(
                "backup: \(report.keys) keys up to sequence \(report.lastSeq), \(report.bytes) bytes in \(report.directory); verified"
            )
        }
    }

    struct Compact: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rewrite the store's sealed segments as one snapshot of the live keys."
        )

        @OptionGroup var dataDirectory: DataDirectory

        func run() async throws {
            let store = try openStore(self.dataDirectory.storePath, StoreOptions())
            defer { store.close() }
            let before = store.statistics
            try await store.compact()
            let after = store.statistics
            print(
                "compacted: \(before.diskBytes) → \(after.diskBytes) bytes on disk, \(after.liveBytes) live bytes in \(after.keys) keys"
            )
        }
    }

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rewrite every record stored with an older schema version at the current one.",
            discussion: "Safe to repeat and to run on a live copy; old records are also upgraded as they are read."
        )

        @OptionGroup var dataDirectory: DataDirectory

        func run() async throws {
            let store = try openStore(self.dataDirectory.storePath, StoreOptions())
            defer { store.close() }
            let report = try await TenantData.migrate(store: store)
            print(
                "schema \(TenantData.currentSchemaVersion): \(report.migrated) of \(report.examined) records migrated"
            )
        }
    }

    struct Repair: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cut away corruption: keep the verified prefix, move damaged bytes and later segments aside.",
            discussion:
                "This discards every write after the damage. Run `edge store check` first and back up the directory."
        )

        @OptionGroup var dataDirectory: DataDirectory

        func run() async throws {
            var options = StoreOptions()
            options.mode = .repair
            let store = try openStore(self.dataDirectory.storePath, options)
            defer { store.close() }
            if let corruption = store.recoveryReport.corruption {
                print("repaired: \(corruption)")
            } else {
                print("nothing to repair")
            }
            print("keys: \(store.recoveryReport.keys)  last sequence: \(store.recoveryReport.lastSeq)")
        }
    }
}

func joinedStorePath(_ dataDirectory: String) -> String {
    joinPath(dataDirectory, "store")
}

/// Opens the store, turning a store error into a clear message and exit code 1.
func openStore(_ path: String, _ options: StoreOptions) throws -> FileKeyValueStore {
    // Maintenance never creates a store: a mistyped --data-dir must not become an empty one.
    guard FileManager.default.fileExists(atPath: path + "/MANIFEST") else {
        FileHandle.standardError.write(Data("error: \(path) holds no store (no MANIFEST)\n".utf8))
        throw ExitCode(1)
    }
    do {
        return try FileKeyValueStore.open(directory: path, options: options)
    } catch let error as TenantStoreError {
        FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
        throw ExitCode(1)
    }
}
