import Edge
import Foundation
import SwiftASN1
import Testing
import X509

@Suite("Development certificates")
struct DevelopmentCertificateTests {
    @Test func generatedChainVerifiesForPlatformNames() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let outcome = try DevelopmentCertificates.ensure(in: directory, domain: "localhost")
        #expect(outcome.certificateAuthority == .created)
        #expect(outcome.platformCertificate == .created)

        let ca = try #require(try certificates(inPEM: read(outcome.caCertificatePath)).first)
        let chain = try certificates(inPEM: read(outcome.certificateChainPath))
        #expect(chain.count == 2)
        #expect(chain[1] == ca)
        let leaf = chain[0]

        #expect(try ca.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: 0))
        #expect(try ca.extensions.keyUsage?.keyCertSign == true)
        #expect(ca.notValidAfter.timeIntervalSince(ca.notValidBefore) > 9.9 * 365 * 86_400)
        #expect(try leaf.extensions.basicConstraints == .notCertificateAuthority)
        #expect(try leaf.extensions.extendedKeyUsage?.contains(.serverAuth) == true)
        #expect(leaf.notValidAfter.timeIntervalSince(leaf.notValidBefore) <= 398 * 86_400)
        let names = try #require(try leaf.extensions.subjectAlternativeNames)
        #expect(
            Array(names) == [
                .dnsName("localhost"), .dnsName("*.localhost"),
                .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
                .ipAddress(ASN1OctetString(contentBytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])),
            ]
        )
        #expect(outcome.names == ["localhost", "*.localhost", "127.0.0.1", "::1"])

        for (hostname, ip) in [("acme.localhost", nil), ("localhost", nil), (nil, "127.0.0.1"), (nil, "::1")] {
            var verifier = Verifier(rootCertificates: X509.CertificateStore([ca])) {
                RFC5280Policy(validationTime: Date())
                ServerIdentityPolicy(serverHostname: hostname, serverIP: ip)
            }
            let result = await verifier.validate(leaf: leaf, intermediates: X509.CertificateStore([ca]))
            guard case .validCertificate = result else {
                Issue.record("\(hostname ?? ip ?? "") did not verify: \(result)")
                continue
            }
        }
        var wrongName = Verifier(rootCertificates: X509.CertificateStore([ca])) {
            RFC5280Policy(validationTime: Date())
            ServerIdentityPolicy(serverHostname: "a.b.localhost", serverIP: nil)
        }
        guard case .couldNotValidate = await wrongName.validate(leaf: leaf, intermediates: X509.CertificateStore())
        else {
            Issue.record("a wildcard must not cover two labels")
            return
        }
    }

    @Test func otherDomainHasNoLoopbackNamesAndKeysArePrivate() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let outcome = try DevelopmentCertificates.ensure(in: directory, domain: "Shops.Example.Test.")
        #expect(outcome.domain == "shops.example.test")
        let leaf = try #require(try certificates(inPEM: read(outcome.certificateChainPath)).first)
        let names = try #require(try leaf.extensions.subjectAlternativeNames)
        #expect(Array(names) == [.dnsName("shops.example.test"), .dnsName("*.shops.example.test")])

        for file in [DevelopmentCertificates.caKeyFile, DevelopmentCertificates.privateKeyFile] {
            let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/" + file)
            #expect((attributes[.posixPermissions] as? Int) == 0o600, "\(file)")
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
    }

    @Test func rejectsInvalidDomain() {
        #expect(throws: DevelopmentCertificateError.self) {
            try DevelopmentCertificates.ensure(in: temporaryDirectory(), domain: "bad domain/..")
        }
    }

    @Test func reusesValidFilesAndRegeneratesOnlyTheLeaf() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try DevelopmentCertificates.ensure(in: directory, domain: "localhost")
        let caPEM = try read(first.caCertificatePath)
        let leafPEM = try read(first.certificateChainPath)

        let again = try DevelopmentCertificates.ensure(in: directory, domain: "localhost")
        #expect(again.certificateAuthority == .reused)
        #expect(again.platformCertificate == .reused)
        #expect(try read(again.certificateChainPath) == leafPEM)
        #expect(again.certificateChainPEM == leafPEM)

        let otherDomain = try DevelopmentCertificates.ensure(in: directory, domain: "shops.example.test")
        #expect(otherDomain.certificateAuthority == .reused)
        #expect(otherDomain.platformCertificate == .replaced)
        #expect(try read(otherDomain.caCertificatePath) == caPEM)
        #expect(try read(otherDomain.certificateChainPath) != leafPEM)
    }

    @Test func expiredLeafIsReplacedUnderTheSameAuthority() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let twoYearsAgo = Date() - 2 * 365 * 86_400
        let old = try DevelopmentCertificates.ensure(in: directory, domain: "localhost", now: twoYearsAgo)
        #expect(old.notValidAfter < Date())
        let caPEM = try read(old.caCertificatePath)

        let renewed = try DevelopmentCertificates.ensure(in: directory, domain: "localhost")
        #expect(renewed.certificateAuthority == .reused)
        #expect(renewed.platformCertificate == .replaced)
        #expect(renewed.notValidAfter > Date() + 300 * 86_400)
        #expect(try read(renewed.caCertificatePath) == caPEM)
        let ca = try #require(try certificates(inPEM: caPEM).first)
        let leaf = try #require(try certificates(inPEM: renewed.certificateChainPEM).first)
        #expect(ca.publicKey.isValidSignature(leaf.signature, for: leaf))
    }

    @Test func damagedAuthorityIsReplacedTogetherWithTheLeaf() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try DevelopmentCertificates.ensure(in: directory, domain: "localhost")
        let firstCA = try read(first.caCertificatePath)
        try "not a key".write(
            toFile: directory + "/" + DevelopmentCertificates.caKeyFile,
            atomically: true,
            encoding: .utf8
        )

        let repaired = try DevelopmentCertificates.ensure(in: directory, domain: "localhost")
        #expect(repaired.certificateAuthority == .replaced)
        #expect(repaired.platformCertificate == .replaced)
        #expect(try read(repaired.caCertificatePath) != firstCA)
    }
}

@Suite("Uploaded certificate validation")
struct CertificateValidationTests {
    @Test func acceptsAMatchingChain() throws {
        let authority = try TestAuthority()
        let upload = try authority.issue(dnsNames: ["Shop.Example.com", "www.shop.example.com"])
        let bundle = try CertificateBundle.validated(
            chainPEM: upload.chainPEM,
            privateKeyPEM: upload.keyPEM,
            for: "shop.example.com."
        )
        #expect(bundle.certificateChain.count == 2)
        #expect(bundle.dnsNames == ["shop.example.com", "www.shop.example.com"])
        #expect(bundle.notValidAfter == upload.leaf.notValidAfter)
    }

    @Test func wildcardCoversExactlyOneLabel() throws {
        let authority = try TestAuthority()
        let upload = try authority.issue(dnsNames: ["*.example.com"])
        for (domain, covered) in [
            ("shop.example.com", true), ("a.b.example.com", false), ("example.com", false), ("shop.example.org", false),
        ] {
            let code = validationCode { () throws(CertificateValidationError) in
                _ = try CertificateBundle.validated(
                    chainPEM: upload.chainPEM,
                    privateKeyPEM: upload.keyPEM,
                    for: domain
                )
            }
            #expect(code == (covered ? nil : .domainNotCovered), "\(domain)")
        }
    }

    @Test func rejectsWithACodePerFailedCheck() throws {
        let authority = try TestAuthority()
        let good = try authority.issue(dnsNames: ["shop.example.com"])
        let other = try authority.issue(dnsNames: ["shop.example.com"])
        let expired = try authority.issue(
            dnsNames: ["shop.example.com"],
            notValidBefore: Date() - 86_400 * 100,
            notValidAfter: Date() - 86_400
        )
        let future = try authority.issue(dnsNames: ["shop.example.com"], notValidBefore: Date() + 86_400)
        let noNames = try authority.issue(dnsNames: [])

        let cases: [(String, String, String, CertificateValidationError.Code)] = [
            ("garbage", good.keyPEM, "shop.example.com", .malformedCertificate),
            ("", good.keyPEM, "shop.example.com", .malformedCertificate),
            (good.chainPEM, "garbage", "shop.example.com", .malformedPrivateKey),
            (good.chainPEM, other.keyPEM, "shop.example.com", .keyMismatch),
            (good.chainPEM, good.keyPEM, "other.example.com", .domainNotCovered),
            (good.chainPEM, good.keyPEM, "bad name!", .invalidDomain),
            (noNames.chainPEM, noNames.keyPEM, "shop.example.com", .noSubjectAlternativeNames),
            (expired.chainPEM, expired.keyPEM, "shop.example.com", .expired),
            (future.chainPEM, future.keyPEM, "shop.example.com", .notYetValid),
        ]
        for (chainPEM, keyPEM, domain, expected) in cases {
            let code = validationCode { () throws(CertificateValidationError) in
                _ = try CertificateBundle.validated(chainPEM: chainPEM, privateKeyPEM: keyPEM, for: domain)
            }
            #expect(code == expected)
        }
    }
}
