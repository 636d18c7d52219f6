import Foundation

/// How a report is read: its periods in milliseconds, and whether the rollups can serve it.
///
/// Rollups are kept per UTC hour and UTC day. A period whose ends fall on whole UTC hours
/// (every day and month of a zone whose offset is a whole number of hours, DST included) is
/// read from them: UTC days for its whole days, hours for its ragged ends. A zone with a
/// :30 or :45 offset, a range not on whole hours, or a tag makes the report read the rows.
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

    /// The rollup buckets covering each period: hours up to the first UTC midnight, whole UTC days, hours after the last.
    var bucketRanges: [BucketRange] {
        let hourGrain: RollupGrain = fullKey ? .hourFull : .hourModel
        let dayGrain: RollupGrain = fullKey ? .dayFull : .dayModel
        var ranges: [BucketRange] = []
        for (index, period) in periods.enumerated() {
            let firstHour = floorDivide(period.lowerMs, RollupGrain.millisecondsPerHour)
            let endHour = floorDivide(period.upperMs, RollupGrain.millisecondsPerHour)
            let firstDay = floorDivide(firstHour + 23, 24)
            let endDay = floorDivide(endHour, 24)
            if firstDay < endDay {
                if firstHour < firstDay * 24 {
                    ranges.append(BucketRange(period: index, grain: hourGrain, lower: firstHour, upper: firstDay * 24))
                }
                ranges.append(BucketRange(period: index, grain: dayGrain, lower: firstDay, upper: endDay))
                if endDay * 24 < endHour {
                    ranges.append(BucketRange(period: index, grain: hourGrain, lower: endDay * 24, upper: endHour))
                }
            } else if firstHour < endHour {
                ranges.append(BucketRange(period: index, grain: hourGrain, lower: firstHour, upper: endHour))
            }
        }
        return ranges
    }
}

extension Array where Element: Hashable {
    /// The elements in order, each kept once.
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
