import ArgumentParser
import Edge
import Foundation

/// `edge certs …`: certificates for the HTTPS listener.
struct CertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "certs",
        abstract: "Create certificates for the HTTPS listener.",
        subcommands: [Dev.self]
    )

    struct Dev: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a development CA and a wildcard certificate for the platform domain.",
            discussion: """
                Files already in the directory are reused while they are valid for the domain, so a CA \
                you have trusted keeps working; the platform certificate is replaced when it has expired \
                or was made for another domain.
                """
        )

        @Option(help: "The directory to write the PEM files to.")
        var out = "./certs"

        @Option(help: "The platform domain; tenants are served on its subdomains.")
        var domain = "localhost"

        func run() async throws {
            let outcome: DevelopmentCertificates.Outcome
            do {
                outcome = try DevelopmentCertificates.ensure(in: self.out, domain: self.domain)
            } catch let error as DevelopmentCertificateError {
                throw ValidationError(error.message)
            }
            let expiry = outcome.notValidAfter.formatted(.iso8601)
            print("\(outcome.certificateAuthority.rawValue): \(outcome.caCertificatePath) (development CA)")
            print(
                "\(outcome.platformCertificate.rawValue): \(outcome.certificateChainPath) and \(outcome.privateKeyPath)"
            )
            print("  names: \(outcome.names.joined(separator: ", "))")
            print("  valid until: \(expiry)")
            print("")
            print("Trust the CA to browse the stores without warnings:")
            print("  curl --cacert \(outcome.caCertificatePath) https://acme.\(outcome.domain):8443/")
            print("  or import \(outcome.caCertificatePath) into your browser or system trust store")
            if !outcome.domain.contains(".") {
                // OpenSSL and BoringSSL ignore `*.localhost`; say so before someone debugs it.
                print(
                    "Note: TLS clients ignore *.\(outcome.domain); serve tenant hosts with certificates this CA signs per host."
                )
            }
            print("Keep \(DevelopmentCertificates.caKeyFile) private: it can sign certificates for any name.")
        }
    }
}
