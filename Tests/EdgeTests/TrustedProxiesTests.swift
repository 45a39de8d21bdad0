import Testing

@testable import Edge

@Suite("Trusted proxies and X-Forwarded-For")
struct TrustedProxiesTests {
    @Test func addressesAndNetworksMatchByPrefix() throws {
        let proxies = try TrustedProxies(parsing: ["10.0.0.0/8", "192.168.1.7", "fd00::/8", "::1"])
        #expect(proxies.contains("10.200.3.4"))
        #expect(!proxies.contains("11.0.0.1"))
        #expect(proxies.contains("192.168.1.7"))
        #expect(!proxies.contains("192.168.1.8"))
        #expect(proxies.contains("fd12:3456::1"))
        #expect(proxies.contains("::1"))
        #expect(!proxies.contains("::2"))
        #expect(!proxies.contains("not an address"))
        #expect(!TrustedProxies.none.contains("127.0.0.1"))
    }

    @Test(arguments: ["10.0.0.0/33", "300.1.1.1", "example.com", "::1/129", "10.0.0.0/x", ""])
    func badEntriesAreRefusedByName(entry: String) {
        #expect(throws: TrustedProxyError.self) { try TrustedProxies(parsing: [entry]) }
    }

    @Test func theShopperIsTheRightmostUntrustedHop() throws {
        let proxies = try TrustedProxies(parsing: ["10.0.0.0/8"])
        #expect(proxies.forwardedClient(in: "203.0.113.9") == "203.0.113.9")
        #expect(proxies.forwardedClient(in: "1.1.1.1, 203.0.113.9, 10.0.0.2") == "203.0.113.9")
        #expect(proxies.forwardedClient(in: "10.0.0.3, 10.0.0.2") == nil)
        #expect(proxies.forwardedClient(in: "1.1.1.1, garbage") == nil)
    }

    @Test func forwardedHeadersCountOnlyFromATrustedPeer() throws {
        let proxies = try TrustedProxies(parsing: ["127.0.0.1"])
        let trusted = ConnectionContext(
            peerAddress: "127.0.0.1",
            serverName: nil,
            certificate: nil,
            trustedProxies: proxies
        )
        #expect(trusted.clientAddress(forwardedFor: "198.51.100.4") == "198.51.100.4")
        #expect(trusted.clientAddress(forwardedFor: nil) == "127.0.0.1")
        let stranger = ConnectionContext(
            peerAddress: "198.51.100.9",
            serverName: nil,
            certificate: nil,
            trustedProxies: proxies
        )
        #expect(!stranger.peerIsTrustedProxy)
        #expect(stranger.clientAddress(forwardedFor: "1.2.3.4") == "198.51.100.9")
    }
}
