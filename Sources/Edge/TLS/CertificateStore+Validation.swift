public import Foundation
public import NIOSSL
import SwiftASN1
import X509

/// A certificate chain and its private key, parsed and checked, ready to serve.
///
/// Make one with ``validated(chainPEM:privateKeyPEM:for:now:)``; the store only holds bundles
/// that passed those checks, so a handshake never meets a key that doesn't fit its certificate.
public struct CertificateBundle: Sendable {
    /// The chain in the order it is sent: the leaf first, then intermediates.
    public let certificateChain: [NIOSSLCertificate]
    /// The leaf's private key.
    public let privateKey: NIOSSLPrivateKey
    /// The DNS names in the leaf's subject alternative names, lowercased.
    public let dnsNames: [String]
    /// The leaf's start of validity.
    public let notValidBefore: Date
    /// The leaf's end of validity.
    public let notValidAfter: Date

    /// Parses and checks a PEM chain and key uploaded for `domain`.
    ///
    /// The checks, in order: the chain parses and is not empty; the key parses; the key belongs
    /// to the first certificate; that certificate has DNS names in its subject alternative names
    /// and one of them covers `domain` (RFC 6125: a wildcard stands for exactly one whole
    /// left-most label); and `now` lies within its validity period.
    ///
    /// - Parameters:
    ///   - chainPEM: The leaf certificate, then any intermediates, in PEM.
    ///   - privateKeyPEM: The leaf's private key in PEM (PKCS #8, SEC 1 or PKCS #1).
    ///   - domain: The host name the certificate is uploaded for.
    ///   - now: The moment validity is checked at.
    /// - Throws: ``CertificateValidationError`` naming the first check that failed.
    public static func validated(
        chainPEM: String,
        privateKeyPEM: String,
        for domain: String,
        now: Date = Date()
    ) throws(CertificateValidationError) -> CertificateBundle {
        let domain = normalisedDomain(domain)
        guard isValidHostName(domain) else {
            throw CertificateValidationError(code: .invalidDomain, message: "'\(domain)' is not a valid host name")
        }
        let chain: [Certificate]
        do {
            chain = try PEMDocument.parseMultiple(pemString: chainPEM).map { try Certificate(pemDocument: $0) }
        } catch {
            throw CertificateValidationError(
                code: .malformedCertificate,
                message: "the certificate chain is not valid PEM-encoded X.509: \(error)"
            )
        }
        guard let leaf = chain.first else {
            throw CertificateValidationError(code: .malformedCertificate, message: "the certificate chain is empty")
        }
        let key: Certificate.PrivateKey
        do {
            key = try Certificate.PrivateKey(pemEncoded: privateKeyPEM)
        } catch {
            throw CertificateValidationError(
                code: .malformedPrivateKey,
                message: "the private key is not a PEM-encoded RSA, ECDSA or Ed25519 key: \(error)"
            )
        }
        guard key.publicKey == leaf.publicKey else {
            throw CertificateValidationError(
                code: .keyMismatch,
                message: "the private key does not belong to the first certificate of the chain"
            )
        }

        let dnsNames = try Self.dnsNames(of: leaf)
        guard dnsNames.contains(where: { Self.name($0, covers: domain) }) else {
            throw CertificateValidationError(
                code: .domainNotCovered,
                message: "the certificate names \(dnsNames.joined(separator: ", ")) but not \(domain)"
            )
        }
        guard leaf.notValidBefore <= now else {
            throw CertificateValidationError(
                code: .notYetValid,
                message: "the certificate is valid only from \(leaf.notValidBefore.formatted(.iso8601))"
            )
        }
        guard now < leaf.notValidAfter else {
            throw CertificateValidationError(
                code: .expired,
                message: "the certificate expired at \(leaf.notValidAfter.formatted(.iso8601))"
            )
        }

        do {
            return CertificateBundle(
                certificateChain: try chain.map {
                    try NIOSSLCertificate(bytes: $0.serializeAsPEM().derBytes, format: .der)
                },
                privateKey: try NIOSSLPrivateKey(bytes: Array(privateKeyPEM.utf8), format: .pem),
                dnsNames: dnsNames,
                notValidBefore: leaf.notValidBefore,
                notValidAfter: leaf.notValidAfter
            )
        } catch {
            // X509 and BoringSSL accept slightly different key encodings; report a key BoringSSL refuses.
            throw CertificateValidationError(
                code: .malformedPrivateKey,
                message: "the TLS library cannot load the certificate or key: \(error)"
            )
        }
    }

    /// Whether one of the certificate's DNS names covers a normalised host name.
    public func covers(_ host: String) -> Bool {
        self.dnsNames.contains { Self.name($0, covers: host) }
    }

    /// RFC 6125 §6.4.3 as browsers apply it: a name covers itself, and `*.rest` covers any one
    /// non-empty label followed by `.rest`. Partial-label wildcards such as `w*.example.com` are
    /// not honoured by browsers, so they cover nothing here either. `domain` is normalised.
    ///
    /// Compared as bytes, ASCII case-insensitively (certificate names are A-labels): the
    /// storefront asks on every request whose host differs from the connection's last one, and
    /// lowercasing and comparing as `String`s was 1.7 % of its CPU.
    static func name(_ certificateName: String, covers domain: String) -> Bool {
        var certificateName = certificateName
        var domain = domain
        return certificateName.withUTF8 { pattern in
            domain.withUTF8 { host in Self.name(pattern[...], covers: host[...]) }
        }
    }

    private static func name(
        _ pattern: Slice<UnsafeBufferPointer<UInt8>>,
        covers host: Slice<UnsafeBufferPointer<UInt8>>
    )
        -> Bool
    {
        var pattern = pattern
        if pattern.last == UInt8(ascii: ".") {
            pattern = pattern.dropLast()
        }
        if pattern.equalsIgnoringASCIICase(lowercase: host) { return true }
        guard pattern.count > 2, pattern[pattern.startIndex] == UInt8(ascii: "*"),
            pattern[pattern.startIndex + 1] == UInt8(ascii: "."),
            let firstDot = host.firstIndex(of: UInt8(ascii: ".")), firstDot > host.startIndex
        else { return false }
        return pattern.dropFirst().equalsIgnoringASCIICase(lowercase: host[firstDot...])
    }

    private static func dnsNames(of leaf: Certificate) throws(CertificateValidationError) -> [String] {
        let names: SubjectAlternativeNames?
        do {
            names = try leaf.extensions.subjectAlternativeNames
        } catch {
            throw CertificateValidationError(
                code: .malformedCertificate,
                message: "the subject alternative names extension cannot be parsed: \(error)"
            )
        }
        let dnsNames = (names ?? SubjectAlternativeNames()).compactMap { name -> String? in
            guard case .dnsName(let dnsName) = name else { return nil }
            return dnsName.lowercased()
        }
        // Browsers ignore the subject's common name, so a certificate without DNS names serves no one.
        guard !dnsNames.isEmpty else {
            throw CertificateValidationError(
                code: .noSubjectAlternativeNames,
                message: "the certificate has no DNS names in its subject alternative names"
            )
        }
        return dnsNames
    }
}

/// Why an uploaded certificate and key were refused.
///
/// `code` is stable for programs (the admin API maps it to a problem type); `message` explains
/// the failure to the tenant in one sentence.
public struct CertificateValidationError: Error, Hashable, CustomStringConvertible {
    /// The check that failed.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case malformedCertificate
            case malformedPrivateKey
            case keyMismatch
            case noSubjectAlternativeNames
            case domainNotCovered
            case notYetValid
            case expired
            case invalidDomain
        }

        private let base: Base

        private init(_ base: Base) { self.base = base }

        /// The chain is empty, not PEM, or not X.509.
        public static let malformedCertificate = Self(.malformedCertificate)
        /// The key is not PEM or not a supported key type.
        public static let malformedPrivateKey = Self(.malformedPrivateKey)
        /// The key does not belong to the leaf certificate.
        public static let keyMismatch = Self(.keyMismatch)
        /// The leaf has no DNS subject alternative names.
        public static let noSubjectAlternativeNames = Self(.noSubjectAlternativeNames)
        /// None of the leaf's names covers the domain.
        public static let domainNotCovered = Self(.domainNotCovered)
        /// The leaf's validity starts in the future.
        public static let notYetValid = Self(.notYetValid)
        /// The leaf's validity has ended.
        public static let expired = Self(.expired)
        /// The domain the certificate is for is not a valid host name.
        public static let invalidDomain = Self(.invalidDomain)

        public var description: String { self.base.rawValue }
    }

    /// The check that failed.
    public var code: Code
    /// One sentence for the person who uploaded the certificate.
    public var message: String

    public var description: String { "\(self.code): \(self.message)" }
}
