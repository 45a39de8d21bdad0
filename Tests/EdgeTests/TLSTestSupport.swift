import Crypto
import Edge
import Foundation
import SwiftASN1
import Testing
import X509

/// A CA and leaves made in the test process, so no key is ever committed (the swift-nio-ssl `TestChain` habit).
struct TestAuthority {
    let certificate: Certificate
    let key: Certificate.PrivateKey

    init(name: String = "Test CA") throws {
        self.key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let subject = try DistinguishedName { CommonName(name) }
        self.certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: self.key.publicKey,
            notValidBefore: Date() - 86_400 * 1_000,
            notValidAfter: Date() + 86_400 * 1_000,
            issuer: subject,
            subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true))
            },
            issuerPrivateKey: self.key
        )
    }

    var pem: String {
        get throws { try self.certificate.serializeAsPEM().pemString }
    }

    /// A leaf's chain and key in PEM, as a tenant would upload them.
    func issue(
        dnsNames: [String],
        notValidBefore: Date = Date() - 60,
        notValidAfter: Date = Date() + 86_400 * 90
    ) throws -> IssuedCertificate {
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let leaf = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: key.publicKey,
            notValidBefore: notValidBefore,
            notValidAfter: notValidAfter,
            issuer: self.certificate.subject,
            subject: try DistinguishedName { CommonName(dnsNames.first ?? "no-san") },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                try ExtendedKeyUsage([.serverAuth])
                if !dnsNames.isEmpty {
                    SubjectAlternativeNames(dnsNames.map { .dnsName($0) })
                }
            },
            issuerPrivateKey: self.key
        )
        let chainPEM = try leaf.serializeAsPEM().pemString + "\n" + self.pem + "\n"
        return IssuedCertificate(chainPEM: chainPEM, keyPEM: try key.serializeAsPEM().pemString, leaf: leaf)
    }
}

/// What a tenant uploads, plus the parsed leaf for comparisons.
struct IssuedCertificate {
    var chainPEM: String
    var keyPEM: String
    var leaf: Certificate

    var leafDER: [UInt8] {
        get throws { try self.leaf.derBytes }
    }

    /// The chain and key as the store serves them, validated for `domain`.
    func bundle(for domain: String) throws -> CertificateBundle {
        try CertificateBundle.validated(chainPEM: self.chainPEM, privateKeyPEM: self.keyPEM, for: domain)
    }
}

extension Edge.CertificateStore {
    /// Installs `issued` for a custom domain, as an upload does.
    func install(_ issued: IssuedCertificate, forCustomDomain domain: String) throws {
        try self.installCertificate(chainPEM: issued.chainPEM, privateKeyPEM: issued.keyPEM, forCustomDomain: domain)
    }
}

func temporaryDirectory() -> String {
    NSTemporaryDirectory() + "edge-tls-" + UUID().uuidString
}

func read(_ path: String) throws -> String {
    try String(contentsOfFile: path, encoding: .utf8)
}

func certificates(inPEM pem: String) throws -> [Certificate] {
    try PEMDocument.parseMultiple(pemString: pem).map { try Certificate(pemDocument: $0) }
}

/// The leaf of a PEM chain in DER, to compare with what a handshake served.
func leafDER(inPEM pem: String) throws -> [UInt8] {
    try #require(try certificates(inPEM: pem).first).derBytes
}

func validationCode(_ body: () throws(CertificateValidationError) -> Void) -> CertificateValidationError.Code? {
    do {
        try body()
        return nil
    } catch {
        return error.code
    }
}

extension Certificate {
    var derBytes: [UInt8] {
        get throws { try self.serializeAsPEM().derBytes }
    }
}
