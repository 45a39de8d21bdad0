import Foundation

/// An IPv4 or IPv6 network: an address and a prefix length, such as `10.0.0.0/8` or `fd00::/8`.
///
/// Written by hand because the only need is prefix matching of parsed `inet_pton` bytes, which
/// no maintained package offers on its own. Used for trusted proxies and for the webhook
/// destination guard.
struct IPNetwork: Sendable, Hashable {
    var address: [UInt8]
    var prefixLength: Int

    /// Parses `ADDRESS` or `ADDRESS/PREFIX`.
    ///
    /// - Returns: why the text is not a network, when it is not one.
    static func parse(_ text: String) -> Result<IPNetwork, IPNetworkSyntaxError> {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = Self.addressBytes(String(parts[0])) else {
            return .failure(IPNetworkSyntaxError(reason: "not an IPv4 or IPv6 address"))
        }
        var prefixLength = address.count * 8
        if parts.count == 2 {
            guard let length = Int(parts[1]), (0...address.count * 8).contains(length) else {
                return .failure(IPNetworkSyntaxError(reason: "the prefix length must be 0…\(address.count * 8)"))
            }
            prefixLength = length
        }
        return .success(IPNetwork(address: address, prefixLength: prefixLength))
    }

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

    /// The 4 or 16 bytes of an IPv4 or IPv6 address in text, or `nil`.
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

/// Why a text is not an IP address or network.
struct IPNetworkSyntaxError: Error, Hashable {
    var reason: String
}
