import Foundation
import Render
import Synchronization
import TenantStore

/// Seeds N benchmark tenants into a fresh store and writes the same pages as static files for
/// nginx, plus the list of URLs the load generators request.
///
/// ```
/// edge-seed --data-dir DIR --docroot DIR --targets FILE --tenant-ids FILE --platform-domain NAME --port P
///           [--tenants N]
/// ```
///
/// `--targets` gets one `kind host path` line per URL (kind: home, category, product, asset),
/// `--tenant-ids` one `id host` line per tenant.
///
/// The pages are rendered from the records read back from the store, exactly as the edge's
/// `StorefrontService` builds its renderer, so nginx serves the bytes the edge serves (the
/// edge renders canonical URLs with its public port, hence `--port`).
@main
enum EdgeSeed {
    static func main() async throws {
        let arguments = CommandLine.arguments
        func value(_ flag: String) -> String? {
            guard let index = arguments.firstIndex(of: flag), index + 1 < arguments.count else { return nil }
            return arguments[index + 1]
        }
        guard let dataDirectory = value("--data-dir"), let docroot = value("--docroot"),
            let targetsPath = value("--targets"), let idsPath = value("--tenant-ids"),
            let platformDomain = value("--platform-domain"),
            let port = value("--port").flatMap({ Int($0) }),
            let tenantCount = Int(value("--tenants") ?? "1000"), tenantCount > 0
        else {
            FileHandle.standardError.write(
                Data(
                    """
                    usage: edge-seed --data-dir DIR --docroot DIR --targets FILE --tenant-ids FILE \
                    --platform-domain NAME --port P [--tenants N]

                    """.utf8
                )
            )
            exit(2)
        }

        let started = ContinuousClock.now
        let storePath = dataDirectory + "/store"
        guard !FileManager.default.fileExists(atPath: storePath) else {
            throw SeedError("\(storePath) exists; the benchmark seeds a fresh store")
        }
        try FileManager.default.createDirectory(atPath: storePath, withIntermediateDirectories: true)
        let store = try FileKeyValueStore.open(directory: storePath)
        defer { store.close() }
        _ = try await TenantData.migrate(store: store)
        let data = TenantData(store: store, platformDomain: platformDomain)

        // Many tenants in flight at once, so that the store's group commit batches their
        // fsyncs; one at a time would wait for a sync per record.
        try await Self.forEach(0..<tenantCount, width: 64) { index in
            try await BenchTenant(index: index).create(in: data)
        }
        let seeded = ContinuousClock.now
        Self.progress("seeded \(tenantCount) tenants in \(seeded - started)")

        let themes = try ThemeLibrary.builtIn()
        let site = StaticSite(docroot: docroot, platformDomain: platformDomain, port: port)
        let written = Mutex<[(id: UUID, targets: [Target])?]>(Array(repeating: nil, count: tenantCount))
        try await Self.forEach(0..<tenantCount, width: 8) { index in
            let tenant = try await site.write(BenchTenant(index: index).subdomain, from: data, themes: themes)
            written.withLock { $0[index] = tenant }
        }
        let tenants = written.withLock { $0 }.compactMap(\.self)
        let all = tenants.flatMap(\.targets)
        let lines = all.map { "\($0.kind.rawValue) \($0.host) \($0.path)\n" }.joined()
        try Data(lines.utf8).write(to: URL(filePath: targetsPath))
        let ids = tenants.map { "\($0.id.uuidString.lowercased()) \($0.targets[0].host)\n" }.joined()
        try Data(ids.utf8).write(to: URL(filePath: idsPath))
        let bytes = all.reduce(0) { $0 + $1.bytes }
        Self.progress(
            "rendered \(all.count) pages (\(bytes / 1_048_576) MiB) into \(docroot) in \(ContinuousClock.now - seeded)"
        )
    }

    /// Runs `body` for every element with at most `width` calls in flight.
    static func forEach(
        _ elements: Range<Int>,
        width: Int,
        _ body: @escaping @Sendable (Int) async throws -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var pending = elements.makeIterator()
            for _ in 0..<width {
                guard let element = pending.next() else { break }
                group.addTask { try await body(element) }
            }
            while try await group.next() != nil {
                if let element = pending.next() {
                    group.addTask { try await body(element) }
                }
            }
        }
    }

    static func progress(_ line: String) {
        FileHandle.standardError.write(Data("edge-seed: \(line)\n".utf8))
    }
}

struct SeedError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
