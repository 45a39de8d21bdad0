public import Foundation
public import Logging
public import TenantStore

/// Keeps a ``CertificateStore``'s custom-domain certificates in step with the ones tenants
/// uploaded through TenantStore, so an upload is served without a restart.
///
/// ```swift
/// let synchronizer = TenantCertificateSynchronizer(certificates: store, data: data, logger: logger)
/// try await synchronizer.synchronize()  // before accepting connections
/// // then, in a task that lives as long as the server:
/// await synchronizer.run()
/// ```
///
/// ``synchronize(now:)`` loads what changed: each stored certificate that is new or was
/// uploaded again is opened, checked with ``CertificateBundle/validated(chainPEM:privateKeyPEM:for:now:)``
/// and installed; certificates that are no longer stored are removed, so their domains get the
/// default certificate. A certificate that fails (expired, key sealed with another secret key,
/// …) is not served and is logged once as a warning, not again until it is uploaded anew.
/// ``run()`` polls ``CertificateRepository/generation()``, one key lookup, every
/// `pollingInterval` and synchronizes when it moved.
///
/// The synchronizer only removes certificates it installed itself: certificates put into the
/// store by other means (``CertificateStore/setCertificate(_:forCustomDomain:)``) stay. A
/// certificate that expires while it is installed stays installed until it is replaced;
/// handshakes for its domain fail in browsers either way.
public actor TenantCertificateSynchronizer {
    /// What one ``synchronize(now:)`` pass changed.
    public struct Report: Sendable, Hashable {
        /// Domains whose certificate was installed or replaced.
        public var installed: [String] = []
        /// Domains whose certificate is no longer stored and was removed.
        public var removed: [String] = []
        /// Domains whose stored certificate cannot be served; none is served for them.
        public var skipped: [String] = []
    }

    /// One domain's stored certificate as this synchronizer last handled it.
    private struct Loaded {
        var id: RecordID
        var isInstalled: Bool
    }

    /// The outcome of reading and checking one changed certificate.
    private enum Fetched {
        case valid(CertificateSummary, CertificateBundle)
        case invalid(CertificateSummary, any Error)
        case deleted
    }

    private let certificates: CertificateStore
    private let data: TenantData
    private let pollingInterval: Duration
    private let logger: Logger
    private var loaded: [String: Loaded] = [:]
    private var appliedGeneration: UInt64?

    /// - Parameters:
    ///   - certificates: The store the HTTPS listener serves from.
    ///   - data: Where tenants' certificates are stored; it needs the ``SecretBox`` they were
    ///     sealed with, or every certificate is skipped.
    ///   - pollingInterval: How often ``run()`` checks for changes; an upload is served within
    ///     about this long.
    ///   - logger: Receives installs and removals at info, skipped certificates at warning.
    public init(
        certificates: CertificateStore,
        data: TenantData,
        pollingInterval: Duration = .milliseconds(500),
        logger: Logger
    ) {
        self.certificates = certificates
        self.data = data
        self.pollingInterval = pollingInterval
        self.logger = logger
    }

    /// Brings the certificate store up to date with the stored certificates once.
    ///
    /// - Parameter now: The moment validity is checked at.
    /// - Throws: ``TenantStoreError`` when the store cannot be read; the certificate store is
    ///   unchanged then. Problems with single certificates do not throw: they are skipped.
    @discardableResult
    public func synchronize(now: Date = Date()) async throws -> Report {
        // Read before the listing: a change made during it moves the generation again, so the
        // next poll picks it up.
        let generation = try await self.data.certificates.generation()
        let summaries = try await self.data.certificates.all()
        var fetched: [String: Fetched] = [:]
        for summary in summaries where self.loaded[summary.domain]?.id != summary.id {
            fetched[summary.domain] = try await self.fetch(summary, now: now)
        }
        // A pass that called `synchronize` concurrently may have applied a later state while
        // this one was reading; applying this one's older reads would undo it.
        if let appliedGeneration = self.appliedGeneration, generation < appliedGeneration {
            return Report()
        }
        let report = self.apply(fetched, stored: Set(summaries.map(\.domain)))
        self.appliedGeneration = generation
        return report
    }

    /// Polls for changes every `pollingInterval` and synchronizes when there are any, until the
    /// task is cancelled.
    ///
    /// A failed pass is logged (once, until one succeeds again) and retried on the next poll;
    /// the certificates already installed keep being served meanwhile.
    public func run() async {
        var isFailing = false
        while !Task.isCancelled {
            do {
                if try await self.data.certificates.generation() != self.appliedGeneration {
                    try await self.synchronize()
                }
                if isFailing {
                    isFailing = false
                    self.logger.info("certificate synchronization recovered")
                }
            } catch {
                if !isFailing {
                    isFailing = true
                    self.logger.warning(
                        "certificate synchronization failed; retrying",
                        metadata: ["error.type": "\(type(of: error))", "error.message": "\(error)"]
                    )
                }
            }
            do {
                try await Task.sleep(for: self.pollingInterval)
            } catch {
                return
            }
        }
    }

    /// Reads and checks one certificate; throws only for failures worth retrying (the store
    /// could not be read), not for ones the same upload would meet again.
    private func fetch(_ summary: CertificateSummary, now: Date) async throws -> Fetched {
        let certificate: DomainCertificate
        do {
            guard let stored = try await self.data.certificates.get(domain: summary.domain) else {
                return .deleted
            }
            certificate = stored
        } catch let error as TenantStoreError where Self.isPermanent(error.code) {
            return .invalid(summary, error)
        }
        do {
            let bundle = try CertificateBundle.validated(
                chainPEM: certificate.chainPEM,
                privateKeyPEM: certificate.privateKeyPEM,
                for: certificate.summary.domain,
                now: now
            )
            return .valid(certificate.summary, bundle)
        } catch {
            return .invalid(certificate.summary, error)
        }
    }

    private static func isPermanent(_ code: TenantStoreError.Code) -> Bool {
        [.decryptionFailed, .secretKeyUnavailable, .corrupted, .unsupportedVersion].contains(code)
    }

    /// Applies one pass's reads without suspending, so passes never interleave here.
    private func apply(_ fetched: [String: Fetched], stored: Set<String>) -> Report {
        var report = Report()
        for (domain, outcome) in fetched.sorted(by: { $0.key < $1.key }) {
            switch outcome {
            case .valid(let summary, let bundle):
                self.certificates.setCertificate(bundle, forCustomDomain: domain)
                self.loaded[domain] = Loaded(id: summary.id, isInstalled: true)
                report.installed.append(domain)
                self.logger.info("custom-domain certificate installed", metadata: Self.metadata(summary))
            case .invalid(let summary, let error):
                if self.loaded[domain]?.isInstalled == true {
                    self.certificates.removeCertificate(forCustomDomain: domain)
                }
                self.loaded[domain] = Loaded(id: summary.id, isInstalled: false)
                report.skipped.append(domain)
                var metadata = Self.metadata(summary)
                metadata["error.type"] = "\(type(of: error))"
                metadata["error.message"] = "\(error)"
                self.logger.warning("custom-domain certificate cannot be served; skipped", metadata: metadata)
            case .deleted:
                // Deleted between the listing and the read; removed below like any other.
                break
            }
        }
        for (domain, entry) in self.loaded.sorted(by: { $0.key < $1.key })
        where !stored.contains(domain) || fetched[domain].map(Self.isDeleted) == true {
            self.loaded[domain] = nil
            guard entry.isInstalled else { continue }
            self.certificates.removeCertificate(forCustomDomain: domain)
            report.removed.append(domain)
            self.logger.info("custom-domain certificate removed", metadata: ["tls.server_name": "\(domain)"])
        }
        return report
    }

    private static func isDeleted(_ fetched: Fetched) -> Bool {
        if case .deleted = fetched { return true }
        return false
    }

    private static func metadata(_ summary: CertificateSummary) -> Logger.Metadata {
        [
            "tls.server_name": "\(summary.domain)",
            "tenant.id": "\(summary.tenantId.uuidString.lowercased())",
            "certificate.id": "\(summary.id)",
            "certificate.not_after": "\(summary.notAfter.formatted(.iso8601))",
        ]
    }
}
