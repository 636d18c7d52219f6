import Foundation

/// How a report is read: its periods in milliseconds, and whether the rollups can serve it.
///
/// Rollups are kept per UTC hour and UTC day. A period whose ends fall on whole UTC hours
/// (every day and month of a zone whose offset is a whole number of hours, DST included) is
/// read from them: UTC days for its whole days, hours (or, with project or user, the rows of
/// those hours) for its ragged ends. A zone with a :30 or :45 offset, a range not on whole
/// hours, or a tag makes the report read the rows.
struct ReportPlan: Sendable {
    struct Period: Sendable {
        var interval: DateInterval?
        var lowerMs: Int64
        var upperMs: Int64
    }

    /// A stretch of rollup buckets of one grain, belonging to a period.
    struct BucketRange: Sendable {
        var period: Int
        var grain: RollupGrain
        var lower: Int64
        var upper: Int64
    }

    var periods: [Period]
    var dimensions: [Report.Dimension]
    var filter: Report.Filter
    var source: Report.Source
    var fullKey: Bool

    init(range: Range<Date>, groupBy: [Report.Dimension], timeZone: TimeZone, filter: Report.Filter) {
        let lowerMs = LedgerEntry.milliseconds(range.lowerBound)
        let upperMs = LedgerEntry.milliseconds(range.upperBound)
        let unit: Calendar.Component? = groupBy.contains(.day) ? .day : groupBy.contains(.month) ? .month : nil
        var periods: [Period] = []
        if let unit, lowerMs < upperMs {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = timeZone
            var cursor = range.lowerBound
            while cursor < range.upperBound, let interval = calendar.dateInterval(of: unit, for: cursor) {
                let lower = max(interval.start, range.lowerBound)
                let upper = min(interval.end, range.upperBound)
                periods.append(Period(
                    interval: DateInterval(start: lower, end: upper),
                    lowerMs: LedgerEntry.milliseconds(lower),
                    upperMs: LedgerEntry.milliseconds(upper)
                ))
                guard interval.end > cursor else { break }
                cursor = interval.end
            }
        } else if lowerMs < upperMs {
            periods = [Period(interval: nil, lowerMs: lowerMs, upperMs: upperMs)]
        }
        self.periods = periods
        // Month and day are the periods; a day breakdown wins over a month one.
        self.dimensions = groupBy.filter { $0 != .month && $0 != .day }.uniqued()
        self.filter = filter
        let hourAligned = periods.allSatisfy {
            $0.lowerMs % RollupGrain.millisecondsPerHour == 0 && $0.upperMs % RollupGrain.millisecondsPerHour == 0
        }
        let needsTags = dimensions.contains(.tag) || filter.tag != nil
        self.source = hourAligned && !needsTags ? .rollup : .rows
        self.fullKey = dimensions.contains(.project) || dimensions.contains(.user)
            || filter.project != nil || filter.user != nil
    }

    /// A stretch of time, in milliseconds, whose rows are summed directly.
    struct RowRange: Sendable {
        var period: Int
        var lowerMs: Int64
        var upperMs: Int64
    }

    /// How each period is read: whole UTC days from the day rollups, the ragged hours at its ends
    /// from the hour rollup (provider × model) or from the rows (when project or user is involved).
    /// A report read from the rows has no bucket ranges and one row range per period.
    var ranges: (buckets: [BucketRange], rows: [RowRange]) {
        guard source == .rollup else {
            return ([], periods.enumerated().map { RowRange(period: $0.offset, lowerMs: $0.element.lowerMs, upperMs: $0.element.upperMs) })
        }
        let dayGrain: RollupGrain = fullKey ? .dayFull : .dayModel
        var buckets: [BucketRange] = []
        var rows: [RowRange] = []
        func hours(_ period: Int, _ lower: Int64, _ upper: Int64) {
            guard lower < upper else { return }
            if fullKey {
                rows.append(RowRange(
                    period: period, lowerMs: lower * RollupGrain.millisecondsPerHour, upperMs: upper * RollupGrain.millisecondsPerHour
                ))
            } else {
                buckets.append(BucketRange(period: period, grain: .hourModel, lower: lower, upper: upper))
            }
        }
        for (index, period) in periods.enumerated() {
            let firstHour = floorDivide(period.lowerMs, RollupGrain.millisecondsPerHour)
            let endHour = floorDivide(period.upperMs, RollupGrain.millisecondsPerHour)
            let firstDay = floorDivide(firstHour + 23, 24)
            let endDay = floorDivide(endHour, 24)
            if firstDay < endDay {
                hours(index, firstHour, firstDay * 24)
                buckets.append(BucketRange(period: index, grain: dayGrain, lower: firstDay, upper: endDay))
                hours(index, endDay * 24, endHour)
            } else {
                hours(index, firstHour, endHour)
            }
        }
        return (buckets, rows)
    }
}

extension Array where Element: Hashable {
    /// The elements in order, each kept once.
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
