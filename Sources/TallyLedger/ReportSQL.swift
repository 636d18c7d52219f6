/// The SQL of a report's two kinds of read, the same for SQLite and PostgreSQL but for the
/// placeholders and PostgreSQL's lateral joins: a reading's rollup rows with their sums, and its
/// ledger rows with the fields
/// ``RollupTotals/add(isRequest:isEstimated:usage:costNano:listCostNano:)`` counts.
///
/// Both return, per row, the period's index, then one column per dimension of the groups (text
/// or NULL), then the values; a store steps through them and adds each to its ``ReportGroups``.
struct ReportSQL: Sendable {
    /// A value bound to a placeholder.
    enum Argument: Sendable, Hashable {
        case integer(Int64)
        case text(String)
    }

    /// How placeholders are written.
    enum Dialect: Sendable {
        /// `?`, bound in order.
        case sqlite
        /// `$1`, `$2`, …
        case postgres
    }

    var sql: String
    var arguments: [Argument]

    /// Columns a ledger-row read returns after the dimensions, in the order stores decode them:
    /// request (0/1), estimated (0/1), six token counts, cost and list cost (either may be NULL).
    static let rowFieldCount = 10

    /// The rollup rows of `reading`'s buckets, filtered as `plan` says, for groups of `dimensions`.
    static func rollups(
        _ plan: ReportPlan, _ reading: ReportPlan.Reading, dimensions: [Report.Dimension], dialect: Dialect
    ) -> ReportSQL {
        var builder = Builder(dialect: dialect)
        let tagged = reading.family?.isTagged ?? false
        let values = reading.buckets.map { range in
            "(" + [
                builder.bind(.integer(Int64(range.period))), builder.bind(.integer(range.grain.rawValue)),
                builder.bind(.integer(range.lower)), builder.bind(.integer(range.upper)),
            ].joined(separator: ", ") + ")"
        }
        let columns: [String] = dimensions.map {
            switch $0 {
            case .provider: "r.provider"
            case .model: "r.model"
            case .project: "NULLIF(r.project, '')"
            case .user: "NULLIF(r.user_name, '')"
            case .tag: tagged ? "NULLIF(r.tag, '')" : "NULL"
            case .month, .day: "NULL"
            }
        }
        var conditions = ["r.grain = buckets.grain", "r.bucket >= buckets.lo", "r.bucket < buckets.hi"]
        let filters: [(String, String?)] = [
            ("r.provider", plan.filter.provider), ("r.model", plan.filter.model),
            ("r.project", plan.filter.project), ("r.user_name", plan.filter.user),
            ("r.tag", tagged ? plan.filter.tag : nil),
        ]
        for case let (column, value?) in filters {
            conditions.append("\(column) = \(builder.bind(.text(value)))")
        }
        let table = tagged ? "ledger_tag_rollup" : "ledger_rollup"
        // PostgreSQL plans a join with a list of values as a scan of the whole table; a lateral
        // subquery makes it one index range per stretch, as SQLite reads the join anyway. Its
        // `OFFSET 0` keeps the planner from pulling the subquery up into that join again.
        let from = dialect == .postgres
            ? "buckets CROSS JOIN LATERAL (SELECT * FROM \(table) AS r WHERE \(conditions.prefix(3).joined(separator: " AND ")) OFFSET 0) AS r"
            : "buckets CROSS JOIN \(table) AS r"
        let rest = dialect == .postgres ? Array(conditions.dropFirst(3)) : conditions
        // PostgreSQL adds the rollup rows up per group before sending them (a month by project
        // and model is 1,200 groups of some 250,000 rows), exactly: `SUM` of bigint is numeric,
        // sent as text. SQLite's rows cost nothing to hand over, and its SUM could overflow.
        let sums = dialect == .postgres
            ? AppendStatements.rollupSumColumns.map { "SUM(r.\($0))::text" }
            : AppendStatements.rollupSumColumns.map { "r.\($0)" }
        var sql = "WITH buckets(period, grain, lo, hi) AS (VALUES " + values.joined(separator: ", ") + ") "
            + "SELECT " + (["buckets.period"] + columns + sums).joined(separator: ", ")
            + " FROM " + from + (rest.isEmpty ? "" : " WHERE " + rest.joined(separator: " AND "))
        if dialect == .postgres { sql += " GROUP BY " + (1...(1 + columns.count)).map(String.init).joined(separator: ", ") }
        return ReportSQL(sql: sql, arguments: builder.arguments)
    }

    /// The ledger rows of `spans`, filtered as `plan` says, for groups of `dimensions`.
    static func rows(
        _ plan: ReportPlan, _ spans: [ReportPlan.RowRange], dimensions: [Report.Dimension], dialect: Dialect
    ) -> ReportSQL {
        var builder = Builder(dialect: dialect)
        let values = spans.map { range in
            "(" + [
                builder.bind(.integer(Int64(range.period))), builder.bind(.integer(range.lowerMs)), builder.bind(.integer(range.upperMs)),
            ].joined(separator: ", ") + ")"
        }
        var from = dialect == .postgres
            ? "spans CROSS JOIN LATERAL (SELECT * FROM ledger_rows AS l WHERE l.ts_ms >= spans.lo AND l.ts_ms < spans.hi OFFSET 0) AS l"
            : "spans CROSS JOIN ledger_rows AS l"
        let columns: [String] = dimensions.map {
            switch $0 {
            case .provider: "l.provider"
            case .model: "l.model_requested"
            case .project: "l.project"
            case .user: "l.user_name"
            case .tag: "t.tag"
            case .month, .day: "NULL"
            }
        }
        if dimensions.contains(.tag) { from += " LEFT JOIN ledger_tags AS t ON t.seq = l.seq" }
        var conditions = dialect == .postgres ? ["TRUE"] : ["l.ts_ms >= spans.lo", "l.ts_ms < spans.hi"]
        let filters: [(String, String?)] = [
            ("l.provider", plan.filter.provider), ("l.model_requested", plan.filter.model),
            ("l.project", plan.filter.project), ("l.user_name", plan.filter.user),
        ]
        for case let (column, value?) in filters {
            conditions.append("\(column) = \(builder.bind(.text(value)))")
        }
        if let tag = plan.filter.tag {
            conditions.append("EXISTS (SELECT 1 FROM ledger_tags AS ft WHERE ft.seq = l.seq AND ft.tag = \(builder.bind(.text(tag))))")
        }
        let fields = [
            "CASE WHEN l.kind = 'request' THEN 1 ELSE 0 END", "CASE WHEN l.usage_source = 'estimated' THEN 1 ELSE 0 END",
            "l.input_tokens", "l.cached_input_tokens", "l.cache_write_tokens", "l.cache_write_1h_tokens",
            "l.output_tokens", "l.reasoning_tokens", "l.cost_nano", "l.list_cost_nano",
        ]
        let sql = "WITH spans(period, lo, hi) AS (VALUES " + values.joined(separator: ", ") + ") "
            + "SELECT " + (["spans.period"] + columns + fields).joined(separator: ", ")
            + " FROM " + from + " WHERE " + conditions.joined(separator: " AND ")
        return ReportSQL(sql: sql, arguments: builder.arguments)
    }

    private struct Builder {
        let dialect: Dialect
        var arguments: [Argument] = []

        /// Records `argument` and returns its placeholder.
        mutating func bind(_ argument: Argument) -> String {
            arguments.append(argument)
            switch dialect {
            case .sqlite: return "?"
            case .postgres: return "$\(arguments.count)"
            }
        }
    }
}
