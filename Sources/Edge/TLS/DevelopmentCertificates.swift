import Crypto
public import Foundation
import SwiftASN1
import X509

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A development certificate authority and a certificate for the platform domain signed by it.
///
/// `edge certs dev` and a first `edge serve` without certificates call
/// ``ensure(in:domain:now:)``: it writes four PEM files into a directory and, on later calls,
/// reuses what is still good, so that a CA a developer has already trusted keeps working.
///
/// | File | Content |
/// |---|---|
/// | `dev-ca.pem` | the CA certificate (trust this one) |
/// | `dev-ca-key.pem` | the CA's private key (mode 0600) |
/// | `platform.pem` | the platform certificate followed by the CA certificate |
/// | `platform-key.pem` | the platform certificate's private key (mode 0600) |
///
/// The platform certificate names `<domain>` and `*.<domain>`; for `localhost` it also names
/// `localhost`, `127.0.0.1` and `::1`.
public enum DevelopmentCertificates {
    /// The CA certificate's file name.
    public static let caCertificateFile = "dev-ca.pem"
    /// The CA private key's file name.
    public static let caKeyFile = "dev-ca-key.pem"
    /// The platform certificate chain's file name (leaf first, then the CA).
    public static let certificateChainFile = "platform.pem"
    /// The platform private key's file name.
    public static let privateKeyFile = "platform-key.pem"

    /// How long a generated CA is valid.
    static let caLifetime: TimeInterval = 10 * 365 * 86_400
    /// Clients reject server certificates valid for longer than 398 days.
    static let leafLifetime: TimeInterval = 397 * 86_400
    /// A certificate this close to its end is replaced, so a running server never serves one that expires.
    static let renewalMargin: TimeInterval = 7 * 86_400
    /// Backdating absorbs clock skew between the machine that signs and the client that checks.
    static let backdating: TimeInterval = 3_600

    /// What ``DevelopmentCertificates/ensure(in:domain:now:)`` found and did.
    public struct Outcome: Sendable, Hashable {
        /// The directory the files are in.
        public var directory: String
        /// The platform domain the certificate was checked or made for.
        public var domain: String
        /// What happened to the CA files.
        public var certificateAuthority: Action
        /// What happened to the platform certificate files.
        public var platformCertificate: Action
        /// The names the platform certificate covers (DNS names and IP addresses).
        public var names: [String]
        /// The moment the platform certificate expires.
        public var notValidAfter: Date
        /// The platform certificate chain in PEM (leaf first).
        public var certificateChainPEM: String
        /// The platform private key in PEM.
        public var privateKeyPEM: String
        /// Signs per-host certificates with the CA; see ``CertificateStore/init(platformDomain:platformCertificate:developmentIssuer:)``.
        public var issuer: DevelopmentIssuer

        /// Path of ``DevelopmentCertificates/caCertificateFile`` in ``directory``.
        public var caCertificatePath: String { joined(self.directory, DevelopmentCertificates.caCertificateFile) }
        /// Path of ``DevelopmentCertificates/certificateChainFile`` in ``directory``.
        public var certificateChainPath: String {
            joined(self.directory, DevelopmentCertificates.certificateChainFile)
        }
        /// Path of ``DevelopmentCertificates/privateKeyFile`` in ``directory``.
        public var privateKeyPath: String { joined(self.directory, DevelopmentCertificates.privateKeyFile) }
    }

    /// What happened to one pair of files.
    public enum Action: String, Sendable, Hashable {
        /// The files were valid and were kept.
        case reused
        /// The files did not exist (or could not be read) and were created.
        case created
        /// The files existed but were expired, for another domain or not signed by the CA, and were replaced.
        case replaced
    }

    /// Makes sure `directory` holds a valid development CA and platform certificate for `domain`.
    ///
    /// The CA is kept whenever it still parses, matches its key and is valid, because replacing it
    /// makes every browser and `curl` that trusts it fail. The platform certificate is replaced
    /// when it is expired or about to expire, was made for another domain, or was not signed by
    /// the CA. Files are written to a temporary name, synced and renamed, so a crash never leaves
    /// a half-written key; keys are created with mode 0600.
    ///
    /// - Parameters:
    ///   - directory: Where the files live; created (mode 0700) if missing.
    ///   - domain: The platform domain, e.g. `localhost` or `shops.example.test`.
    ///   - now: The current time; tests pass another one to age the files.
    public static func ensure(in directory: String, domain: String, now: Date = Date()) throws -> Outcome {
        let domain = normalisedDomain(domain)
        guard isValidHostName(domain) else {
            throw DevelopmentCertificateError(
                code: .invalidDomain,
                message: "'\(domain)' is not a valid DNS name for a platform domain"
            )
        }
        try createDirectory(directory)

        let caPath = joined(directory, caCertificateFile)
        let caKeyPath = joined(directory, caKeyFile)
        let existingCA = loadPair(certificatePath: caPath, keyPath: caKeyPath)
        let ca: Pair
        let caAction: Action
        if let existingCA, isUsableAuthority(existingCA.chain[0], now: now) {
            ca = existingCA
            caAction = .reused
        } else {
            caAction = fileExists(caPath) || fileExists(caKeyPath) ? .replaced : .created
            ca = try makeAuthority(now: now)
            try writeFile(caKeyPath, try ca.key.serializeAsPEM().pemString, mode: 0o600)
            try writeFile(caPath, try ca.chain[0].serializeAsPEM().pemString, mode: 0o644)
        }

        let leafPath = joined(directory, certificateChainFile)
        let leafKeyPath = joined(directory, privateKeyFile)
        let existingLeaf = loadPair(certificatePath: leafPath, keyPath: leafKeyPath)
        let leaf: Pair
        let leafAction: Action
        if let existingLeaf, isUsableLeaf(existingLeaf.chain[0], domain: domain, issuer: ca.chain[0], now: now) {
            leaf = existingLeaf
            leafAction = .reused
        } else {
            leafAction = fileExists(leafPath) || fileExists(leafKeyPath) ? .replaced : .created
            leaf = try makeLeaf(names: expectedNames(for: domain), commonName: domain, issuer: ca, now: now)
            try writeFile(leafKeyPath, try leaf.key.serializeAsPEM().pemString, mode: 0o600)
            try writeFile(leafPath, try pemChain(leaf.chain), mode: 0o644)
        }

        return Outcome(
            directory: directory,
            domain: domain,
            certificateAuthority: caAction,
            platformCertificate: leafAction,
            names: expectedNameDescriptions(for: domain),
            notValidAfter: leaf.chain[0].notValidAfter,
            certificateChainPEM: try pemChain(leaf.chain),
            privateKeyPEM: try leaf.key.serializeAsPEM().pemString,
            issuer: DevelopmentIssuer(authority: ca.chain[0], key: ca.key)
        )
    }

    /// The names a development certificate for `domain` carries, in order.
    static func expectedNames(for domain: String) -> [GeneralName] {
        var names: [GeneralName] = [.dnsName(domain), .dnsName("*.\(domain)")]
        if domain == "localhost" {
            names.append(.ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])))
            names.append(.ipAddress(ASN1OctetString(contentBytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])))
        }
        return names
    }

    /// ``expectedNames(for:)`` as an operator writes them.
    static func expectedNameDescriptions(for domain: String) -> [String] {
        domain == "localhost" ? [domain, "*.\(domain)", "127.0.0.1", "::1"] : [domain, "*.\(domain)"]
    }

    struct Pair {
        var chain: [Certificate]
        var key: Certificate.PrivateKey
    }

    private static func makeAuthority(now: Date) throws -> Pair {
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let name = try DistinguishedName {
            OrganizationName("Storefront Edge development")
            CommonName("Storefront Edge development CA")
        }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: key.publicKey,
            notValidBefore: now - backdating,
            notValidAfter: now + caLifetime,
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: key.publicKey)
            },
            issuerPrivateKey: key
        )
        return Pair(chain: [certificate], key: key)
    }

    static func makeLeaf(names: [GeneralName], commonName: String, issuer: Pair, now: Date) throws -> Pair {
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let authority = issuer.chain[0]
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: key.publicKey,
            notValidBefore: now - backdating,
            // A leaf never outlives the CA that vouches for it.
            notValidAfter: min(now + leafLifetime, authority.notValidAfter),
            issuer: authority.subject,
            subject: try DistinguishedName { CommonName(commonName) },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(names)
                SubjectKeyIdentifier(hash: key.publicKey)
                AuthorityKeyIdentifier(keyIdentifier: SubjectKeyIdentifier(hash: authority.publicKey).keyIdentifier)
            },
            issuerPrivateKey: issuer.key
        )
        return Pair(chain: [certificate, authority], key: key)
    }

    private static func isUsableAuthority(_ certificate: Certificate, now: Date) -> Bool {
        guard (try? certificate.extensions.basicConstraints) == .isCertificateAuthority(maxPathLength: 0) else {
            return false
        }
        return certificate.notValidBefore <= now && now + renewalMargin < certificate.notValidAfter
    }

    private static func isUsableLeaf(_ certificate: Certificate, domain: String, issuer: Certificate, now: Date) -> Bool
    {
        guard certificate.issuer == issuer.subject,
            issuer.publicKey.isValidSignature(certificate.signature, for: certificate),
            let names = try? certificate.extensions.subjectAlternativeNames,
            Array(names) == expectedNames(for: domain)
        else {
            return false
        }
        return certificate.notValidBefore <= now && now + renewalMargin < certificate.notValidAfter
    }

    /// Reads a certificate (chain) and its key; `nil` when either is missing, unreadable or they don't match.
    private static func loadPair(certificatePath: String, keyPath: String) -> Pair? {
        guard let chainPEM = try? String(contentsOfFile: certificatePath, encoding: .utf8),
            let keyPEM = try? String(contentsOfFile: keyPath, encoding: .utf8),
            let documents = try? PEMDocument.parseMultiple(pemString: chainPEM),
            let chain = try? documents.map({ try Certificate(pemDocument: $0) }),
            let first = chain.first,
            let key = try? Certificate.PrivateKey(pemEncoded: keyPEM),
            key.publicKey == first.publicKey
        else {
            return nil
        }
        return Pair(chain: chain, key: key)
    }

    private static func pemChain(_ chain: [Certificate]) throws -> String {
        try chain.map { try $0.serializeAsPEM().pemString + "\n" }.joined()
    }
}

/// An error from ``DevelopmentCertificates/ensure(in:domain:now:)``.
public struct DevelopmentCertificateError: Error, Hashable, CustomStringConvertible {
    /// What went wrong, for programs to switch on.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidDomain
            case invalidAuthority
            case fileSystem
        }

        private let base: Base

        private init(_ base: Base) { self.base = base }

        /// The platform domain is not a DNS name.
        public static let invalidDomain = Self(.invalidDomain)
        /// The CA certificate or key given to ``DevelopmentIssuer`` does not parse or match.
        public static let invalidAuthority = Self(.invalidAuthority)
        /// A directory or file could not be created, written or synced.
        public static let fileSystem = Self(.fileSystem)

        public var description: String { self.base.rawValue }
    }

    /// What went wrong.
    public var code: Code
    /// A sentence for the operator, naming the file or value involved.
    public var message: String

    public var description: String { "\(self.code): \(self.message)" }
}

/// Lowercases and drops one trailing dot, the forms in which DNS names compare equal.
func normalisedDomain(_ name: String) -> String {
    var name = name.lowercased()
    if name.hasSuffix(".") { name.removeLast() }
    return name
}

/// LDH labels of 1…63 bytes, 253 bytes in all: the names a certificate's dNSName may carry.
func isValidHostName(_ name: String) -> Bool {
    guard !name.isEmpty, name.utf8.count <= 253 else { return false }
    for label in name.split(separator: ".", omittingEmptySubsequences: false) {
        guard (1...63).contains(label.utf8.count), label.first != "-", label.last != "-" else { return false }
        for byte in label.utf8 {
            let isLetter = (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            let isDigit = (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            guard isLetter || isDigit || byte == UInt8(ascii: "-") else { return false }
        }
    }
    return true
}

private func joined(_ directory: String, _ file: String) -> String {
    directory.hasSuffix("/") ? directory + file : directory + "/" + file
}

private func fileExists(_ path: String) -> Bool {
    access(path, F_OK) == 0
}

private func fileSystemError(_ operation: String, _ path: String) -> DevelopmentCertificateError {
    DevelopmentCertificateError(
        code: .fileSystem,
        message: "\(operation) '\(path)' failed: \(String(cString: strerror(errno)))"
    )
}

private func createDirectory(_ path: String) throws {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
        return
    }
    do {
        try FileManager.default.createDirectory(
            atPath: path,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
    } catch {
        throw DevelopmentCertificateError(code: .fileSystem, message: "creating '\(path)' failed: \(error)")
    }
}

/// Writes through a temporary file, fsyncs it, renames it over `path` and fsyncs the directory,
/// so that after a crash `path` holds either the old or the new content, never a torn file.
private func writeFile(_ path: String, _ content: String, mode: mode_t) throws {
    let temporary = path + ".tmp"
    unlink(temporary)
    // O_EXCL with the final mode means the key is never readable by others, not even briefly.
    let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
    guard fd >= 0 else { throw fileSystemError("creating", temporary) }
    var closed = false
    defer {
        if !closed { close(fd) }
    }
    let bytes = Array(content.utf8)
    var written = 0
    while written < bytes.count {
        let result = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if result < 0 {
            if errno == EINTR { continue }
            throw fileSystemError("writing", temporary)
        }
        written += result
    }
    guard fsync(fd) == 0 else { throw fileSystemError("syncing", temporary) }
    closed = true
    guard close(fd) == 0 else { throw fileSystemError("closing", temporary) }
    guard rename(temporary, path) == 0 else { throw fileSystemError("renaming", temporary) }

    let slash = path.lastIndex(of: "/")
    let directory = slash.map { String(path[..<$0]) } ?? "."
    let directoryFD = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard directoryFD >= 0 else { throw fileSystemError("opening", directory) }
    defer { close(directoryFD) }
    guard fsync(directoryFD) == 0 else { throw fileSystemError("syncing", directory) }
}
