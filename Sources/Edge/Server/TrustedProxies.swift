import Foundation

/// The client addresses whose `X-Forwarded-*` headers the server believes.
///
/// A load balancer in front of the edge connects from its own address and names the shopper in
/// `X-Forwarded-For`; anyone else could write those headers too, so they are ignored unless
/// the peer is in this list.
public struct TrustedProxies: Sendable, Hashable {
    let networks: [IPNetwork]

    /// Nobody is trusted: `X-Forwarded-*` are always ignored.
    public static let none = TrustedProxies(networks: [])

    private init(networks: [IPNetwork]) {
        self.networks = networks
    }

    /// Parses addresses and networks such as `10.0.0.0/8`, `127.0.0.1`, `::1` or `fd00::/8`.
    ///
    /// - Throws: ``TrustedProxyError`` naming the first entry that is not an address or network.
    public init(parsing entries: [String]) throws(TrustedProxyError) {
        var networks: [IPNetwork] = []
        for entry in entries {
            switch IPNetwork.parse(entry) {
            case .success(let network): networks.append(network)
            case .failure(let error): throw TrustedProxyError(entry: entry, reason: error.reason)
            }
        }
        self.init(networks: networks)
    }

    /// Whether a peer address (as NIO prints it, without a port) is trusted.
    public func contains(_ address: String) -> Bool {
        guard !self.networks.isEmpty, let bytes = IPNetwork.addressBytes(address) else { return false }
        return self.networks.contains { $0.contains(bytes) }
    }

    /// The shopper's address from an `X-Forwarded-For` chain: the rightmost entry that is not
    /// itself a trusted proxy, because every proxy appends the address it saw and only the
    /// entries added by trusted proxies can be believed.
    func forwardedClient(in forwardedFor: String) -> String? {
        for hop in HeaderList(forwardedFor).map(String.init).reversed() {
            guard IPNetwork.addressBytes(hop) != nil else { return nil }
            if !self.contains(hop) { return hop }
        }
        return nil
    }
}

/// A trusted-proxy entry that is not an address or network.
public struct TrustedProxyError: Error, Hashable, CustomStringConvertible {
    /// The entry as given.
    public var entry: String
    /// Why it was refused.
    public var reason: String

    public var description: String { "trusted proxy '\(self.entry)': \(self.reason)" }
}
