import ArgumentParser
import Dispatch
import Edge
import Foundation
import Logging
import NIOPosix
import Render
import TenantStore

/// `edge serve`: the storefront server for every tenant.
///
/// Opens (or creates) the store in the data directory, migrates it, makes sure development
/// certificates exist for the platform domain, and serves HTTPS with a plain-HTTP listener that
/// redirects to it. SIGTERM or SIGINT stops accepting, lets requests in flight finish for up to
/// ten seconds, and exits 0.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve every tenant's store over HTTPS (HTTP/1.1 and HTTP/2)."
    )

    @Option(help: "A configuration file (accepted; not read yet: every setting comes from these options).")
    var config: String?

    @Option(name: .customLong("data-dir"), help: "The server's data directory; the store lives in DIR/store.")
    var dataDirectory = "./data"

    @Option(help: "The HTTPS listener, HOST:PORT.")
    var listen = "0.0.0.0:8443"

    @Option(name: .customLong("http-listen"), help: "The plain-HTTP listener that redirects to HTTPS, HOST:PORT.")
    var httpListen = "0.0.0.0:8080"

    @Option(
        name: .customLong("admin-listen"),
        help: "The admin listener, HOST:PORT (accepted; the admin API is not served yet)."
    )
    var adminListen = "127.0.0.1:9443"

    @Option(name: .customLong("platform-domain"), help: "Tenants are served on <subdomain>.NAME.")
    var platformDomain = "localhost"

    @Option(name: .customLong("cache-mb"), help: "The page cache's budget in MiB.")
    var cacheMB = 256

    @Flag(help: "Seed three demo stores into an empty store.")
    var demo = false

    func validate() throws {
        for (option, value) in [
            ("--listen", self.listen), ("--http-listen", self.httpListen), ("--admin-listen", self.adminListen),
        ] {
            _ = try ListenAddress(parsing: value, option: option)
        }
        guard self.cacheMB > 0, self.cacheMB <= 1 << 20 else {
            throw ValidationError("--cache-mb must be between 1 and 1048576, not \(self.cacheMB)")
        }
    }

    func run() async throws {
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        var logger = Logger(label: "edge")
        logger.logLevel = .info
        let https = try ListenAddress(parsing: self.listen, option: "--listen")
        let http = try ListenAddress(parsing: self.httpListen, option: "--http-listen")
        let admin = try ListenAddress(parsing: self.adminListen, option: "--admin-listen")

        let storePath = joinedStorePath(self.dataDirectory)
        try FileManager.default.createDirectory(atPath: storePath, withIntermediateDirectories: true)
        let store: FileKeyValueStore
        do {
            store = try FileKeyValueStore.open(directory: storePath)
        } catch let error as TenantStoreError {
            throw ValidationError("cannot open the store in \(storePath): \(error.message)")
        }
        defer { store.close() }
        _ = try await TenantData.migrate(store: store)

        let certificates: DevelopmentCertificates.Outcome
        let certificateStore: CertificateStore
        do {
            certificates = try DevelopmentCertificates.ensure(in: "certs", domain: self.platformDomain)
            certificateStore = try CertificateStore(development: certificates)
        } catch let error as DevelopmentCertificateError {
            throw ValidationError(error.message)
        } catch let error as CertificateValidationError {
            throw ValidationError("certs/\(DevelopmentCertificates.certificateChainFile): \(error.message)")
        }

        let publicPort = https.port == 0 ? nil : https.port
        let service = try StorefrontService(
            store: store,
            platformDomain: self.platformDomain,
            themes: ThemeLibrary.builtIn(),
            cache: PageCache(budgetBytes: self.cacheMB * 1024 * 1024),
            logger: logger,
            configuration: StorefrontService.Configuration(publicPort: publicPort)
        )
        let demoURLs =
            self.demo
            ? try await DemoTenants.seed(
                into: TenantData(store: store, platformDomain: self.platformDomain),
                platformDomain: self.platformDomain,
                port: publicPort
            ) : []

        let server = try await StorefrontServer.start(
            configuration: StorefrontServer.Configuration(
                host: https.host,
                port: https.port,
                redirectListener: (http.host, http.port)
            ),
            certificates: certificateStore,
            responder: service,
            group: MultiThreadedEventLoopGroup.singleton,
            logger: logger
        )
        Self.announce("https: https://\(https.displayHost):\(server.port)/ (storefront, HTTP/1.1 and HTTP/2)")
        if let redirectPort = server.redirectPort {
            Self.announce("http: http://\(http.displayHost):\(redirectPort)/ (redirects to HTTPS)")
        }
        Self.announce("admin: https://\(admin.displayHost):\(admin.port)/ (not served yet)")
        if self.config != nil {
            Self.announce("config: --config is not read yet; the command-line options and defaults apply")
        }
        Self.announce(
            "trust the development CA: curl --cacert \(certificates.caCertificatePath) https://acme.\(certificates.domain):\(server.port)/"
        )
        if self.demo, demoURLs.isEmpty {
            Self.announce("demo: the store already has tenants; nothing seeded")
        }
        for url in demoURLs {
            Self.announce("demo: \(url)")
        }

        let signal = await Self.waitForTerminationSignal()
        logger.info("shutting down", metadata: ["signal": "\(signal)"])
        await server.shutdown(gracePeriod: .seconds(10))
    }

    /// Writes one line to standard output at once: scripts wait for the listener lines, and
    /// `print` would hold them in a buffer when standard output is a pipe.
    private static func announce(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// Returns the first SIGTERM or SIGINT, which no longer end the process on their own.
    private static func waitForTerminationSignal() async -> Int32 {
        let (signals, continuation) = AsyncStream.makeStream(of: Int32.self)
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            sources.append(source)
        }
        var iterator = signals.makeAsyncIterator()
        let received = await iterator.next() ?? SIGTERM
        for source in sources {
            source.cancel()
        }
        return received
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
