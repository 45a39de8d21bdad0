import EdgeTestSupport
import Foundation
import TenantStore

/// A fresh directory under the system temp dir, removed by `cleanup()`.
struct TemporaryDirectory {
    let path: String

    init() {
        self.path = NSTemporaryDirectory() + "tenant-store-tests-" + UUID().uuidString
    }

    func cleanup() {
        try? FileManager.default.removeItem(atPath: self.path)
    }
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

func text(_ value: StoredValue?) -> String? { value.map { String(decoding: $0.bytes, as: UTF8.self) } }

extension StoreOptions {
    /// Options over a simulated file system, optionally in another mode.
    static func simulated(_ fileSystem: SimulatedFileSystem, mode: Mode = .readWrite) -> StoreOptions {
        var options = StoreOptions()
        options.fileSystem = fileSystem
        options.mode = mode
        options.automaticCompaction = false
        return options
    }
}

/// Every key and value in the store, in order.
func contents(of store: any KeyValueStore, prefix: String = "") async throws -> [String: String] {
    var result: [String: String] = [:]
    var cursor: String?
    repeat {
        let page = try await store.scan(prefix: prefix, after: cursor, limit: 100)
        for entry in page.entries { result[entry.key] = String(decoding: entry.value.bytes, as: UTF8.self) }
        cursor = page.nextCursor
    } while cursor != nil
    return result
}
