import Foundation

/// The client addresses whose `X-Forwarded-*` headers the server believes.
///
/// A load balancer in front of the edge connects from its own address and names the shopper in
/// `X-Forwarded-For`; anyone else could write those headers too, so they are ignored unless
/// the peer is in this list. Written by hand because the only need is prefix matching of
/// parsed `inet_pton` bytes, which no maintained package offers on its own.
public struct TrustedProxies: Sendable, Hashable {
    /// One trusted network: an address and a prefix length.
    struct Network: Sendable, Hashable {
        var address: [UInt8]
        var prefixLength: Int

        func contains(_ candidate: [UInt8]) -> Bool {
            guard candidate.count == self.address.count else { return false }
            var remaining = self.prefixLength
            for (mine, theirs) in zip(self.address, candidate) where remaining > 0 {
                let bits = min(remaining, 8)
                let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
                if mine & mask != theirs & mask { return false }
                remaining -= bits
            }
            return true
        }
    }

    let networks: [Network]

    /// Nobody is trusted: `X-Forwarded-*` are always ignored.
    public static let none = TrustedProxies(networks: [])

    private init(networks: [Network]) {
        self.networks = networks
    }

    /// Parses addresses and networks such as `10.0.0.0/8`, `127.0.0.1`, `::1` or `fd00::/8`.
    ///
    /// - Throws: ``TrustedProxyError`` naming the first entry that is not an address or network.
    public init(parsing entries: [String]) throws(TrustedProxyError) {
        var networks: [Network] = []
        for entry in entries {
            let parts = entry.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard let address = Self.addressBytes(String(parts[0])) else {
                throw TrustedProxyError(entry: entry, reason: "not an IPv4 or IPv6 address")
            }
            var prefixLength = address.count * 8
            if parts.count == 2 {
                guard let length = Int(parts[1]), (0...address.count * 8).contains(length) else {
                    throw TrustedProxyError(entry: entry, reason: "the prefix length must be 0…\(address.count * 8)")
                }
                prefixLength = length
            }
            networks.append(Network(address: address, prefixLength: prefixLength))
        }
        self.init(networks: networks)
    }

    /// Whether a peer address (as NIO prints it, without a port) is trusted.
    public func contains(_ address: String) -> Bool {
        guard !self.networks.isEmpty, let bytes = Self.addressBytes(address) else { return false }
        return self.networks.contains { $0.contains(bytes) }
    }

    /// The shopper's address from an `X-Forwarded-For` chain: the rightmost entry that is not
    /// itself a trusted proxy, because every proxy appends the address it saw and only the
    /// entries added by trusted proxies can be believed.
    func forwardedClient(in forwardedFor: String) -> String? {
        for hop in HeaderList(forwardedFor).map(String.init).reversed() {
            guard Self.addressBytes(hop) != nil else { return nil }
            if !self.contains(hop) { return hop }
        }
        return nil
    }

    static func addressBytes(_ text: String) -> [UInt8]? {
        if text.contains(":") {
            var address = in6_addr()
            guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
            return withUnsafeBytes(of: &address) { Array($0) }
        }
        var address = in_addr()
        guard inet_pton(AF_INET, text, &address) == 1 else { return nil }
        return withUnsafeBytes(of: &address) { Array($0) }
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
