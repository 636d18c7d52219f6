/// What a store does with a plan, and what is done with its answer, the same for every store: the
/// plan names the aggregates to read (``queries``), a store fills one ``ReportGroups`` per query
/// from its rollups and rows in one consistent read, and ``summary(from:location:)`` turns those
/// groups into the report.
extension ReportPlan {
    /// One aggregate a report reads: a reading's buckets and rows added up per dimension, per period or not.
    struct Query: Sendable {
        var reading: Reading
        var dimensions: [Report.Dimension]
        var byPeriod: Bool
    }

    /// The aggregates, in the order ``summary(from:location:)`` expects their groups: the breakdown
    /// grouped by provider and model too when it also gives the total (``totalsFromBreakdown``),
    /// else the breakdown and then the whole range by provider and model.
    var queries: [Query] {
        guard !periods.isEmpty else { return [] }
        let byPeriod = periods.first?.interval != nil
        if totalsFromBreakdown {
            return [Query(reading: breakdown, dimensions: (dimensions + [.provider, .model]).uniqued(), byPeriod: byPeriod)]
        }
        return [
            Query(reading: breakdown, dimensions: dimensions, byPeriod: byPeriod),
            // Each row once: the totals' family never counts a row twice.
            Query(reading: totals, dimensions: [.provider, .model], byPeriod: false),
        ]
    }

    /// The report from the groups a store filled for ``queries``, in their order; `location`
    /// names the ledger in an error (a sum that passes the largest amount Tally reports).
    func summary(from groups: [ReportGroups], location: String) throws(LedgerError) -> Report.Summary {
        guard !periods.isEmpty, let first = groups.first else {
            return Report.Summary(rows: [], total: .zero, unpriced: [], source: source)
        }
        let breakdown: [(row: Report.Row, sums: RollupTotals)]
        let byModel: [(row: Report.Row, sums: RollupTotals)]
        if totalsFromBreakdown {
            let fine = rows(first, byPeriod: queries[0].byPeriod)
            breakdown = try Self.regrouped(fine, keeping: Set(dimensions), location: location)
            byModel = fine
        } else {
            guard groups.count == 2 else {
                throw LedgerError(.io, location: location, message: "the store answered \(groups.count) of a report's 2 queries")
            }
            breakdown = rows(first, byPeriod: queries[0].byPeriod)
            byModel = rows(groups[1], byPeriod: false)
        }
        var total = RollupTotals()
        var unpricedRows: [String: (provider: String, model: String, rows: Int64)] = [:]
        for (row, sums) in byModel {
            total = try Self.added(total, sums, location: location)
            if sums.unpriced > 0 {
                let provider = row.provider ?? "", model = row.model ?? ""
                unpricedRows["\(provider)\u{1F}\(model)", default: (provider, model, 0)].rows += sums.unpriced
            }
        }
        let unpriced = unpricedRows.values
            .map { Report.UnpricedModel(provider: $0.provider, model: $0.model, rows: $0.rows) }
            .sorted { ($0.rows, $1.provider, $1.model) > ($1.rows, $0.provider, $0.model) }
        var reportRows: [Report.Row] = []
        reportRows.reserveCapacity(breakdown.count)
        for group in breakdown {
            var row = group.row
            row.totals = try Report.Totals(group.sums, path: location)
            reportRows.append(row)
        }
        return Report.Summary(rows: reportRows, total: try Report.Totals(total, path: location), unpriced: unpriced, source: source)
    }

    /// The groups as report rows in order, each with its sums beside it (its `totals` left zero).
    private func rows(_ groups: ReportGroups, byPeriod: Bool) -> [(row: Report.Row, sums: RollupTotals)] {
        groups.sorted().map { key, sums in
            (
                Report.Row(
                    period: byPeriod ? periods[key.period].interval : nil,
                    provider: key.provider, model: key.model, project: key.project, user: key.user, tag: key.tag,
                    totals: .zero
                ),
                sums
            )
        }
    }

    /// Rows grouped by more dimensions than `keeping`, added up per group of `keeping`, in the
    /// order each group first appears (so a breakdown ordered by period and dimensions stays so).
    private static func regrouped(
        _ fine: [(row: Report.Row, sums: RollupTotals)], keeping: Set<Report.Dimension>, location: String
    ) throws(LedgerError) -> [(row: Report.Row, sums: RollupTotals)] {
        var groups: [(row: Report.Row, sums: RollupTotals)] = []
        var index: [Report.Row: Int] = [:]
        for (row, sums) in fine {
            var key = row
            if !keeping.contains(.provider) { key.provider = nil }
            if !keeping.contains(.model) { key.model = nil }
            if let position = index[key] {
                groups[position].sums = try added(groups[position].sums, sums, location: location)
            } else {
                index[key] = groups.count
                groups.append((key, sums))
            }
        }
        return groups
    }

    /// Two groups' sums added; throws when a count passes `Int64` (amounts are 128-bit).
    private static func added(_ a: RollupTotals, _ b: RollupTotals, location: String) throws(LedgerError) -> RollupTotals {
        guard let sum = a.adding(b) else { throw sumOutOfRange(location: location) }
        return sum
    }

    /// The error for a token count that passes `Int64` when a report adds it up.
    static func sumOutOfRange(location: String) -> LedgerError {
        LedgerError(.sumOutOfRange, location: location, message: "a token count summed over this report passes \(Int64.max); report a shorter period")
    }
}
