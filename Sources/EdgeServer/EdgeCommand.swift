import ArgumentParser

/// The `edge` command: the server and its operator tools.
@main
struct EdgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edge",
        abstract: "Storefront Edge: one process that serves every tenant's online store.",
        subcommands: [ServeCommand.self, TokenCommand.self, StoreCommand.self, CertsCommand.self]
    )
}
