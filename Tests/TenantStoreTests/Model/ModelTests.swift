import Foundation
import TenantStore
import Testing

/// Groups the data-model suites so `swift test --filter Model` selects exactly them, and holds
/// their shared fixtures.
@Suite enum ModelTests {
    /// A `TenantData` over a real `FileKeyValueStore` in a fresh temporary directory, removed afterwards.
    static func withTenantData<Result>(
        platformDomain: String? = nil,
        _ body: (TenantData, FileKeyValueStore) async throws -> Result
    ) async throws -> Result {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("tenant-data-\(UUID().uuidString)").path
        let store = try FileKeyValueStore.open(directory: directory)
        defer {
            store.close()
            try? FileManager.default.removeItem(atPath: directory)
        }
        return try await body(TenantData(store: store, platformDomain: platformDomain), store)
    }

    /// Every entry in the raw store, for checks that look beneath the model.
    static func rawEntries(in store: some KeyValueStore) async throws -> [ScanEntry] {
        var entries: [ScanEntry] = []
        var cursor: String?
        repeat {
            let page = try await store.scan(prefix: "", after: cursor, limit: 500)
            entries += page.entries
            cursor = page.nextCursor
        } while cursor != nil
        return entries
    }

    static func product(_ slug: String, priceMinor: Int = 1999, currency: String = "EUR") -> Product {
        Product(slug: slug, name: "Frame \(slug)", priceMinor: priceMinor, currency: currency)
    }

    /// The pointers of the problems a validation failure reported.
    static func pointers(_ error: TenantStoreError?) -> [String] {
        error?.problems.map(\.pointer) ?? []
    }
}
