import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix

/// Where webhook deliveries may go.
///
/// Receivers are URLs that API callers choose, so without a guard a tenant could make the server
/// post to its own admin listener, to a cloud metadata service (`169.254.169.254`) or to anything
/// else on the operator's private network (server-side request forgery). Each attempt therefore
/// resolves the receiver's host itself, refuses an address that is not public unless private
/// networks are allowed, and connects to exactly the address it checked (the host name still
/// goes out as `Host` and as the TLS server name), so a DNS answer that changes between the
/// check and the connection cannot redirect it. Redirects are never followed.
extension WebhookDispatcher {
    /// Special-purpose ranges of the IANA IPv4 and IPv6 registries that no public receiver uses.
    static let nonPublicNetworks: [IPNetwork] = [
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",
        "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
        "::/127", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32", "fc00::/7", "fe80::/10", "ff00::/8",
    ].map(WebhookDispatcher.network)

    /// IPv6 ranges that carry an IPv4 address in their last four bytes (IPv4-mapped, NAT64),
    /// which is judged instead.
    private static let embeddingNetworks: [IPNetwork] = ["::ffff:0:0/96", "64:ff9b::/96"].map(WebhookDispatcher.network)

    private static func network(_ text: String) -> IPNetwork {
        guard case .success(let network) = IPNetwork.parse(text) else {
            preconditionFailure("\(text) is not a network")
        }
        return network
    }

    /// Whether `address` (4 or 16 bytes) is a public unicast address.
    static func isPublic(_ address: [UInt8]) -> Bool {
        if address.count == 16, Self.embeddingNetworks.contains(where: { $0.contains(address) }) {
            return Self.isPublic(Array(address.suffix(4)))
        }
        return !Self.nonPublicNetworks.contains { $0.contains(address) }
    }

    /// Every address the system resolver has for `host` (none when it does not resolve), on
    /// NIO's thread pool because `getaddrinfo` blocks.
    static func systemResolve(host: String) async -> [String] {
        (try? await NIOThreadPool.singleton.runIfActive { Host(name: host).addresses }) ?? []
    }

    /// A receiver URL taken apart: its host without IPv6 brackets and its port.
    struct Destination: Sendable, Hashable {
        var host: String
        var port: Int
        /// The address bytes when the host is an IP address literal.
        var literal: [UInt8]?

        init?(url: String) {
            guard let components = URLComponents(string: url),
                let scheme = components.scheme?.lowercased(), ["http", "https"].contains(scheme),
                var host = components.host, !host.isEmpty
            else { return nil }
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            self.host = host
            self.port = components.port ?? (scheme == "https" ? 443 : 80)
            self.literal = IPNetwork.addressBytes(host)
        }

        /// Why registration refuses this destination outright, when private networks are not
        /// allowed: an address literal that is not public, or a name that always means this
        /// machine. Other names are judged by their address at every attempt.
        var refusal: String? {
            if let literal = self.literal, !WebhookDispatcher.isPublic(literal) {
                return "\(self.host) is not a public address"
            }
            let name = self.host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "."))
            if name == "localhost" || name.hasSuffix(".localhost") {
                return "\(self.host) is this machine"
            }
            return nil
        }
    }

    /// What one attempt connects to, or why it may not.
    enum Connection {
        /// The addresses checked, in the resolver's order of preference, as text for
        /// `HTTPClient.Configuration.dnsOverride`.
        case pinned(addresses: [String])
        /// The destination is not public: retrying will not change that.
        case refused(String)
        /// The name did not resolve now; a later attempt may.
        case unresolved(String)
    }

    func connection(to destination: Destination) async -> Connection {
        if let refusal = destination.refusal, !self.configuration.allowPrivateNetworks {
            return .refused(refusal)
        }
        if destination.literal != nil {
            return .pinned(addresses: [destination.host])
        }
        let resolved = await self.configuration.resolve(destination.host)
        guard !resolved.isEmpty else { return .unresolved("\(destination.host) did not resolve") }
        // A name with public and private addresses is reached at its public ones only.
        let allowed = resolved.filter {
            self.configuration.allowPrivateNetworks || IPNetwork.addressBytes($0).map(Self.isPublic) == true
        }
        guard !allowed.isEmpty else {
            return .refused(
                "\(destination.host) resolves to \(resolved.joined(separator: ", ")), which is not a public address"
            )
        }
        return .pinned(addresses: allowed)
    }

    /// Whether `error` says no connection was made, so the request never left.
    static func isConnectionFailure(_ error: any Error) -> Bool {
        if error is NIOConnectionError || (error as? HTTPClientError) == .connectTimeout { return true }
        if case .connectTimeout = error as? ChannelError { return true }
        // These come only from `connect`; a connection that breaks later fails otherwise.
        if let error = error as? IOError {
            return [ECONNREFUSED, EHOSTUNREACH, ENETUNREACH].contains(error.errnoCode)
        }
        return false
    }

    /// A client that connects `host` to `address` only and follows no redirect; one per attempt,
    /// since the pinned address is part of its configuration.
    func pinnedClient(host: String, address: String) -> HTTPClient {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(5))
        )
        configuration.dnsOverride = [host: address]
        // A refused connection fails the attempt at once, for the next address or the next
        // attempt, instead of being retried until the attempt's timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }
}
