import HTTPTypes
import Foundation

/// Reads how long an upstream asks a client to wait: `retry-after-ms` (OpenAI, Azure) in
/// milliseconds, else `Retry-After` as delay-seconds or an HTTP date (RFC 9110 §10.2.3).
enum RetryAfter {
    /// The wait the headers ask for, relative to `now`; `nil` when absent or unreadable.
    /// A date in the past means no wait.
    static func delay(in headers: HTTPFields, now: Date) -> Duration? {
        if let milliseconds = headers[.retryAfterMilliseconds].flatMap({ Double($0.trimmingSpaces()) }),
           milliseconds.isFinite, milliseconds >= 0 {
            return .milliseconds(Int64(milliseconds.rounded(.up)))
        }
        guard let value = headers[.retryAfter]?.trimmingSpaces(), !value.isEmpty else { return nil }
        if value.allSatisfy(\.isASCII), value.allSatisfy(\.isNumber) {
            guard let seconds = Int64(value) else { return .seconds(Int64.max / 1_000_000_000) }
            return .seconds(seconds)
        }
        guard let date = httpDate(value) else { return nil }
        let seconds = date.timeIntervalSince(now)
        guard seconds > 0 else { return .zero }
        return .milliseconds(Int64((seconds * 1000).rounded(.up)))
    }

    /// IMF-fixdate, and the obsolete RFC 850 and asctime forms a recipient must accept.
    static func httpDate(_ text: String) -> Date? {
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }
}
