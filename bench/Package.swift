// swift-tools-version:6.2
import PackageDescription

// A package of its own so that SQLite, the benchmark-only dependency, never reaches the
// root package's graph; it sees TenantStore and Render exactly as an outside user would.
let benchSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "store-bench",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "storefront-edge", path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .executableTarget(
            name: "store-bench",
            dependencies: [
                "CSQLite",
                .product(name: "TenantStore", package: "storefront-edge"),
            ],
            swiftSettings: benchSettings
        ),
        .executableTarget(
            name: "render-bench",
            dependencies: [
                .product(name: "Render", package: "storefront-edge"),
                .product(name: "TenantStore", package: "storefront-edge"),
            ],
            swiftSettings: benchSettings
        ),
        .executableTarget(
            name: "edge-seed",
            dependencies: [
                .product(name: "Render", package: "storefront-edge"),
                .product(name: "TenantStore", package: "storefront-edge"),
            ],
            swiftSettings: benchSettings
        ),
        .executableTarget(
            name: "edge-micro",
            dependencies: [
                .product(name: "Edge", package: "storefront-edge"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Render", package: "storefront-edge"),
                .product(name: "TenantStore", package: "storefront-edge"),
            ],
            swiftSettings: benchSettings
        ),
        .executableTarget(
            name: "nio-minimal",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
            ],
            swiftSettings: benchSettings
        ),
    ]
)
