import ArgumentParser
import Foundation
import TallyPricing

/// A `--at` style date argument: "YYYY-MM-DD" (UTC midnight) or an ISO 8601 instant.
struct DateArgument: ExpressibleByArgument, Sendable {
    var date: Date

    init?(argument: String) {
        if let day = CalendarDay(argument) {
            date = Date(timeIntervalSince1970: TimeInterval(day.secondsSinceEpoch))
        } else if let instant = ISO8601DateFormatter().date(from: argument) {
            date = instant
        } else {
            return nil
        }
    }

    init(date: Date) { self.date = date }

    static var defaultValueDescription: String { "now" }
}
