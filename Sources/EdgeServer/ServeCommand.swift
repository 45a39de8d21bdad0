import ArgumentParser
import Dispatch
import Edge
import Foundation
import Logging
import Metrics
import NIOCore
import NIOPosix
import Prometheus
import Render
import TenantStore

/// `edge serve`: the storefront server for every tenant.
///
/// Resolves its settings (command line > `EDGE_…` environment > `--config` YAML file >
/// defaults, see `config/edge.yaml`), opens (or creates) the store in the data directory,
/// migrates it, makes sure development certificates exist for the platform domain, and serves
/// HTTPS with a plain-HTTP listener that redirects to it, plus the admin listener (`/healthz`,
/// `/readyz`, `/metrics`). SIGHUP reloads the file and the certificates without dropping a
/// connection. SIGTERM or SIGINT stops accepting, lets requests in flight finish for up to the
/// grace period, and exits 0.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve every tenant's store over HTTPS (HTTP/1.1 and HTTP/2).",
        discussion: """
            Settings come from the command line, then EDGE_* environment variables \
            (EDGE_CACHE_MB, EDGE_LIMITS_MAX_BODY_BYTES…), then the YAML file given with --config \
            or EDGE_CONFIG, then the defaults. config/edge.yaml documents every setting. \
            kill -HUP reloads the file and the certificates; kill -TERM shuts down gracefully.
            """
    )

    @Option(help: "A YAML configuration file (see config/edge.yaml).")
    var config: String?

    @Option(name: .customLong("data-dir"), help: "The data directory; the store lives in DIR/store. (default: ./data)")
    var dataDirectory: String?

    @Option(help: "The HTTPS listener, HOST:PORT. (default: 0.0.0.0:8443)")
    var listen: String?

    @Option(
        name: .customLong("http-listen"),
        help: "The plain-HTTP listener that redirects to HTTPS, HOST:PORT. (default: 0.0.0.0:8080)"
    )
    var httpListen: String?

    @Option(
        name: .customLong("admin-listen"),
        help: "The admin listener (HTTPS: /healthz, /readyz, /metrics), HOST:PORT. (default: 127.0.0.1:9443)"
    )
    var adminListen: String?

    @Option(name: .customLong("platform-domain"), help: "Tenants are served on <subdomain>.NAME. (default: localhost)")
    var platformDomain: String?

    @Option(name: .customLong("cache-mb"), help: "The page cache's budget in MiB. (default: 256)")
    var cacheMB: Int?

    @Flag(help: "Seed three demo stores into an empty store.")
    var demo = false

    /// The options given on the command line, by configuration key; absent ones fall through.
    var commandLineSettings: [String: String] {
        var values: [String: String] = [:]
        values["dataDir"] = self.dataDirectory
        values["listen"] = self.listen
        values["httpListen"] = self.httpListen
        values["adminListen"] = self.adminListen
        values["platformDomain"] = self.platformDomain
        values["cacheMb"] = self.cacheMB.map(String.init)
        if self.demo { values["demo"] = "true" }
        return values
    }

    /// Reads the settings as a reload would: the same command line, environment and file.
    func loadSettings() async throws -> EdgeSettings {
        let environment = ProcessInfo.processInfo.environment
        let settings = try await EdgeSettings.load(
            commandLine: self.commandLineSettings,
            environment: environment,
            file: self.config ?? environment["EDGE_CONFIG"]
        )
        for (option, value) in [
            ("listen", settings.listen), ("httpListen", settings.httpListen), ("adminListen", settings.adminListen),
        ] {
            _ = try ListenAddress(parsing: value, option: option)
        }
        _ = try Self.trustedProxies(settings)
        return settings
    }

    /// Swift concurrency's global executor becomes the event loops. The admin plane's handlers
    /// are tasks reading from and writing to NIO channels; on the default pool every request
    /// crossed threads four times. Measured with 32 clients sending config PUTs back to back:
    /// server CPU per PUT 284–313 → 267 µs, 5,044–5,585 → 5,955–5,990 PUTs/s. Blocking work
    /// stays off tasks (the store commits on its own thread), so no loop waits on a disk. The
    /// admin server's tasks go further and prefer ``EventLoopTaskExecutor``, which runs them on
    /// the same loops without NIO's requeue at every nonisolated `await`.
    /// A `static let` so that it runs once per process, as NIO requires.
    private static let tasksRunOnEventLoops: Bool =
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()

    func run() async throws {
        let tasksRunOnEventLoops = Self.tasksRunOnEventLoops
        let settings: EdgeSettings
        do {
            settings = try await self.loadSettings()
        } catch let error as SettingsError {
            throw ValidationError(error.description)
        }
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        var logger = Logger(label: "edge")
        logger.logLevel = settings.logLevel
        logger.debug("concurrency executor", metadata: ["tasks.on_event_loops": "\(tasksRunOnEventLoops)"])
        let registry = PrometheusCollectorRegistry()
        let metricsFactory = PrometheusMetricsFactory(registry: registry)
        MetricsSystem.bootstrap(metricsFactory)
        let metrics = EdgeMetrics(factory: metricsFactory)

        let https = try ListenAddress(parsing: settings.listen, option: "listen")
        let http = try ListenAddress(parsing: settings.httpListen, option: "httpListen")
        let admin = try ListenAddress(parsing: settings.adminListen, option: "adminListen")

        let storePath = joinedStorePath(settings.dataDirectory)
        try FileManager.default.createDirectory(atPath: storePath, withIntermediateDirectories: true)
        let store: FileKeyValueStore
        do {
            var options = StoreOptions()
            options.logger = logger
            options.commitLatencyObserver = metrics.commitLatencyObserver
            store = try FileKeyValueStore.open(directory: storePath, options: options)
        } catch let error as TenantStoreError {
            throw ValidationError("cannot open the store in \(storePath): \(error.message)")
        }
        defer { store.close() }
        _ = try await TenantData.migrate(store: store)

        let certificates = try Self.platformCertificates(settings)
        let certificateStore: CertificateStore
        do {
            certificateStore = try CertificateStore(development: certificates)
        } catch let error as CertificateValidationError {
            throw ValidationError("\(certificates.certificateChainPath): \(error.message)")
        }

        let secretKey: SecretKey
        do {
            secretKey = try SecretKey.load(dataDirectory: settings.dataDirectory)
        } catch let error as TenantStoreError {
            throw ValidationError("the secret key for certificates at rest: \(error.message)")
        }
        let secrets = SecretBox(key: secretKey)
        let tenantData = TenantData(store: store, platformDomain: settings.platformDomain, secrets: secrets)
        let certificateSync = TenantCertificateSynchronizer(
            certificates: certificateStore,
            data: tenantData,
            logger: logger
        )

        let publicPort = https.port == 0 ? nil : https.port
        let cache = PageCache(budgetBytes: settings.cacheMB * 1024 * 1024)
        let service = try StorefrontService(
            store: store,
            platformDomain: settings.platformDomain,
            themes: ThemeLibrary.builtIn(),
            cache: cache,
            logger: logger,
            configuration: StorefrontService.Configuration(
                publicPort: publicPort,
                shopperPostBurst: settings.shopperPostBurst,
                shopperPostsPerMinute: settings.shopperPostsPerMinute
            ),
            metrics: metrics,
            secrets: secrets
        )
        let demoURLs =
            settings.demo
            ? try await DemoTenants.seed(
                into: tenantData,
                platformDomain: settings.platformDomain,
                port: publicPort
            ) : []
        if settings.demo, !demoURLs.isEmpty {
            try await Self.uploadDemoCertificate(into: tenantData, issuer: certificates.issuer)
        }
        _ = try await certificateSync.synchronize()
        let certificateSyncTask = Task { await certificateSync.run() }
        defer { certificateSyncTask.cancel() }
        let heapTrimmer = HeapTrimmer(every: .seconds(10), logger: logger)
        defer { heapTrimmer.stop() }

        let readiness = AdminServer.Readiness()
        let tokens = try await OperatorTokens(dataDirectory: settings.dataDirectory)
        let api = AdminAPI(
            data: tenantData,
            tokens: tokens,
            storefront: service,
            configuration: settings.adminAPI,
            logger: logger
        )
        // Provisioning jobs a previous run left unfinished, and webhook deliveries still pending.
        try await api.resumeInterruptedJobs()
        let housekeeping = Task { await api.pruneHistory() }
        defer { housekeeping.cancel() }
        let adminServer = try await AdminServer.start(
            host: admin.host,
            port: admin.port,
            api: api,
            tlsConfiguration: certificateStore.makeServerConfiguration(),
            registry: registry,
            beforeScrape: { metrics.publish(cache) },
            readiness: readiness,
            logger: logger
        )
        var accessLogs = AccessLogs()
        defer { accessLogs.closeAll() }
        let server: StorefrontServer
        do {
            server = try await StorefrontServer.start(
                configuration: StorefrontServer.Configuration(
                    host: https.host,
                    port: https.port,
                    redirectListener: (http.host, http.port),
                    limits: settings.limits,
                    trustedProxies: try Self.trustedProxies(settings),
                    accessLog: try accessLogs.open(settings.accessLog)
                ),
                certificates: certificateStore,
                responder: service,
                group: MultiThreadedEventLoopGroup.singleton,
                metrics: metrics,
                logger: logger
            )
        } catch {
            await adminServer.stop()
            throw error
        }
        readiness.set(true)
        // Before the listeners are announced: whoever waits for those lines may signal at once,
        // and a SIGTERM between the announcement and these handlers was ignored and lost.
        let signals = Self.signals()
        Self.announce("https: https://\(https.displayHost):\(server.port)/ (storefront, HTTP/1.1 and HTTP/2)")
        if let redirectPort = server.redirectPort {
            Self.announce("http: http://\(http.displayHost):\(redirectPort)/ (redirects to HTTPS)")
        }
        Self.announce("admin: https://\(admin.displayHost):\(adminServer.port)/ (/api, /healthz, /readyz, /metrics)")
        Self.announce(
            "trust the development CA: curl --cacert \(certificates.caCertificatePath) https://acme.\(certificates.domain):\(server.port)/"
        )
        if settings.demo, demoURLs.isEmpty {
            Self.announce("demo: the store already has tenants; nothing seeded")
        }
        for url in demoURLs {
            Self.announce("demo: \(url)")
        }

        var current = settings
        for await signal in signals {
            guard signal == SIGHUP else {
                logger.info("shutting down", metadata: ["signal": "\(signal)"])
                break
            }
            current = await self.reload(
                current,
                server: server,
                certificates: certificateStore,
                accessLogs: &accessLogs,
                logger: logger
            )
        }
        readiness.set(false)
        await server.shutdown(gracePeriod: .seconds(current.shutdownGraceSeconds))
        await adminServer.stop()
    }

    /// Reads the settings again and applies what can change while running; returns what is now in effect.
    private func reload(
        _ current: EdgeSettings,
        server: StorefrontServer,
        certificates: CertificateStore,
        accessLogs: inout AccessLogs,
        logger: Logger
    ) async -> EdgeSettings {
        let next: EdgeSettings
        let proxies: TrustedProxies
        let platform: CertificateBundle
        let accessLog: AccessLog?
        do {
            next = try await self.loadSettings()
            proxies = try Self.trustedProxies(next)
            accessLog = try accessLogs.open(next.accessLog)
            let files = try Self.platformCertificates(next)
            platform = try CertificateBundle.validated(
                chainPEM: files.certificateChainPEM,
                privateKeyPEM: files.privateKeyPEM,
                for: files.domain
            )
        } catch {
            logger.error("reload failed; the running settings stay", metadata: ["error.message": "\(error)"])
            return current
        }
        var applied = next
        let restartOnly = Self.restartOnlyChanges(from: current, to: next)
        if !restartOnly.isEmpty {
            logger.warning(
                "reload: these settings need a restart and keep their running values",
                metadata: ["settings": "\(restartOnly.joined(separator: ", "))"]
            )
            applied = current
            applied.accessLog = next.accessLog
            applied.trustedProxies = next.trustedProxies
        }
        server.reload(trustedProxies: proxies, accessLog: accessLog)
        certificates.replacePlatformCertificate(platform)
        logger.info(
            "reloaded",
            metadata: [
                "trusted_proxies": "\(next.trustedProxies.joined(separator: ","))",
                "certificate.not_after": "\(platform.notValidAfter.formatted(.iso8601))",
            ]
        )
        return applied
    }

    /// The access logs opened so far: one per destination, reopened on every reload (so a log
    /// rotated away is written anew) and closed at exit, since connections opened before a
    /// reload keep writing to the log they started with.
    struct AccessLogs {
        private var open: [String: AccessLog] = [:]

        mutating func open(_ destination: String?) throws -> AccessLog? {
            guard let destination else { return nil }
            if let log = self.open[destination] {
                log.reopen()
                return log
            }
            do {
                let log = try AccessLog(destination: destination)
                self.open[destination] = log
                return log
            } catch let error as AccessLogError {
                throw SettingsError(key: "accessLog", message: error.message)
            }
        }

        func closeAll() {
            for log in self.open.values { log.close() }
        }
    }

    /// The names of settings that differ between `old` and `new` and that a reload cannot apply.
    static func restartOnlyChanges(from old: EdgeSettings, to new: EdgeSettings) -> [String] {
        var comparable = new
        comparable.accessLog = old.accessLog
        comparable.trustedProxies = old.trustedProxies
        guard comparable != old else { return [] }
        let mirrorOld = Mirror(reflecting: old).children
        let mirrorNew = Mirror(reflecting: comparable).children
        return zip(mirrorOld, mirrorNew).compactMap { old, new in
            "\(old.value)" == "\(new.value)" ? nil : old.label
        }
    }

    /// Gives the demo store on a custom domain a certificate from the development CA, uploaded
    /// through the store like an operator's, so that its domain is served with its own name.
    private static func uploadDemoCertificate(into data: TenantData, issuer: DevelopmentIssuer) async throws {
        guard let tenant = try await data.tenants.tenant(domain: DemoTenants.customDomain) else { return }
        let (chainPEM, privateKeyPEM) = try issuer.issuePEM(for: [
            DemoTenants.customDomain, "www." + DemoTenants.customDomain,
        ])
        _ = try await data.certificates.upload(
            chainPEM: chainPEM,
            privateKeyPEM: privateKeyPEM,
            domain: DemoTenants.customDomain,
            tenant: tenant.id
        )
    }

    private static func trustedProxies(_ settings: EdgeSettings) throws -> TrustedProxies {
        do {
            return try TrustedProxies(parsing: settings.trustedProxies)
        } catch {
            throw SettingsError(key: "trustedProxies", message: error.description)
        }
    }

    private static func platformCertificates(_ settings: EdgeSettings) throws -> DevelopmentCertificates.Outcome {
        do {
            return try DevelopmentCertificates.ensure(
                in: settings.certificatesDirectory,
                domain: settings.platformDomain
            )
        } catch let error as DevelopmentCertificateError {
            throw ValidationError(error.message)
        }
    }

    /// Writes one line to standard output at once: scripts wait for the listener lines, and
    /// `print` would hold them in a buffer when standard output is a pipe.
    private static func announce(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// SIGTERM, SIGINT and SIGHUP as they arrive; they no longer act on the process by themselves.
    private static func signals() -> AsyncStream<Int32> {
        let (signals, continuation) = AsyncStream.makeStream(of: Int32.self)
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGTERM, SIGINT, SIGHUP] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            sources.append(source)
        }
        // Dispatch sources are thread-safe but not marked Sendable; the closure only cancels them.
        nonisolated(unsafe) let retained = sources
        continuation.onTermination = { _ in
            for source in retained { source.cancel() }
        }
        return signals
    }
}

/// A `HOST:PORT` listener address from the command line (`[::1]:8443` for IPv6).
struct ListenAddress {
    var host: String
    var port: Int

    /// The host as it appears in a URL.
    var displayHost: String { self.host.contains(":") ? "[\(self.host)]" : self.host }

    init(parsing value: String, option: String) throws {
        let hostPart: Substring
        let portPart: Substring
        if value.hasPrefix("[") {
            guard let close = value.firstIndex(of: "]"), value[close...].hasPrefix("]:") else {
                throw ValidationError("\(option) '\(value)' is not HOST:PORT (IPv6 hosts go in brackets: [::1]:8443)")
            }
            hostPart = value[value.index(after: value.startIndex)..<close]
            portPart = value[value.index(close, offsetBy: 2)...]
        } else {
            guard let colon = value.lastIndex(of: ":"), !value[..<colon].contains(":") else {
                throw ValidationError("\(option) '\(value)' is not HOST:PORT (e.g. 0.0.0.0:8443)")
            }
            hostPart = value[..<colon]
            portPart = value[value.index(after: colon)...]
        }
        guard !hostPart.isEmpty,
            hostPart.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":") })
        else {
            throw ValidationError("\(option) '\(value)': '\(hostPart)' is not a host name or IP address")
        }
        guard let port = Int(portPart), (0...65535).contains(port) else {
            throw ValidationError("\(option) '\(value)': the port must be a number from 0 to 65535")
        }
        self.host = String(hostPart)
        self.port = port
    }
}
