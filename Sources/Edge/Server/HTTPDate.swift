#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The `Date` header value (RFC 9110 IMF-fixdate) and the access log's time, formatted at most
/// once per second per handler.
///
/// Formatting through Foundation on every response costs more than the rest of a cache hit;
/// the value only changes once a second, so each handler keeps the last one.
struct HTTPDate {
    private var second: time_t = -1
    private var parts = tm()
    private var formatted: String?
    private var logFormatted: String?

    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// The current time as an IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
    mutating func now() -> String {
        self.refresh()
        if let formatted = self.formatted { return formatted }
        let value =
            "\(Self.weekdays[Int(self.parts.tm_wday)]), \(Self.twoDigits(self.parts.tm_mday)) "
            + "\(Self.months[Int(self.parts.tm_mon)]) \(1900 + Int(self.parts.tm_year)) \(self.clock) GMT"
        self.formatted = value
        return value
    }

    /// The current time as the common log format writes it, e.g. `06/Nov/1994:08:49:37 +0000`.
    mutating func logTime() -> String {
        self.refresh()
        if let logFormatted = self.logFormatted { return logFormatted }
        let value =
            "\(Self.twoDigits(self.parts.tm_mday))/\(Self.months[Int(self.parts.tm_mon)])/"
            + "\(1900 + Int(self.parts.tm_year)):\(self.clock) +0000"
        self.logFormatted = value
        return value
    }

    /// Breaks the time down again when the second has moved; the texts are then made anew on demand.
    private mutating func refresh() {
        var now = time(nil)
        guard now != self.second else { return }
        self.second = now
        gmtime_r(&now, &self.parts)
        self.formatted = nil
        self.logFormatted = nil
    }

    /// `HH:MM:SS`.
    private var clock: String {
        "\(Self.twoDigits(self.parts.tm_hour)):\(Self.twoDigits(self.parts.tm_min)):\(Self.twoDigits(self.parts.tm_sec))"
    }

    private static func twoDigits(_ value: Int32) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }
}
