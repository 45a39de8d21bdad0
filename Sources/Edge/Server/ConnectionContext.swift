/// What every request on one HTTPS connection shares: the peer, the server name the TLS
/// handshake asked for, and the certificate it got.
///
/// Built once per connection after the handshake, so the per-request work is reading it. A
/// class, so that handing it to a request is one retain rather than one per field: as a
/// struct, each request copied its certificate bundle, addresses and observer.
final class ConnectionContext: Sendable {
    /// The peer's address, without the port.
    let peerAddress: String?
    /// The SNI server name, when the client sent one.
    let serverName: String?
    /// The certificate the handshake served, when the server knows the certificate store; used
    /// to answer 421 for a request whose host that certificate does not cover.
    let certificate: CertificateBundle?
    /// Whether the peer may speak for the shopper through `X-Forwarded-*`.
    let peerIsTrustedProxy: Bool
    /// The trusted networks, for walking `X-Forwarded-For`.
    let trustedProxies: TrustedProxies
    /// Where responses are counted and logged.
    let observer: ResponseObserver

    init(
        peerAddress: String?,
        serverName: String?,
        certificate: CertificateBundle?,
        trustedProxies: TrustedProxies,
        observer: ResponseObserver = ResponseObserver()
    ) {
        self.peerAddress = peerAddress
        self.serverName = serverName
        self.certificate = certificate
        self.trustedProxies = trustedProxies
        self.observer = observer
        self.peerIsTrustedProxy = peerAddress.map(trustedProxies.contains) ?? false
    }

    /// The shopper's address: the peer, or for a trusted proxy the client it names.
    func clientAddress(forwardedFor: String?) -> String? {
        guard self.peerIsTrustedProxy, let forwardedFor,
            let client = self.trustedProxies.forwardedClient(in: forwardedFor)
        else { return self.peerAddress }
        return client
    }

    /// Whether a request for `host` on this connection must be answered 421 Misdirected
    /// Request: the client named a server in SNI and got a certificate that does not cover the
    /// request's host, as happens when HTTP/2 connection reuse sends one tenant's request over
    /// another tenant's connection. Without SNI the client checked no name, so nothing is refused;
    /// a trusted proxy names the shopper's host, not its own; an unparseable host (`nil`) is
    /// left to the responder, which answers 400 or 404.
    func isMisdirected(host: HostName?) -> Bool {
        guard self.serverName != nil, !self.peerIsTrustedProxy, let certificate = self.certificate, let host
        else { return false }
        return !certificate.covers(host.value)
    }
}
