import Foundation

/// How a report is read: its periods in milliseconds, and for each of its two queries (the
/// breakdown, and the total with the unpriced models) the rollup family and the stretches of
/// buckets and of rows that cover the time asked for.
///
/// Every zone's offset is a whole number of quarter-hours, so each local day or month is whole
/// UTC days, whole hours and quarter-hours. A query reads the smallest family that holds the
/// dimensions it groups and filters by (``RollupFamily/smallest(holding:)``), each period from
/// that family's coarsest buckets inwards, and from the rows only what no grain of the family
/// covers: the quarter-hours at the ends of a period (none in a whole-hour zone), the ragged
/// hours of the large families that have no hour grain, and time not on a whole quarter-hour.
/// A breakdown by tag filtered by a tag is read from the rows: it shows the other tags of the
/// rows carrying that one, which no rollup keeps; so is a report that needs a tag together with
/// project or user, which no family keeps either.
package struct ReportPlan: Sendable {
    struct Period: Sendable {
        var interval: DateInterval?
        var lowerMs: Int64
        var upperMs: Int64
    }

    /// A stretch of rollup buckets of one grain, belonging to a period.
    struct BucketRange: Sendable, Hashable {
        var period: Int
        var grain: RollupGrain
        var lower: Int64
        var upper: Int64
    }

    /// A stretch of time, in milliseconds, whose rows are summed directly.
    struct RowRange: Sendable, Hashable {
        var period: Int
        var lowerMs: Int64
        var upperMs: Int64
    }

    /// What one query reads: a family's buckets and the rows between them (only rows when no
    /// family holds what the query needs).
    struct Reading: Sendable {
        var family: RollupFamily?
        var buckets: [BucketRange] = []
        var rows: [RowRange] = []

        /// Covers `lower..<upper` of `period` with the coarsest of `grains` that fits whole
        /// buckets, the ends with the finer ones in turn, and what is left with rows.
        mutating func cover(period: Int, _ lower: Int64, _ upper: Int64, grains: ArraySlice<RollupGrain>) {
            guard lower < upper else { return }
            guard let grain = grains.first else {
                rows.append(RowRange(period: period, lowerMs: lower, upperMs: upper))
                return
            }
            let size = grain.bucketMilliseconds
            let down = floorDivide(lower, size)
            let first = down * size == lower ? down : down + 1
            let end = floorDivide(upper, size)
            if first < end {
                cover(period: period, lower, first * size, grains: grains.dropFirst())
                buckets.append(BucketRange(period: period, grain: grain, lower: first, upper: end))
                cover(period: period, end * size, upper, grains: grains.dropFirst())
            } else {
                cover(period: period, lower, upper, grains: grains.dropFirst())
            }
        }
    }

    var periods: [Period]
    var dimensions: [Report.Dimension]
    var filter: Report.Filter
    /// The breakdown: each period grouped by ``dimensions``.
    var breakdown: Reading
    /// The total and the unpriced models: the whole range grouped by provider and model.
    var totals: Reading
    /// Whether the total and the unpriced models are added up from the breakdown instead (grouped
    /// by provider and model too), sparing a second query: when the breakdown's family keeps
    /// provider and model and counts each row once.
    var totalsFromBreakdown: Bool

    /// Where the breakdown's sums come from: the rollups when it reads any, else the rows.
    var source: Report.Source { breakdown.buckets.isEmpty ? .rows : .rollup }

    /// Plans a report; `fromRowsOnly` reads everything from the rows (what tests compare the rollups with).
    init(range: Range<Date>, groupBy: [Report.Dimension], timeZone: TimeZone, filter: Report.Filter, fromRowsOnly: Bool = false) {
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
        let dimensions = groupBy.filter { $0 != .month && $0 != .day }.uniqued()
        self.dimensions = dimensions
        self.filter = filter

        var filtered = Set<Report.Dimension>()
        if filter.provider != nil { filtered.insert(.provider) }
        if filter.model != nil { filtered.insert(.model) }
        if filter.project != nil { filtered.insert(.project) }
        if filter.user != nil { filtered.insert(.user) }
        if filter.tag != nil { filtered.insert(.tag) }
        let breakdownFamily = RollupFamily.smallest(holding: filtered.union(dimensions))
        let totalsFamily = RollupFamily.smallest(holding: filtered.union([.provider, .model]))
        let readsRows = fromRowsOnly || (dimensions.contains(.tag) && filter.tag != nil)
        let breakdownGrains = readsRows ? [] : breakdownFamily?.grains ?? []
        var breakdown = Reading(family: breakdownFamily)
        for (index, period) in periods.enumerated() {
            breakdown.cover(period: index, period.lowerMs, period.upperMs, grains: breakdownGrains[...])
        }
        var totals = Reading(family: totalsFamily)
        if lowerMs < upperMs {
            totals.cover(period: 0, lowerMs, upperMs, grains: fromRowsOnly ? [] : (totalsFamily?.grains ?? [])[...])
        }
        self.breakdown = breakdown
        self.totals = totals
        // A family that keeps no tag serves a breakdown without one.
        self.totalsFromBreakdown = !readsRows && breakdownFamily.map { $0.keeps(.provider) && $0.keeps(.model) && !$0.isTagged } == true
    }
}

extension Array where Element: Hashable {
    /// The elements in order, each kept once.
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
