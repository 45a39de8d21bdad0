import ArgumentParser
import Edge
import Foundation

/// `edge token`: prints an operator token signed with the instance's key.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Print an admin API token (JWT) signed with this instance's key.",
        discussion: """
            The signing key lives in DIR/\(OperatorTokens.keyFileName) (created on first use) or in \
            \(OperatorTokens.keyEnvironmentVariable). Send the token as 'Authorization: Bearer <token>'.
            """
    )

    @Option(name: .customLong("data-dir"), help: "The server's data directory.")
    var dataDirectory = "./data"

    @Option(help: "platform-admin, tenant-admin or viewer.")
    var role: String

    @Option(help: "The tenant id, for tenant-admin and viewer.")
    var tenant: String?

    @Option(help: "How long the token is valid: 30m, 1h, 7d… (at most 365d).")
    var ttl = "1h"

    @Option(help: "Who the token is for, recorded in the audit log.")
    var subject = NSUserName()

    func run() async throws {
        guard let role = Principal.Role(rawValue: self.role) else {
            throw ValidationError(
                "--role must be one of \(Principal.Role.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        let tenant: UUID?
        if let text = self.tenant {
            guard let id = UUID(uuidString: text) else {
                throw ValidationError("--tenant '\(text)' is not a tenant id")
            }
            tenant = id
        } else {
            tenant = nil
        }
        let lifetime = try Self.parseDuration(self.ttl)
        let tokens = try await OperatorTokens(dataDirectory: self.dataDirectory)
        do {
            print(try await tokens.sign(role: role, tenant: tenant, subject: self.subject, lifetime: lifetime))
        } catch let problem as AdminProblem {
            throw ValidationError(problem.detail)
        }
    }

    static func parseDuration(_ text: String) throws -> Duration {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        guard let unit = text.last, let scale = units[unit], let value = Int64(text.dropLast()), value > 0,
            value * scale <= 365 * 86_400
        else {
            throw ValidationError("--ttl '\(text)' is not a duration like 30m, 1h or 7d (at most 365d)")
        }
        return .seconds(value * scale)
    }
}
