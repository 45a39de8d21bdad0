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
    private var formatted = ""
    private var logSecond: time_t = -1
    private var logFormatted = ""

    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// The current time as an IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
    mutating func now() -> String {
        var now = time(nil)
        if now != self.second {
            self.second = now
            var parts = tm()
            gmtime_r(&now, &parts)
            self.formatted =
                "\(Self.weekdays[Int(parts.tm_wday)]), \(Self.twoDigits(parts.tm_mday)) "
                + "\(Self.months[Int(parts.tm_mon)]) \(1900 + Int(parts.tm_year)) "
                + "\(Self.twoDigits(parts.tm_hour)):\(Self.twoDigits(parts.tm_min)):\(Self.twoDigits(parts.tm_sec)) GMT"
        }
        return self.formatted
    }

    /// The current time as the common log format writes it, e.g. `06/Nov/1994:08:49:37 +0000`.
    mutating func logTime() -> String {
        var now = time(nil)
        if now != self.logSecond {
            self.logSecond = now
            var parts = tm()
            gmtime_r(&now, &parts)
            self.logFormatted =
                "\(Self.twoDigits(parts.tm_mday))/\(Self.months[Int(parts.tm_mon)])/\(1900 + Int(parts.tm_year)):"
                + "\(Self.twoDigits(parts.tm_hour)):\(Self.twoDigits(parts.tm_min)):\(Self.twoDigits(parts.tm_sec)) +0000"
        }
        return self.logFormatted
    }

    private static func twoDigits(_ value: Int32) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }
}
