import ArgumentParser
import Foundation
import TallyPricing

/// A `--at` style date argument: "YYYY-MM-DD" (UTC midnight) or an ISO 8601 instant.
struct DateArgument: ExpressibleByArgument, Sendable {
    var date: Date

    init?(argument: String) {
        if let day = CalendarDay(argument) {
            date = Date(timeIntervalSince1970: TimeInterval(day.secondsSinceEpoch))
        } else if let instant = Self.instant(argument) {
            date = instant
        } else {
            return nil
        }
    }

    init(date: Date) { self.date = date }

    static var defaultValueDescription: String { "now" }

    /// An ISO 8601 time with a zone, with or without fractional seconds: "2026-12-01T21:30:48Z",
    /// "2026-12-01T21:30:48.700Z" (the form `ledger export` writes), "2026-12-01T22:30:48+01:00".
    static func instant(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }
}
