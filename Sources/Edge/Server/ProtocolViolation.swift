import NIOHTTP1

/// Bytes from a client that break the protocol, so that its connection cannot be read further:
/// what to answer before closing (an HTTP status, an HTTP/2 error code), and why, for the debug
/// log.
struct ProtocolViolation<Answer: Sendable>: Error, CustomStringConvertible {
    var answer: Answer
    var description: String

    init(_ answer: Answer, _ description: String) {
        self.answer = answer
        self.description = description
    }
}

/// A request HTTP/1.1 cannot read, answered with its status (RFC 9112).
typealias HTTP1RequestError = ProtocolViolation<HTTPResponseStatus>

/// A violation that ends an HTTP/2 connection with `GOAWAY` and its code (RFC 9113 §5.4.1).
typealias HTTP2ConnectionError = ProtocolViolation<HTTP2WireError>
