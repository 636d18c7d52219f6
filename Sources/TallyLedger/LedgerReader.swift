public import Foundation

/// Reads a ledger, a SQLite file or a PostgreSQL database alike: report totals and breakdowns,
/// rows for export, checks and a description.
public struct LedgerReader: Sendable {
    let store: any LedgerStore

    init(store: any LedgerStore) {
        self.store = store
    }

    /// Opens the ledger at `path` read-only; its schema must be this tally's (no migration is run).
    public init(path: String) throws {
        self.store = try SQLiteLedgerStorage(path: path, mode: .read)
    }

    /// Opens the ledger at `location` read-only: a file as ``init(path:)`` does; a database
    /// without connecting yet (each read connects, and checks the schema is this tally's).
    public init(location: LedgerLocation) throws {
        switch location {
        case .file(let path): try self.init(path: path)
        case .postgres(let address): self.init(store: PostgresLedgerStore(address: address, requiringCurrentSchema: true))
        }
    }

    /// The ledger file, or the server URL without its password.
    public var location: String { store.location }

    /// Totals over `range`, broken down by `groupBy`, with months and days taken in `timeZone`.
    ///
    /// Sums are exact integers, served from the rollups in any zone and for any view; the rows
    /// are read only for what no rollup bucket covers (the quarter-hours at a period's ends, or
    /// its ragged hours when the breakdown needs project and user together).
    public func summary(
        range: Range<Date>,
        groupBy: [Report.Dimension] = [],
        timeZone: TimeZone = TimeZone(identifier: "UTC") ?? .current,
        filter: Report.Filter = Report.Filter()
    ) async throws -> Report.Summary {
        try await summary(ReportPlan(range: range, groupBy: groupBy, timeZone: timeZone, filter: filter))
    }

    /// The report a plan reads, from whichever store holds the ledger.
    func summary(_ plan: ReportPlan) async throws -> Report.Summary {
        try plan.summary(from: try await store.aggregate(plan), location: store.location)
    }

    /// Folds every row sent in `since..<until` (either end open when nil), in append order, into
    /// `initial` with `update`, and returns the result.
    ///
    /// The rows are read in one read transaction on the ledger's reader (never on the caller's
    /// thread), so they are one consistent view however long the fold takes.
    public func reduceEntries<State: Sendable>(
        since: Date? = nil, until: Date? = nil, into initial: State,
        _ update: @escaping @Sendable (inout State, StoredLedgerEntry) throws -> Void
    ) async throws -> State {
        try await store.reduceEntries(
            fromMs: since.map(LedgerEntry.milliseconds), untilMs: until.map(LedgerEntry.milliseconds), passes: 1, into: initial
        ) { state, _, entry in try update(&state, entry) }
    }

    /// Every row sent in `since..<until`, in append order (``reduceEntries(since:until:into:_:)``
    /// folds them without holding them all).
    public func entries(since: Date? = nil, until: Date? = nil) async throws -> [StoredLedgerEntry] {
        try await reduceEntries(since: since, until: until, into: []) { $0.append($1) }
    }

    /// Rows after `seq`, in append order, at most `limit`: the batches `tally ledger copy` reads.
    package func entries(after seq: Int64, limit: Int) async throws -> [StoredLedgerEntry] {
        try await store.entries(after: seq, limit: limit)
    }

    /// Rows, cost and list cost per UTC month, exact, for comparing two ledgers.
    package func monthlyTotals() async throws -> [LedgerMonthTotals] {
        try await store.monthlyTotals()
    }

    /// Checks the store (SQLite's integrity check; on PostgreSQL, that the append-only triggers are
    /// in place), recounts every rollup from the rows, and lists the journal's owners.
    public func verify() async throws -> LedgerVerification {
        try await store.verify()
    }

    /// How many rows each rollup grain holds, and the bytes of each table (from SQLite's
    /// `dbstat`, empty where the library lacks it; from PostgreSQL's relation sizes), for the
    /// benchmarks and the docs.
    package func rollupFootprint() async throws -> LedgerFootprint {
        try await store.rollupFootprint()
    }

    /// Path, schema, row count, first and last request, size.
    public func info() async throws -> LedgerInfo {
        try await store.info()
    }

    /// Describes the ledger at `path` without migrating it, even when its schema is older than this tally's.
    public static func info(path: String) async throws -> LedgerInfo {
        try await SQLiteLedgerStorage(path: path, mode: .inspect).info()
    }

    /// Describes the ledger at `location`, a file or a PostgreSQL database, without migrating it.
    public static func info(location: LedgerLocation) async throws -> LedgerInfo {
        switch location {
        case .file(let path): try await info(path: path)
        case .postgres(let address): try await PostgresLedgerStore(address: address).info()
        }
    }
}

/// What `tally ledger info` shows about a ledger.
public struct LedgerInfo: Sendable, Hashable {
    /// The file path, or the server URL without its password.
    public var location: String
    /// The schema version recorded in the file.
    public var schemaVersion: Int
    /// The schema version this tally migrates to.
    public var latestSchemaVersion: Int
    /// Ledger rows, when the schema has them.
    public var rows: Int64?
    /// The earliest request's timestamp.
    public var firstRequest: Date?
    /// The latest request's timestamp.
    public var lastRequest: Date?
    /// Requests in flight (or left by processes that are gone).
    public var journalRows: Int64?
    /// Bytes of the file and its write-ahead log, or of the ledger's tables and indexes on the server.
    public var bytes: Int64
}

/// The result of `LedgerReader.verify()`.
public struct LedgerVerification: Sendable, Hashable {
    /// A rollup grain whose stored sums differ from a recount of the rows.
    public struct RollupMismatch: Sendable, Hashable {
        /// The grain ("hourModel", "dayModel", "dayFull").
        public var grain: String
        /// Stored rollup rows that no recount row equals.
        public var rowsNotMatchingRecount: Int
        /// Recounted rows that no stored rollup row equals.
        public var recountRowsNotStored: Int
    }

    /// A process with requests in the journal.
    public struct JournalOwner: Sendable, Hashable {
        /// Its pid.
        public var pid: Int64
        /// How many requests it has in flight.
        public var rows: Int64
        /// Whether it still runs; when not, the next open for writing recovers its rows.
        public var isAlive: Bool
    }

    /// `["ok"]` when sound, else one line per problem: SQLite's `PRAGMA integrity_check`, or on
    /// PostgreSQL each append-only trigger that is missing or disabled.
    public var integrity: [String]
    /// Grains whose rollups differ from the rows.
    public var rollupMismatches: [RollupMismatch]
    /// Ledger rows.
    public var rows: Int64
    /// The journal's owners.
    public var journal: [JournalOwner]

    /// Whether the store is sound and every rollup equals the recount.
    public var isConsistent: Bool { integrity == ["ok"] && rollupMismatches.isEmpty }
}
