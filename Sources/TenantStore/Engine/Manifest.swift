import Foundation

/// The list of segments that make up the store, in order; the only file that is ever replaced.
///
/// It changes only by temp file → fsync → rename → directory fsync, so after a crash it is
/// either the old or the new list. The first segment may be a snapshot (compaction output); the
/// rest are log segments and only the last one is appended to.
struct Manifest: Codable, Equatable {
    struct Segment: Codable, Equatable {
        var name: String
        var kind: Kind
        /// For a snapshot: the last sequence number it covers; the next log frame starts after it.
        var upToSeq: UInt64?
    }

    enum Kind: String, Codable {
        case log
        case snapshot

        var frameKind: Frame.Kind {
            switch self {
            case .log: .log
            case .snapshot: .snapshot
            }
        }
    }

    static let fileName = "MANIFEST"
    static let currentFormat = 1

    var format: Int
    var segments: [Segment]
    /// The number the next new segment file gets.
    var nextSegmentNumber: Int

    static func segmentName(_ number: Int) -> String {
        "seg-" + String(repeating: "0", count: max(0, 8 - String(number).count)) + String(number) + ".log"
    }

    static func decode(_ bytes: [UInt8], path: String) throws -> Manifest {
        // Trailing line: the CRC32C of everything before it, so a damaged manifest is refused
        // instead of being half-read.
        guard let newline = bytes.dropLast().lastIndex(of: UInt8(ascii: "\n")),
            let stored = UInt32(
                String(decoding: bytes[(newline + 1)...], as: UTF8.self).trimmingCharacters(
                    in: .whitespacesAndNewlines
                ),
                radix: 16
            ),
            stored == CRC32C.checksum(bytes[...newline])
        else {
            throw TenantStoreError(code: .corrupted, message: "\(path): manifest checksum mismatch")
        }
        let manifest: Manifest
        do {
            manifest = try JSONDecoder().decode(Manifest.self, from: Data(bytes[...newline]))
        } catch {
            throw TenantStoreError(code: .corrupted, message: "\(path): manifest is not readable", cause: error)
        }
        guard manifest.format <= Manifest.currentFormat else {
            throw TenantStoreError(
                code: .unsupportedVersion,
                message: "\(path): format \(manifest.format) is newer than this program (\(Manifest.currentFormat))"
            )
        }
        return manifest
    }

    func encode() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        var bytes = Array((try? encoder.encode(self)) ?? Data())
        bytes.append(UInt8(ascii: "\n"))
        let crc = String(CRC32C.checksum(bytes), radix: 16)
        bytes.append(contentsOf: Array(crc.utf8))
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    /// Durably replaces the manifest in `directory`: temp → fsync → rename → directory fsync.
    func write(to directory: String, fileSystem: any StoreFileSystem) throws {
        let temporary = joinPath(directory, Manifest.fileName + ".tmp")
        let file = try fileSystem.openFile(temporary, create: true)
        do {
            let bytes = self.encode()
            try file.truncate(to: 0)
            try file.write(bytes, at: 0)
            try file.sync()
            try file.close()
        } catch {
            try? file.close()
            throw error
        }
        try fileSystem.rename(temporary, to: joinPath(directory, Manifest.fileName))
        try fileSystem.syncDirectory(directory)
    }
}
