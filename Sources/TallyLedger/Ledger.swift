import Foundation
public import TallyPricing

/// A ledger opened for appending: the in-flight journal, appends, and its reader; a SQLite file
/// (with group commit) or a PostgreSQL database (over connections it reuses, which ``run()``
/// closes at the end).
///
/// Several processes may open one ledger at once (a file in WAL mode with a 5-second busy
/// timeout; a database under its own locks). Opening migrates the ledger and recovers requests
/// left in flight by processes that are gone.
public final class Ledger: Sendable {
    /// The file path, or the server URL without its password.
    public let location: String
    /// Reads totals and rows back from the same ledger.
    public let reader: LedgerReader
    /// The rows recovered from the journal when the ledger was opened.
    public let recoveredAtOpen: [StoredLedgerEntry]
    /// The tables interrupted rows are priced with; nil when opened without any.
    public let prices: PriceBook?
    /// The schema version of the ledger, after migrating.
    public let schemaVersion: Int

    private let appender: any LedgerAppender

    /// Opens (creating with mode 0600 and migrating when needed) the ledger file at `path`, and
    /// turns requests left in flight by processes that are gone into `interrupted` rows priced
    /// with `prices` (unpriced without them).
    public convenience init(path: String, prices: PriceBook? = nil) throws {
        try self.init(path: path, migrations: Migration.sqlite, prices: prices)
    }

    /// Opens a ledger file with a given list of migrations (tests supply their own); `migrationProgress`
    /// hears how far a migration's rebuild of the rollups has come (`tally ledger migrate` draws it).
    package init(
        path: String, migrations: [Migration], prices: PriceBook?, maximumPageCount: Int? = nil,
        migrationProgress: (@Sendable (_ done: Int, _ of: Int) -> Void)? = nil
    ) throws {
        let storage = try SQLiteLedgerStorage(
            path: path, mode: .write, migrations: migrations, maximumPageCount: maximumPageCount,
            migrationProgress: migrationProgress
        )
        self.location = path
        self.appender = LedgerWriter(storage: storage)
        self.reader = LedgerReader(store: storage)
        self.prices = prices
        self.schemaVersion = storage.schemaVersion
        self.recoveredAtOpen = try storage.recover(prices: prices)
    }

    private init(location: String, appender: any LedgerAppender, reader: LedgerReader, prices: PriceBook?, schemaVersion: Int, recovered: [StoredLedgerEntry]) {
        self.location = location
        self.appender = appender
        self.reader = reader
        self.prices = prices
        self.schemaVersion = schemaVersion
        self.recoveredAtOpen = recovered
    }

    /// Opens the ledger at `location` as ``init(path:prices:)`` opens a file; a PostgreSQL
    /// database is migrated (under an advisory lock) and its journal recovered, and appends and
    /// reads then reuse a few connections to it.
    public static func open(_ location: LedgerLocation, prices: PriceBook? = nil) async throws -> Ledger {
        switch location {
        case .file(let path):
            return try Ledger(path: path, prices: prices)
        case .postgres(let address):
            let single = PostgresLedgerStore(address: address)
            let (_, version) = try await single.migrate()
            let recovered = try await single.recover(prices: prices)
            let pooled = PostgresLedgerStore(address: address, pooled: true)
            return Ledger(
                location: address.description, appender: pooled, reader: LedgerReader(store: pooled), prices: prices,
                schemaVersion: version, recovered: recovered
            )
        }
    }

    /// Waits until the task is cancelled, then closes a PostgreSQL ledger's idle connections
    /// (run it beside the work, for example as a `Service`); a file has none, and this returns
    /// at once.
    public func run() async {
        await appender.run()
    }

    /// Runs `body` with ``run()`` going beside it, and stops it after, which closes the connections.
    package func whileRunning<Result: Sendable>(_ body: () async throws -> Result) async throws -> Result {
        try await withoutActuallyEscaping(body) { escapable in
            // Runs in the calling task only; the group ends before this function returns.
            nonisolated(unsafe) let body = escapable
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await self.run() }
                defer { group.cancelAll() }
                return try await body()
            }
        }
    }

    /// Records a request in the journal before it is sent upstream; returns once that is durable.
    package func begin(_ request: InFlightRequest) async throws -> InFlightTicket {
        try validate(request.attribution)
        guard case .begun(let journalSeq) = try await appender.submit(.begin(request)) else {
            throw LedgerError(.io, location: location, message: "the journal returned no row")
        }
        return InFlightTicket(journalSeq: journalSeq, request: request)
    }

    /// Appends the row of a journaled request and removes it from the journal, in one transaction;
    /// returns the row's sequence number once it is durable.
    @discardableResult
    package func append(completing ticket: InFlightTicket, with entry: LedgerEntry) async throws -> Int64 {
        try validate(entry)
        return try await firstSeq(appender.submit(.complete(journalSeq: ticket.journalSeq, entry: entry)))
    }

    /// Appends one row that was not journaled; returns its sequence number once it is durable.
    @discardableResult
    public func append(_ entry: LedgerEntry) async throws -> Int64 {
        try validate(entry)
        return try await firstSeq(appender.submit(.append([entry])))
    }

    /// Appends rows in one transaction, all or none; returns their (consecutive) sequence numbers.
    @discardableResult
    public func append(contentsOf entries: [LedgerEntry]) async throws -> Range<Int64> {
        for entry in entries { try validate(entry) }
        guard case .appended(let seqs) = try await appender.submit(.append(entries)) else {
            throw LedgerError(.io, location: location, message: "the append returned no rows")
        }
        return seqs
    }

    /// This ledger's own instance id as a spool, made and kept the first time it is asked for.
    package func makeInstanceID() async throws -> String {
        try await appender.makeInstanceID()
    }

    /// Appends rows shipped from `instance`'s spool, skipping those already here
    /// (``WriteOperation/ship(instance:rows:)``); returns the numbers of the rows written.
    package func ship(_ rows: [StoredLedgerEntry], from instance: String) async throws -> Range<Int64> {
        for row in rows { try validate(row.entry) }
        guard case .appended(let seqs) = try await appender.submit(.ship(instance: instance, rows: rows)) else {
            throw LedgerError(.io, location: location, message: "the shipment returned no rows")
        }
        return seqs
    }

    /// Turns journal rows of processes that are gone into `interrupted` rows; returns them.
    /// Runs on every open; call it again to sweep up after workers that died since.
    @discardableResult
    public func recover() async throws -> [StoredLedgerEntry] {
        try await appender.recover(prices: prices)
    }

    private func firstSeq(_ outcome: WriteOutcome) throws -> Int64 {
        guard case .appended(let seqs) = outcome, let seq = seqs.first else {
            throw LedgerError(.io, location: location, message: "the append returned no row")
        }
        return seq
    }

    private func validate(_ entry: LedgerEntry) throws {
        try validate(entry.attribution)
        if (entry.kind == .adjustment) != (entry.adjusts != nil) {
            throw LedgerError(.invalidValue, location: location, message: "row \(entry.id): only an adjustment, and every adjustment, names a row it adjusts")
        }
    }

    private func validate(_ attribution: Attribution) throws {
        if let value = attribution.invalidValue {
            throw LedgerError(.invalidValue, location: location, message: "attribution '\(value.debugDescription)' holds a control character")
        }
    }
}
