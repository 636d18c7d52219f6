public import Foundation

/// A budget's period: a calendar month or day in an explicit time zone. The one rule for where
/// "this month" and "today" begin and end, for `tally budget check` and `tally serve` alike.
public struct BudgetPeriod: Sendable, Hashable {
    /// How often a budget resets.
    public enum Unit: String, Sendable, Hashable, CaseIterable {
        /// A calendar month.
        case month
        /// A calendar day.
        case day
    }

    /// A month or a day.
    public var unit: Unit
    /// The zone the month's or day's boundaries are taken in.
    public var timeZone: TimeZone

    /// A period of `unit` in `timeZone`.
    public init(_ unit: Unit, in timeZone: TimeZone = BudgetPeriod.utc) {
        self.unit = unit
        self.timeZone = timeZone
    }

    /// UTC: the zone of a budget that names none, wherever it is checked, so a budget file
    /// means the same period on every machine (and the providers bill by UTC months).
    public static let utc = TimeZone(identifier: "UTC") ?? TimeZone(secondsFromGMT: 0) ?? .current

    /// The calendar month or day holding `instant`, in the period's zone, end excluded.
    public func range(containing instant: Date) -> Range<Date> {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let component: Calendar.Component = unit == .month ? .month : .day
        guard let interval = calendar.dateInterval(of: component, for: instant), interval.start <= instant, instant < interval.end else {
            // Foundation has no answer only for instants far outside any calendar's range.
            return instant..<instant.addingTimeInterval(1)
        }
        return interval.start..<interval.end
    }

    /// The zone an IANA name ("Europe/Berlin", "UTC") names, or nil: the one parse of a zone's
    /// name, for `--tz` and for a budget file's `tz`.
    public static func timeZone(named name: String) -> TimeZone? {
        guard !name.isEmpty else { return nil }
        if name == "UTC" { return utc }
        return TimeZone(identifier: name)
    }

    /// What a zone's name must be, for messages: "an IANA name such as Europe/Berlin, or UTC".
    package static let zoneNameHint = "use an IANA name such as Europe/Berlin, or UTC"
}
