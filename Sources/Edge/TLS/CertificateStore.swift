import NIOCore
public import NIOSSL
import Synchronization

/// The certificates the HTTPS listener serves, chosen per connection by SNI.
///
/// It holds the platform certificate (for `<platform domain>` and `*.<platform domain>`) and
/// one certificate per tenant custom domain. Custom-domain certificates can be installed,
/// replaced and removed while the server runs: the storefront listener asks
/// ``serverContext(forServerName:)`` on every connection, and the TLS configuration from
/// ``makeServerConfiguration()`` asks the store on every handshake, so the next handshake sees
/// the change and connections already open keep theirs.
///
/// Selection (see ``selectCertificate(forServerName:)``): the exact custom domain (or the apex
/// of a `www.` name) ▸ the platform wildcard for one label under the platform domain ▸ the default, which is the
/// platform certificate. A handshake without SNI gets the default.
///
/// Thread safety: all methods may be called from any thread; the handshake path takes one
/// short lock to read a snapshot.
public final class CertificateStore: Sendable {
    /// Which certificate a server name gets.
    public enum Selection: Hashable, Sendable {
        /// The certificate uploaded for this custom domain.
        case customDomain(String)
        /// The platform certificate, because the name is one label under the platform domain.
        case platformWildcard
        /// The platform certificate, because nothing more specific matched (or there was no SNI).
        case `default`
    }

    private struct State: Sendable {
        var platformDomain: String
        var platform: CertificateBundle
        var customDomains: [String: CertificateBundle]
        var issued: [String: CertificateBundle]
        /// The TLS contexts made for the bundles above, under ``ContextKey``; a bundle's
        /// context goes when the bundle does.
        var contexts: [ContextKey: NIOSSLContext] = [:]
    }

    /// Which bundle of ``State`` a context was made for.
    private enum ContextKey: Hashable {
        case platform
        /// The platform certificate's context for ClientHellos without a readable name.
        case unnamed
        case customDomain(String)
        case issued(String)
    }

    /// Bounds the per-host development certificates: SNI names are chosen by clients, so a
    /// client inventing names must not grow memory without limit.
    static let issuedLimit = 1_024

    private let state: Mutex<State>
    private let developmentIssuer: DevelopmentIssuer?

    /// Creates a store that serves `platformCertificate` for the platform domain and by default.
    ///
    /// - Parameters:
    ///   - platformDomain: The domain tenants' subdomains live under, e.g. `localhost`.
    ///   - platformCertificate: Its certificate, usually a wildcard.
    ///   - developmentIssuer: Only in development: when set, a name one label under the platform
    ///     domain gets a certificate for exactly that name, signed on first use and cached,
    ///     because TLS libraries refuse `*.localhost` (see ``DevelopmentIssuer``).
    public init(
        platformDomain: String,
        platformCertificate: CertificateBundle,
        developmentIssuer: DevelopmentIssuer? = nil
    ) {
        self.state = Mutex(
            State(
                platformDomain: normalisedDomain(platformDomain),
                platform: platformCertificate,
                customDomains: [:],
                issued: [:]
            )
        )
        self.developmentIssuer = developmentIssuer
    }

    /// A store for development: the platform certificate that ``DevelopmentCertificates`` wrote,
    /// and its issuer for tenant hosts.
    ///
    /// - Throws: ``CertificateValidationError`` when the files do not hold a valid certificate.
    public convenience init(development outcome: DevelopmentCertificates.Outcome) throws {
        self.init(
            platformDomain: outcome.domain,
            platformCertificate: try CertificateBundle.validated(
                chainPEM: outcome.certificateChainPEM,
                privateKeyPEM: outcome.privateKeyPEM,
                for: outcome.domain
            ),
            developmentIssuer: outcome.issuer
        )
    }

    /// The platform domain, normalised.
    public var platformDomain: String {
        self.state.withLock { $0.platformDomain }
    }

    /// The custom domains that have a certificate, sorted.
    public var customDomains: [String] {
        self.state.withLock { $0.customDomains.keys.sorted() }
    }

    /// Installs or replaces the certificate served for a custom domain.
    ///
    /// - Parameters:
    ///   - bundle: A bundle from ``CertificateBundle/validated(chainPEM:privateKeyPEM:for:now:)`` for `domain`.
    ///   - domain: The custom domain; compared case-insensitively, without a trailing dot.
    public func setCertificate(_ bundle: CertificateBundle, forCustomDomain domain: String) {
        let domain = normalisedDomain(domain)
        self.state.withLock {
            $0.customDomains[domain] = bundle
            $0.contexts[.customDomain(domain)] = nil
        }
    }

    /// Validates an uploaded PEM chain and key for `domain` and installs it.
    ///
    /// - Throws: ``CertificateValidationError``; the store is unchanged then.
    public func installCertificate(
        chainPEM: String,
        privateKeyPEM: String,
        forCustomDomain domain: String
    ) throws(CertificateValidationError) {
        let bundle = try CertificateBundle.validated(chainPEM: chainPEM, privateKeyPEM: privateKeyPEM, for: domain)
        self.setCertificate(bundle, forCustomDomain: domain)
    }

    /// Stops serving a custom domain's certificate; its handshakes get the default afterwards.
    ///
    /// - Returns: Whether the domain had a certificate.
    @discardableResult
    public func removeCertificate(forCustomDomain domain: String) -> Bool {
        let domain = normalisedDomain(domain)
        return self.state.withLock {
            $0.contexts[.customDomain(domain)] = nil
            return $0.customDomains.removeValue(forKey: domain) != nil
        }
    }

    /// Replaces the platform certificate, e.g. after renewal.
    public func replacePlatformCertificate(_ bundle: CertificateBundle) {
        self.state.withLock {
            $0.platform = bundle
            $0.contexts[.platform] = nil
            $0.contexts[.unnamed] = nil
        }
    }

    /// Which certificate a handshake with this SNI server name gets.
    ///
    /// - Parameter serverName: The SNI host name, or `nil` when the client sent none.
    public func selectCertificate(forServerName serverName: String?) -> Selection {
        self.state.withLock { Self.select(serverName, in: $0) }
    }

    /// The chain and key a handshake with this SNI server name gets.
    public func certificate(forServerName serverName: String?) -> CertificateBundle {
        self.served(forServerName: serverName).bundle
    }

    /// The TLS context for a connection whose ClientHello named `serverName`, and the
    /// certificate it serves.
    ///
    /// For a name, one context per certificate, made on its first connection and kept while the
    /// certificate is served, so a handshake starts with its certificate already loaded:
    /// choosing it in the handshake instead (the callback of ``makeServerConfiguration()``)
    /// suspends the handshake for a turn of the event loop and loads the chain and key into
    /// every connection.
    ///
    /// Without a name, which is also what NIO's ClientHello parser reports when it cannot read
    /// one (a ClientHello split over several TLS records, say), the context of
    /// ``makeServerConfiguration()``: BoringSSL, which reads any ClientHello, chooses during the
    /// handshake, and nothing is loaded when it chooses the platform certificate.
    ///
    /// - Throws: `NIOSSLError` when BoringSSL refuses the certificate; the store checked it
    ///   when it was installed, so this does not happen with bundles it accepted.
    package func serverContext(
        forServerName serverName: String?
    ) throws -> (context: NIOSSLContext, certificate: CertificateBundle) {
        let served =
            serverName == nil
            ? self.state.withLock { ($0.platform, ContextKey.unnamed, $0.contexts[.unnamed]) }
            : self.served(forServerName: serverName)
        if let context = served.context {
            return (context, served.bundle)
        }
        let configuration =
            served.key == .unnamed
            ? self.handshakeChoosingConfiguration(serving: served.bundle)
            : Self.serverConfiguration(serving: served.bundle)
        let context = try NIOSSLContext(configuration: configuration)
        self.state.withLock { state in
            // Kept only while the bundle it was made for is still the one served under its key.
            guard let current = Self.bundle(under: served.key, in: state),
                current.certificateChain.first === served.bundle.certificateChain.first
            else { return }
            state.contexts[served.key] = context
        }
        return (context, served.bundle)
    }

    /// The bundle for `serverName`, where the store keeps it, and its context if one was made.
    private func served(
        forServerName serverName: String?
    ) -> (bundle: CertificateBundle, key: ContextKey, context: NIOSSLContext?) {
        let found = self.state.withLock { state -> (CertificateBundle, ContextKey, NIOSSLContext?)? in
            let key: ContextKey
            switch Self.select(serverName, in: state) {
            case .customDomain(let domain):
                key = .customDomain(domain)
            case .platformWildcard where self.developmentIssuer != nil:
                guard let name = serverName.map(normalisedDomain), state.issued[name] != nil else { return nil }
                key = .issued(name)
            case .platformWildcard, .default:
                key = .platform
            }
            // `select` only answers with a domain present in this same snapshot.
            return Self.bundle(under: key, in: state).map { ($0, key, state.contexts[key]) }
        }
        if let found { return found }
        return self.issueDevelopmentCertificate(for: serverName)
    }

    private static func bundle(under key: ContextKey, in state: State) -> CertificateBundle? {
        switch key {
        case .platform, .unnamed: state.platform
        case .customDomain(let domain): state.customDomains[domain]
        case .issued(let name): state.issued[name]
        }
    }

    /// Signs outside the lock so other handshakes don't wait; two racing handshakes for a new
    /// name may both sign, and the last one is kept, which is harmless.
    private func issueDevelopmentCertificate(
        for serverName: String?
    ) -> (bundle: CertificateBundle, key: ContextKey, context: NIOSSLContext?) {
        guard let developmentIssuer, let serverName, let issued = try? developmentIssuer.issue(for: serverName) else {
            return self.state.withLock { ($0.platform, .platform, $0.contexts[.platform]) }
        }
        let name = normalisedDomain(serverName)
        self.state.withLock { state in
            if state.issued.count >= Self.issuedLimit {
                state.issued.removeAll()
                state.contexts = state.contexts.filter { key, _ in
                    if case .issued = key { return false }
                    return true
                }
            }
            state.issued[name] = issued
            state.contexts[.issued(name)] = nil
        }
        return (issued, .issued(name), nil)
    }

    /// A TLS configuration for the HTTPS listener that picks the certificate from this store per handshake.
    ///
    /// TLS 1.2 and 1.3 only; for TLS 1.2 only ECDHE key exchange with AEAD ciphers (forward
    /// secrecy, no CBC), TLS 1.3 suites are all AEAD already. ALPN offers `h2`, then `http/1.1`.
    /// The configuration's own chain is the platform certificate at the time of the call; the
    /// SNI callback loads another into every handshake that chooses another, so later
    /// replacements take effect.
    public func makeServerConfiguration() -> TLSConfiguration {
        self.handshakeChoosingConfiguration(serving: self.state.withLock { $0.platform })
    }

    /// `bundle`'s settings, with a callback that chooses the certificate for the name each
    /// handshake carries and loads it into the connection unless it is `bundle`.
    private func handshakeChoosingConfiguration(serving bundle: CertificateBundle) -> TLSConfiguration {
        var configuration = Self.serverConfiguration(serving: bundle)
        configuration.sslContextCallback = { [self] values, promise in
            let chosen = self.certificate(forServerName: values.serverHostname)
            var override = NIOSSLContextConfigurationOverride()
            if chosen.certificateChain.first !== bundle.certificateChain.first {
                override.certificateChain = chosen.certificateChain.map { .certificate($0) }
                override.privateKey = .privateKey(chosen.privateKey)
            }
            promise.succeed(override)
        }
        return configuration
    }

    /// The HTTPS listener's TLS settings, serving `bundle`.
    private static func serverConfiguration(serving bundle: CertificateBundle) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: bundle.certificateChain.map { .certificate($0) },
            privateKey: .privateKey(bundle.privateKey)
        )
        configuration.minimumTLSVersion = .tlsv12
        configuration.cipherSuiteValues = Self.modernCipherSuites
        configuration.applicationProtocols = ["h2", "http/1.1"]
        return configuration
    }

    /// TLS 1.2 suites with forward secrecy and AEAD, in the order Mozilla's "intermediate" profile prefers them.
    static let modernCipherSuites: [NIOTLSCipher] = [
        .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        .TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        .TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        .TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        .TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ]

    /// The selection rule, on one consistent snapshot. The server name comes from the network,
    /// so it is only normalised and used as a dictionary key, never trusted further.
    private static func select(_ serverName: String?, in state: State) -> Selection {
        guard let serverName, !serverName.isEmpty else { return .default }
        let name = normalisedDomain(serverName)
        if state.customDomains[name] != nil {
            return .customDomain(name)
        }
        // `www.` of a custom domain is served (and redirected to the apex) with the apex's
        // certificate, which usually names both.
        if name.hasPrefix("www."), state.customDomains[String(name.dropFirst(4))] != nil {
            return .customDomain(String(name.dropFirst(4)))
        }
        let suffix = "." + state.platformDomain
        if name.hasSuffix(suffix) {
            let label = name.dropLast(suffix.count)
            // A wildcard covers exactly one label: `a.b.<platform>` is not covered by `*.<platform>`.
            if !label.isEmpty, !label.contains(".") {
                return .platformWildcard
            }
        }
        return .default
    }
}
