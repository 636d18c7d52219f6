import ArgumentParser
import Foundation
import TallyLedger

/// The period a report or budget covers: `--month`, or `--since`/`--until`, in `--tz`.
struct PeriodOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The calendar month to report (default: the current month).", valueName: "YYYY-MM"))
    var month: String?

    @Option(help: ArgumentHelp("The first day (or ISO 8601 time) of the period, instead of --month.", valueName: "date"))
    var since: String?

    @Option(help: ArgumentHelp("The last day of the period, included (or an ISO 8601 time, excluded); default now.", valueName: "date"))
    var until: String?

    @OptionGroup var zone: TimeZoneOption<LocalTimeZone>

    func validate() throws {
        if month != nil, since != nil || until != nil {
            throw ValidationError("--month cannot be combined with --since or --until")
        }
    }

    /// The period as a half-open range of instants, with the zone its boundaries are in.
    func resolve(now: Date = Date()) throws -> Period {
        let zone = try self.zone.timeZone()
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        if since == nil, until == nil {
            let start = try month.map { try Self.monthStart($0, calendar: calendar) }
                ?? BudgetPeriod(.month, in: zone).range(containing: now).lowerBound
            guard let end = calendar.date(byAdding: .month, value: 1, to: start) else {
                throw Failure("--month \(month ?? ""): cannot compute the month's end", status: ExitStatus.usage)
            }
            let label = month ?? Self.monthLabel(start, calendar: calendar)
            return Period(range: start..<end, timeZone: zone, calendar: calendar, label: label, zoneName: self.zone.zoneName)
        }
        let start = try since.map { try Self.instant($0, flag: "--since", calendar: calendar, endOfDay: false) } ?? Date(timeIntervalSince1970: 0)
        let end = try until.map { try Self.instant($0, flag: "--until", calendar: calendar, endOfDay: true) } ?? now
        guard start < end else {
            throw Failure("--since \(since ?? "") is not before --until \(until ?? "now")", status: ExitStatus.usage)
        }
        return Period(range: start..<end, timeZone: zone, calendar: calendar, label: "\(since ?? "start")..\(until ?? "now")", zoneName: self.zone.zoneName)
    }

    static func monthStart(_ text: String, calendar: Calendar) throws -> Date {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let year = Int(parts[0]), let month = Int(parts[1]),
              (1...12).contains(month), let start = calendar.date(from: DateComponents(year: year, month: month, day: 1)) else {
            throw Failure("--month \(text): not a month of the form YYYY-MM", status: ExitStatus.usage)
        }
        return start
    }

    static func monthLabel(_ date: Date, calendar: Calendar) -> String {
        let parts = calendar.dateComponents([.year, .month], from: date)
        return String(format: "%04d-%02d", parts.year ?? 0, parts.month ?? 0)
    }

    /// "YYYY-MM-DD" as the start of that day in the zone (the next day's start when `endOfDay`,
    /// so the day is included), or an ISO 8601 instant as is (an `--until` time is excluded).
    /// The one rule for `--since`/`--until` of every command.
    static func instant(_ text: String, flag: String, calendar: Calendar, endOfDay: Bool) throws -> Date {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        if parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
           let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]) {
            let components = DateComponents(year: year, month: month, day: day)
            guard components.isValidDate(in: calendar), let start = calendar.date(from: components) else {
                throw Failure("\(flag) \(text): not a real date", status: ExitStatus.usage)
            }
            return endOfDay ? (calendar.date(byAdding: .day, value: 1, to: start) ?? start) : start
        }
        if let instant = DateArgument.instant(text) { return instant }
        throw Failure("\(flag) \(text): not a date (YYYY-MM-DD) or an ISO 8601 time (2026-12-01T21:30:48.700Z)", status: ExitStatus.usage)
    }
}

/// A resolved report period.
struct Period {
    /// The instants covered, end excluded.
    var range: Range<Date>
    /// The zone month and day boundaries are taken in.
    var timeZone: TimeZone
    /// A Gregorian calendar in that zone.
    var calendar: Calendar
    /// How the period was asked for ("2026-11", "2026-11-01..2026-11-15").
    var label: String
    /// The zone's name as given (`UTC` stays `UTC`, which Foundation would call `GMT`).
    var zoneName: String
}
