import Foundation

/// What a connection reports about every response: the status-class metric and, when the
/// access log is on, its line.
///
/// With the log off, observing a response is one counter increment; the request is only
/// summarised (and the clock read) when there is a log to write to.
struct ResponseObserver: Sendable {
    /// What the access log needs from a request, taken when the request is dispatched.
    struct Request {
        var method: String
        var target: String
        var version: String
        var referer: String?
        var userAgent: String?
        var client: String?
        var tenantHost: String
        var started: ContinuousClock.Instant
    }

    var metrics: EdgeMetrics?
    var accessLog: AccessLog?

    /// The request's summary for the access log, or `nil` when the log is off.
    func begin(_ request: StorefrontRequest, version: String) -> Request? {
        guard self.accessLog != nil else { return nil }
        return Request(
            method: request.method,
            target: request.query.map { request.path + "?" + $0 } ?? request.path,
            version: version,
            referer: request.header("referer"),
            userAgent: request.header("user-agent"),
            client: request.clientAddress,
            tenantHost: request.authority,
            started: .now
        )
    }

    /// Counts the response and writes its access-log line. `request` is `nil` for requests the
    /// transport refused before it could read them; their line has `-` for what is unknown.
    func finish(
        _ response: StorefrontResponse,
        bodyBytes: Int,
        request: Request?,
        peer: String?,
        date: inout HTTPDate
    ) {
        self.metrics?.recordResponse(status: response.status)
        guard let accessLog else { return }
        accessLog.append(
            AccessLog.line(
                client: request?.client ?? peer,
                time: date.logTime(),
                method: request?.method ?? "-",
                target: request?.target ?? "-",
                version: request?.version ?? "-",
                status: response.status,
                bytes: bodyBytes,
                referer: request?.referer,
                userAgent: request?.userAgent,
                tenantID: response.tenantID,
                cacheStatus: response.cacheStatus,
                duration: request.map { ContinuousClock.now - $0.started } ?? .zero
            )
        )
    }
}
