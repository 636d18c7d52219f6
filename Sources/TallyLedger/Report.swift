public import Foundation
public import TallyPricing
public import TallyUsage

/// Totals and breakdowns read from the ledger.
public enum Report {
    /// What a breakdown groups by.
    public enum Dimension: String, Sendable, Hashable, CaseIterable {
        /// Calendar months in the report's time zone.
        case month
        /// Calendar days in the report's time zone.
        case day
        /// The provider.
        case provider
        /// The model requested.
        case model
        /// The attributed project.
        case project
        /// The attributed user.
        case user
        /// Each tag (a row with two tags counts in both; untagged rows under a nil tag).
        case tag
    }

    /// Restricts a report to rows matching every given value.
    public struct Filter: Sendable, Hashable {
        /// Only this provider.
        public var provider: String?
        /// Only this model (as requested).
        public var model: String?
        /// Only this project.
        public var project: String?
        /// Only this user.
        public var user: String?
        /// Only rows carrying this tag.
        public var tag: String?

        /// Creates a filter; nil matches everything.
        public init(provider: String? = nil, model: String? = nil, project: String? = nil, user: String? = nil, tag: String? = nil) {
            self.provider = provider
            self.model = model
            self.project = project
            self.user = user
            self.tag = tag
        }
    }

    /// Sums over a set of rows, exact.
    public struct Totals: Sendable, Hashable {
        /// Rows of kind `request`.
        public var requests: Int64
        /// Rows of kind `adjustment`.
        public var adjustments: Int64
        /// Tokens per class (flags are not summed).
        public var usage: Usage
        /// The sum of the known costs.
        public var cost: Money
        /// The list cost of the rows that have both a cost and a list cost.
        public var listCost: Money
        /// The cost of those same rows.
        public var costWithListPrice: Money
        /// Rows whose usage was estimated rather than reported.
        public var estimatedRows: Int64
        /// Rows without a cost (unpriced: their cost is unknown, not zero).
        public var unpricedRows: Int64
        /// Rows without a list cost.
        public var rowsWithoutListPrice: Int64
        /// Rows whose usage is implausible (a token count below 0 or above ``Usage/plausibleMaximum``):
        /// counted as unpriced, and left out of the token and amount sums.
        public var implausibleRows: Int64

        /// List cost minus cost over the rows that have both; nil when no row has a list cost.
        public var savings: Money? {
            rowsWithoutListPrice >= requests + adjustments ? nil : listCost - costWithListPrice
        }

        /// The exact sums as a report shows them; throws when an amount or a count does not fit
        /// (more than about $9.2 billion in one report), never a wrapped or trapped sum.
        init(_ totals: RollupTotals, path: String) throws(LedgerError) {
            func money(_ sum: MoneySum, _ what: String) throws(LedgerError) -> Money {
                guard let money = sum.money else {
                    throw LedgerError(
                        .sumOutOfRange, location: path,
                        message: "the \(what) summed over this report passes \(Money(nanoUSD: .max)), the largest amount Tally reports; report a shorter period or fewer rows"
                    )
                }
                return money
            }
            requests = totals.requests
            adjustments = totals.adjustments
            usage = Usage(
                input: totals.input, cachedInput: totals.cachedInput, cacheWrite: totals.cacheWrite,
                cacheWrite1h: totals.cacheWrite1h, output: totals.output, reasoning: totals.reasoning
            )
            cost = try money(totals.cost.total, "cost")
            listCost = try money(totals.listCost.total, "list cost")
            costWithListPrice = try money(totals.listedCost.total, "cost")
            _ = try money(totals.listCost.total.subtracting(totals.listedCost.total), "savings")
            estimatedRows = totals.estimated
            unpricedRows = totals.unpriced
            rowsWithoutListPrice = totals.withoutListPrice
            implausibleRows = totals.implausible
        }

        private init() {
            (requests, adjustments, usage) = (0, 0, Usage())
            (cost, listCost, costWithListPrice) = (.zero, .zero, .zero)
            (estimatedRows, unpricedRows, rowsWithoutListPrice, implausibleRows) = (0, 0, 0, 0)
        }

        /// No rows.
        public static let zero = Totals()
    }

    /// One line of a breakdown: the group's values (nil where not grouped by) and its totals.
    public struct Row: Sendable, Hashable {
        /// The month or day, in the report's time zone, clipped to the report's range.
        public var period: DateInterval?
        /// The provider.
        public var provider: String?
        /// The model requested.
        public var model: String?
        /// The project; nil also for rows without one when grouping by project.
        public var project: String?
        /// The user; nil also for rows without one when grouping by user.
        public var user: String?
        /// The tag; nil also for untagged rows when grouping by tag.
        public var tag: String?
        /// The sums.
        public var totals: Totals
    }

    /// A model some rows could not be priced for.
    public struct UnpricedModel: Sendable, Hashable {
        /// The provider.
        public var provider: String
        /// The model requested.
        public var model: String
        /// How many rows have no cost.
        public var rows: Int64
    }

    /// Where a report's sums were read from.
    public enum Source: String, Sendable, Hashable {
        /// The rollups kept with each append (and the rows for what no rollup bucket covers).
        case rollup
        /// The rows themselves (a range shorter than a quarter-hour, or a breakdown by tag
        /// filtered by a tag).
        case rows
    }

    /// A report: the breakdown, the total over the range, and the models left unpriced.
    public struct Summary: Sendable, Hashable {
        /// One row per group, ordered by period, then by the grouped values.
        public var rows: [Row]
        /// The totals over the whole range and filter (each row counted once, whatever its tags).
        public var total: Totals
        /// Models with unpriced rows in the range, most rows first.
        public var unpriced: [UnpricedModel]
        /// Where the sums came from.
        public var source: Source
    }
}
