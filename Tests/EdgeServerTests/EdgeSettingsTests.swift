import Edge
import Foundation
import Testing

@testable import EdgeServer

@Suite("edge serve settings: command line > environment > file > defaults")
struct EdgeSettingsTests {
    private func file(_ yaml: String) throws -> String {
        let path = NSTemporaryDirectory() + "edge-settings-\(UUID().uuidString).yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func defaultsWithoutAnySource() async throws {
        let settings = try await EdgeSettings.load(commandLine: [:], environment: [:], file: nil)
        #expect(settings == EdgeSettings())
        #expect(settings.listen == "0.0.0.0:8443")
        #expect(settings.httpListen == "0.0.0.0:8080")
        #expect(settings.adminListen == "127.0.0.1:9443")
        #expect(settings.platformDomain == "localhost")
        #expect(settings.cacheMB == 256)
        #expect(settings.dataDirectory == "./data")
    }

    @Test func eachSourceOverridesTheOneBelowIt() async throws {
        let path = try self.file(
            """
            cacheMb: 64
            platformDomain: file.test
            listen: 127.0.0.1:1111
            trustedProxies: [10.0.0.0/8, "::1"]
            limits:
              maxBodyBytes: 4096
              http2:
                maxConcurrentStreams: 7
            shopperPosts:
              burst: 3
            """
        )
        defer { try? FileManager.default.removeItem(atPath: path) }
        let settings = try await EdgeSettings.load(
            commandLine: ["listen": "127.0.0.1:3333"],
            environment: ["EDGE_CACHE_MB": "32", "EDGE_LISTEN": "127.0.0.1:2222", "CACHE_MB": "1"],
            file: path
        )
        #expect(settings.listen == "127.0.0.1:3333")
        #expect(settings.cacheMB == 32)
        #expect(settings.platformDomain == "file.test")
        #expect(settings.trustedProxies == ["10.0.0.0/8", "::1"])
        #expect(settings.maxBodyBytes == 4096)
        #expect(settings.http2MaxConcurrentStreams == 7)
        #expect(settings.shopperPostBurst == 3)
        #expect(settings.shopperPostsPerMinute == 30)
        #expect(settings.limits.maxBodyBytes == 4096)
    }

    @Test func nestedKeysAndListsComeFromTheEnvironment() async throws {
        let settings = try await EdgeSettings.load(
            commandLine: [:],
            environment: [
                "EDGE_LIMITS_MAX_BODY_BYTES": "2048",
                "EDGE_LIMITS_LINGER_TIMEOUT_SECONDS": "2",
                "EDGE_AUDIT_RETENTION_DAYS": "400",
                "EDGE_TRUSTED_PROXIES": "10.1.0.0/16,127.0.0.1",
                "EDGE_ACCESS_LOG": "-",
                "EDGE_DEMO": "yes",
            ],
            file: nil
        )
        #expect(settings.maxBodyBytes == 2048)
        #expect(settings.lingerTimeoutSeconds == 2)
        #expect(settings.auditRetentionDays == 400)
        #expect(settings.adminAPI.auditRetention == .seconds(400 * 86_400))
        #expect(settings.trustedProxies == ["10.1.0.0/16", "127.0.0.1"])
        #expect(settings.accessLog == "-")
        #expect(settings.demo)
    }

    @Test(arguments: [
        ("EDGE_CACHE_MB", "lots", "cacheMb"),
        ("EDGE_CACHE_MB", "0", "cacheMb"),
        ("EDGE_DEMO", "maybe", "demo"),
        ("EDGE_LOG_LEVEL", "loud", "logLevel"),
        ("EDGE_LIMITS_MAX_HEADER_BYTES", "-1", "limits.maxHeaderBytes"),
        ("EDGE_LIMITS_LINGER_TIMEOUT_SECONDS", "0", "limits.lingerTimeoutSeconds"),
        ("EDGE_AUDIT_RETENTION_DAYS", "0", "auditRetentionDays"),
    ])
    func aBadValueIsRefusedByItsKey(variable: String, value: String, key: String) async throws {
        let error = await #expect(throws: SettingsError.self) {
            try await EdgeSettings.load(commandLine: [:], environment: [variable: value], file: nil)
        }
        #expect(error?.key == key)
        #expect(error?.description.contains(value) == true)
    }

    @Test func aMissingOrMalformedFileIsAnError() async throws {
        await #expect(throws: SettingsError.self) {
            try await EdgeSettings.load(commandLine: [:], environment: [:], file: "/nonexistent/edge.yaml")
        }
        let path = try self.file("cacheMb: [1, 2\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        await #expect(throws: SettingsError.self) {
            try await EdgeSettings.load(commandLine: [:], environment: [:], file: path)
        }
    }

    @Test func theShippedFileHoldsExactlyTheDefaults() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let settings = try await EdgeSettings.load(
            commandLine: [:],
            environment: [:],
            file: root.appendingPathComponent("config/edge.yaml").path
        )
        #expect(settings == EdgeSettings())
    }

    @Test func aReloadNamesTheSettingsThatNeedARestart() {
        let old = EdgeSettings()
        var new = old
        new.trustedProxies = ["10.0.0.0/8"]
        new.accessLog = "-"
        #expect(ServeCommand.restartOnlyChanges(from: old, to: new).isEmpty)
        new.cacheMB = 1
        new.listen = "127.0.0.1:1"
        #expect(ServeCommand.restartOnlyChanges(from: old, to: new) == ["listen", "cacheMB"])
    }
}
