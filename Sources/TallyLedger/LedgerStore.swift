/// Where a ledger's rows and rollups live, as a reader sees them: a SQLite file
/// (`SQLiteLedgerStorage`) or a PostgreSQL database (`PostgresLedgerStore`).
///
/// Each method is one consistent read. What does not depend on the store (planning a report and
/// turning its groups into a summary, counting a row into rollup sums) lives beside this
/// protocol, so both stores answer alike and reports read the same from either.
package protocol LedgerStore: Sendable {
    /// The file path, or the server URL without its password: what errors and `ledger info` name.
    var location: String { get }

    /// The groups of each of the plan's queries (``ReportPlan/queries``), in their order.
    func aggregate(_ plan: ReportPlan) async throws -> [ReportGroups]

    /// Folds every row with a timestamp in `fromMs..<untilMs` (either end open when nil), in
    /// append order, into `initial`, `passes` times over in one read transaction (so every pass
    /// sees the same rows); `update` hears which pass, from 0.
    func reduceEntries<State: Sendable>(
        fromMs: Int64?, untilMs: Int64?, passes: Int, into initial: State,
        _ update: @escaping @Sendable (inout State, _ pass: Int, StoredLedgerEntry) throws -> Void
    ) async throws -> State

    /// Rows after `seq`, in append order, at most `limit`, with their tags.
    func entries(after seq: Int64, limit: Int) async throws -> [StoredLedgerEntry]

    /// Rows, cost and list cost per UTC month, exact.
    func monthlyTotals() async throws -> [LedgerMonthTotals]

    /// The store's own soundness check, every rollup against a recount of the rows, and the
    /// journal's owners.
    func verify() async throws -> LedgerVerification

    /// Rows per rollup grain and bytes per table, for the benchmarks and the docs.
    func rollupFootprint() async throws -> LedgerFootprint

    /// What `tally ledger info` shows.
    func info() async throws -> LedgerInfo

    /// How many rows come after `seq`.
    func countRows(after seq: Int64) async throws -> Int64

    /// The largest sequence number of `instance`'s spool shipped into this ledger (0: none yet).
    func shippedThrough(instance: String) async throws -> Int64

    /// This ledger's own instance id when it is a spool; nil when none was made yet.
    func instanceID() async throws -> String?
}

/// How big a ledger's rollups are: rows per grain, bytes per table (empty where the store cannot say).
package struct LedgerFootprint: Sendable {
    package var rowsByGrain: [(grain: Int64, rows: Int64)]
    package var bytesByTable: [(table: String, bytes: Int64)]
}
