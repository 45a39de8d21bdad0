import Configuration
import Edge
import Foundation
import Logging
import NIOCore
import SystemPackage

/// Every setting of `edge serve`, resolved from the command line, the environment, a YAML file
/// and the defaults, in that order of precedence (swift-configuration does the layering).
///
/// `config/edge.yaml` documents each key. A key `limits.maxBodyBytes` is `EDGE_LIMITS_MAX_BODY_BYTES`
/// in the environment. Values are read as text and parsed here, so that a bad value is
/// refused with the key's name instead of silently falling back to the default.
struct EdgeSettings: Sendable, Equatable {
    var dataDirectory = "./data"
    var certificatesDirectory = "./certs"
    var listen = "0.0.0.0:8443"
    var httpListen = "0.0.0.0:8080"
    var adminListen = "127.0.0.1:9443"
    var platformDomain = "localhost"
    var cacheMB = 256
    var demo = false
    var logLevel = Logger.Level.info
    /// Where the access log goes: a file path, `-` for standard output, or `nil` for none.
    var accessLog: String?
    var trustedProxies: [String] = []
    var shutdownGraceSeconds = 10
    var maxHeaderBytes = 16 * 1024
    var maxBodyBytes = 1024 * 1024
    var headerReadTimeoutSeconds = 10
    var idleTimeoutSeconds = 60
    var lingerTimeoutSeconds = 5
    var maxConnections = 10_000
    var http2MaxConcurrentStreams = 100
    var shopperPostBurst = 10
    var shopperPostsPerMinute = 30
    var adminCredentialBurst = 200
    var adminCredentialPerSecond = 100
    var adminAddressBurst = 400
    var adminAddressPerSecond = 200
    var webhooksAllowPrivateNetworks = false
    var webhookRetentionDays = 7
    var jobRetentionDays = 7
    var auditRetentionDays = 90

    /// The admin API's rate limits, webhook destinations and history retention.
    var adminAPI: AdminAPI.Configuration {
        AdminAPI.Configuration(
            credentialBurst: self.adminCredentialBurst,
            credentialRatePerSecond: Double(self.adminCredentialPerSecond),
            addressBurst: self.adminAddressBurst,
            addressRatePerSecond: Double(self.adminAddressPerSecond),
            webhooks: WebhookDispatcher.Configuration(
                allowPrivateNetworks: self.webhooksAllowPrivateNetworks,
                deliveryRetention: .seconds(self.webhookRetentionDays * 86_400)
            ),
            jobRetention: .seconds(self.jobRetentionDays * 86_400),
            auditRetention: .seconds(self.auditRetentionDays * 86_400)
        )
    }

    /// The server's connection limits.
    var limits: StorefrontServer.Limits {
        StorefrontServer.Limits(
            maxHeaderBytes: self.maxHeaderBytes,
            maxBodyBytes: self.maxBodyBytes,
            headerReadTimeout: .seconds(Int64(self.headerReadTimeoutSeconds)),
            idleTimeout: .seconds(Int64(self.idleTimeoutSeconds)),
            lingerTimeout: .seconds(Int64(self.lingerTimeoutSeconds)),
            maxConnections: self.maxConnections,
            http2MaxConcurrentStreams: self.http2MaxConcurrentStreams
        )
    }

    /// Resolves the settings.
    ///
    /// - Parameters:
    ///   - commandLine: Values given on the command line, by configuration key.
    ///   - environment: The process environment; only `EDGE_…` variables are read.
    ///   - file: The YAML file from `--config` or `EDGE_CONFIG`, if any.
    /// - Throws: ``SettingsError`` naming the key and the problem.
    static func load(
        commandLine: [String: String],
        environment: [String: String],
        file: String?
    ) async throws -> EdgeSettings {
        var providers: [any ConfigProvider] = [
            InMemoryProvider(
                name: "command line",
                values: Dictionary(
                    uniqueKeysWithValues: commandLine.map { key, value in
                        (
                            AbsoluteConfigKey(key.split(separator: ".").map(String.init)),
                            ConfigValue(.string(value), isSecret: false)
                        )
                    }
                )
            ),
            EnvironmentVariablesProvider(environmentVariables: environment).prefixKeys(with: "edge"),
        ]
        if let file {
            do {
                providers.append(try await FileProvider<YAMLSnapshot>(filePath: FilePath(file)))
            } catch {
                throw SettingsError(key: "config", message: "cannot read \(file): \(error)")
            }
        }
        let reader = ConfigReader(providers: providers)
        var settings = EdgeSettings()
        try settings.read(from: reader)
        return settings
    }

    private mutating func read(from reader: ConfigReader) throws {
        self.dataDirectory = reader.string(forKey: "dataDir") ?? self.dataDirectory
        self.certificatesDirectory = reader.string(forKey: "certsDir") ?? self.certificatesDirectory
        self.listen = reader.string(forKey: "listen") ?? self.listen
        self.httpListen = reader.string(forKey: "httpListen") ?? self.httpListen
        self.adminListen = reader.string(forKey: "adminListen") ?? self.adminListen
        self.platformDomain = reader.string(forKey: "platformDomain") ?? self.platformDomain
        self.cacheMB = try Self.int(reader, "cacheMb", default: self.cacheMB, in: 1...(1 << 20))
        self.demo = try Self.bool(reader, "demo", default: self.demo)
        if let level = reader.string(forKey: "logLevel") {
            guard let parsed = Logger.Level(rawValue: level.lowercased()) else {
                throw SettingsError(
                    key: "logLevel",
                    message: "'\(level)' is not one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            self.logLevel = parsed
        }
        if let accessLog = reader.string(forKey: "accessLog") {
            self.accessLog = ["", "off", "none"].contains(accessLog.lowercased()) ? nil : accessLog
        }
        self.trustedProxies =
            reader.stringArray(forKey: "trustedProxies")?.filter { !$0.isEmpty } ?? self.trustedProxies
        self.shutdownGraceSeconds = try Self.int(
            reader,
            "shutdownGraceSeconds",
            default: self.shutdownGraceSeconds,
            in: 0...3600
        )
        self.maxHeaderBytes = try Self.int(
            reader,
            "limits.maxHeaderBytes",
            default: self.maxHeaderBytes,
            in: 1024...(1 << 20)
        )
        self.maxBodyBytes = try Self.int(
            reader,
            "limits.maxBodyBytes",
            default: self.maxBodyBytes,
            in: 1024...(1 << 30)
        )
        self.headerReadTimeoutSeconds = try Self.int(
            reader,
            "limits.headerReadTimeoutSeconds",
            default: self.headerReadTimeoutSeconds,
            in: 1...3600
        )
        self.idleTimeoutSeconds = try Self.int(
            reader,
            "limits.idleTimeoutSeconds",
            default: self.idleTimeoutSeconds,
            in: 1...86_400
        )
        self.lingerTimeoutSeconds = try Self.int(
            reader,
            "limits.lingerTimeoutSeconds",
            default: self.lingerTimeoutSeconds,
            in: 1...300
        )
        self.maxConnections = try Self.int(
            reader,
            "limits.maxConnections",
            default: self.maxConnections,
            in: 1...1_000_000
        )
        self.http2MaxConcurrentStreams = try Self.int(
            reader,
            "limits.http2.maxConcurrentStreams",
            default: self.http2MaxConcurrentStreams,
            in: 1...10_000
        )
        self.shopperPostBurst = try Self.int(
            reader,
            "shopperPosts.burst",
            default: self.shopperPostBurst,
            in: 1...1_000_000
        )
        self.shopperPostsPerMinute = try Self.int(
            reader,
            "shopperPosts.perMinute",
            default: self.shopperPostsPerMinute,
            in: 1...1_000_000
        )
        self.adminCredentialBurst = try Self.int(
            reader,
            "adminRateLimit.credentialBurst",
            default: self.adminCredentialBurst,
            in: 1...1_000_000
        )
        self.adminCredentialPerSecond = try Self.int(
            reader,
            "adminRateLimit.credentialPerSecond",
            default: self.adminCredentialPerSecond,
            in: 1...1_000_000
        )
        self.adminAddressBurst = try Self.int(
            reader,
            "adminRateLimit.addressBurst",
            default: self.adminAddressBurst,
            in: 1...1_000_000
        )
        self.adminAddressPerSecond = try Self.int(
            reader,
            "adminRateLimit.addressPerSecond",
            default: self.adminAddressPerSecond,
            in: 1...1_000_000
        )
        self.webhooksAllowPrivateNetworks = try Self.bool(
            reader,
            "webhooks.allowPrivateNetworks",
            default: self.webhooksAllowPrivateNetworks
        )
        self.webhookRetentionDays = try Self.int(
            reader,
            "webhooks.retentionDays",
            default: self.webhookRetentionDays,
            in: 1...3650
        )
        self.jobRetentionDays = try Self.int(reader, "jobRetentionDays", default: self.jobRetentionDays, in: 1...3650)
        self.auditRetentionDays = try Self.int(
            reader,
            "auditRetentionDays",
            default: self.auditRetentionDays,
            in: 1...36_500
        )
    }

    private static func int(
        _ reader: ConfigReader,
        _ key: ConfigKey,
        default value: Int,
        in range: ClosedRange<Int>
    ) throws -> Int {
        guard let text = reader.string(forKey: key) else { return value }
        guard let parsed = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(parsed) else {
            throw SettingsError(
                key: key,
                message: "'\(text)' is not a whole number from \(range.lowerBound) to \(range.upperBound)"
            )
        }
        return parsed
    }

    private static func bool(_ reader: ConfigReader, _ key: ConfigKey, default value: Bool) throws -> Bool {
        guard let text = reader.string(forKey: key) else { return value }
        switch text.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: throw SettingsError(key: key, message: "'\(text)' is not true or false")
        }
    }
}

/// A setting that cannot be used, named by its key.
struct SettingsError: Error, CustomStringConvertible {
    var key: String
    var message: String

    init(key: ConfigKey, message: String) {
        self.key = key.components.joined(separator: ".")
        self.message = message
    }

    init(key: String, message: String) {
        self.key = key
        self.message = message
    }

    var description: String { "setting \(self.key): \(self.message)" }
}
