import NIOCore
import NIOHTTP1

/// Answers every plain-HTTP request with `301` to the same host and path on HTTPS.
///
/// The host comes from the network, so it is accepted only when it is a plain host name, an
/// IPv4 address or a bracketed IPv6 literal; anything else gets `400` rather than ending up in a
/// `Location` header. The port is replaced by the HTTPS listener's (left out when it is 443).
final class HTTPRedirectHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        case idle
        case redirecting(location: String?, keepAlive: Bool)
    }

    private let httpsPort: Int
    private var state = State.idle

    init(httpsPort: Int) {
        self.httpsPort = httpsPort
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (self.unwrapInboundIn(data), self.state) {
        case (.head(let head), .idle):
            let host = head.headers.first(name: "host").flatMap(Self.hostWithoutPort)
            let location = host.map { host in
                let port = self.httpsPort == 443 ? "" : ":\(self.httpsPort)"
                let path = head.uri.hasPrefix("/") ? head.uri : "/"
                return "https://\(host)\(port)\(path)"
            }
            self.state = .redirecting(location: location, keepAlive: head.isKeepAlive)
        case (.body, _), (.head, .redirecting), (.end, .idle):
            break
        case (.end, .redirecting(let location, let keepAlive)):
            self.state = .idle
            var headers = HTTPHeaders([("content-length", "0")])
            if let location {
                headers.add(name: "location", value: location)
            }
            if !keepAlive || location == nil {
                headers.add(name: "connection", value: "close")
            }
            let status: HTTPResponseStatus = location == nil ? .badRequest : .movedPermanently
            context.write(
                self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))),
                promise: nil
            )
            let written = context.writeAndFlush(self.wrapOutboundOut(.end(nil)))
            if !keepAlive || location == nil {
                written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is StorefrontServer.QuiesceEvent, case .idle = self.state {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// The host part of a `Host` header, lowercased, or `nil` when it is not a safe host.
    static func hostWithoutPort(_ value: String) -> String? {
        let value = value.lowercased()
        let host: Substring
        if value.hasPrefix("[") {
            guard let close = value.firstIndex(of: "]") else { return nil }
            host = value[...close]
            guard host.dropFirst().dropLast().allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                return nil
            }
        } else {
            host = value.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)[0]
            let allowed = host.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" || $0 == "." }
            guard allowed else { return nil }
        }
        return host.isEmpty ? nil : String(host)
    }
}

@available(*, unavailable)
extension HTTPRedirectHandler: Sendable {}
