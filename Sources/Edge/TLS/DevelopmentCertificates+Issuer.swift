import Crypto
public import Foundation
import NIOSSL
import SwiftASN1
import X509

/// Signs a certificate for one exact host name with the development CA, for the SNI callback.
///
/// OpenSSL and BoringSSL (so `curl`, and servers' clients built on them) refuse a wildcard
/// directly under a single-label name: `*.localhost` does not cover `acme.localhost` for them.
/// With the default platform domain `localhost`, ``CertificateStore`` therefore asks this
/// issuer for a certificate naming the tenant host itself, and caches it.
public struct DevelopmentIssuer: Sendable, Hashable {
    let authority: Certificate
    let key: Certificate.PrivateKey

    /// Creates an issuer from the CA files ``DevelopmentCertificates/ensure(in:domain:now:)`` wrote.
    ///
    /// - Throws: ``DevelopmentCertificateError`` with code `invalidAuthority` when the PEM does not parse or the key doesn't match.
    public init(certificateAuthorityPEM: String, privateKeyPEM: String) throws(DevelopmentCertificateError) {
        guard let authority = try? Certificate(pemEncoded: certificateAuthorityPEM),
            let key = try? Certificate.PrivateKey(pemEncoded: privateKeyPEM),
            key.publicKey == authority.publicKey
        else {
            throw DevelopmentCertificateError(
                code: .invalidAuthority,
                message: "the development CA certificate or key does not parse, or they don't match"
            )
        }
        self.authority = authority
        self.key = key
    }

    init(authority: Certificate, key: Certificate.PrivateKey) {
        self.authority = authority
        self.key = key
    }

    /// A certificate for exactly `hostName`, chained to the CA, valid like a platform certificate.
    public func issue(for hostName: String, now: Date = Date()) throws -> CertificateBundle {
        let hostName = normalisedDomain(hostName)
        let pair = try self.leaf(for: [hostName], now: now)
        return CertificateBundle(
            certificateChain: try pair.chain.map {
                try NIOSSLCertificate(bytes: $0.serializeAsPEM().derBytes, format: .der)
            },
            privateKey: try NIOSSLPrivateKey(bytes: Array(pair.key.serializeAsPEM().pemString.utf8), format: .pem),
            dnsNames: [hostName],
            notValidBefore: pair.chain[0].notValidBefore,
            notValidAfter: pair.chain[0].notValidAfter
        )
    }

    /// A certificate for the given host names as PEM text (leaf then CA, and the key), the form
    /// an operator uploads for a custom domain.
    public func issuePEM(
        for hostNames: [String],
        now: Date = Date()
    ) throws -> (chainPEM: String, privateKeyPEM: String) {
        let pair = try self.leaf(for: hostNames.map(normalisedDomain), now: now)
        return (
            try pair.chain.map { try $0.serializeAsPEM().pemString }.joined(separator: "\n") + "\n",
            try pair.key.serializeAsPEM().pemString + "\n"
        )
    }

    private func leaf(for hostNames: [String], now: Date) throws -> DevelopmentCertificates.Pair {
        try DevelopmentCertificates.makeLeaf(
            names: hostNames.map { .dnsName($0) },
            commonName: hostNames[0],
            issuer: DevelopmentCertificates.Pair(chain: [self.authority], key: self.key),
            now: now
        )
    }
}
