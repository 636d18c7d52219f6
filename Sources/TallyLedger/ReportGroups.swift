/// A report's groups while their rollup rows and ledger rows are added up: one per period (when
/// the report has periods) and value of each of its dimensions.
///
/// Adding up here rather than in SQL's `GROUP BY` is what keeps a month of a fine rollup grain
/// fast: SQLite's sorter and its eighteen `SUM`s cost several times the stepping itself.
package struct ReportGroups: Sendable {
    struct Key: Hashable {
        /// The period's index in the plan; 0 without periods.
        var period: Int
        var provider: String?
        var model: String?
        var project: String?
        var user: String?
        var tag: String?

        subscript(dimension: Report.Dimension) -> String? {
            get {
                switch dimension {
                case .provider: provider
                case .model: model
                case .project: project
                case .user: user
                case .tag: tag
                case .month, .day: nil
                }
            }
            set {
                switch dimension {
                case .provider: provider = newValue
                case .model: model = newValue
                case .project: project = newValue
                case .user: user = newValue
                case .tag: tag = newValue
                case .month, .day: break
                }
            }
        }
    }

    /// The dimensions a key holds, in the order groups are sorted by.
    let dimensions: [Report.Dimension]
    private var sums: [Key: RollupTotals] = [:]

    init(dimensions: [Report.Dimension]) {
        self.dimensions = dimensions.filter { $0 != .month && $0 != .day }
    }

    /// Adds `totals` to the group of `key`; false when one of its counts would pass `Int64`.
    mutating func add(_ totals: RollupTotals, to key: Key) -> Bool {
        sums[key, default: RollupTotals()].formSum(totals)
    }

    /// The groups by period, then by each dimension in order, a group without a value first and
    /// names by their UTF-8 bytes: the order of SQL's `ORDER BY` over the same columns.
    func sorted() -> [(key: Key, sums: RollupTotals)] {
        sums.map { ($0.key, $0.value) }.sorted { a, b in
            if a.key.period != b.key.period { return a.key.period < b.key.period }
            for dimension in dimensions {
                switch (a.key[dimension], b.key[dimension]) {
                case (nil, nil): continue
                case (nil, _): return true
                case (_, nil): return false
                case let (x?, y?):
                    if x == y { continue }
                    return x.utf8.lexicographicallyPrecedes(y.utf8)
                }
            }
            return false
        }
    }
}
