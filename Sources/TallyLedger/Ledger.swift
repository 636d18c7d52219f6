public import Foundation
public import TallyPricing

/// A ledger opened for appending: the in-flight journal, appends with group commit, and its reader.
///
/// Several processes may open one ledger file at once (WAL mode, a 5-second busy timeout).
/// Opening migrates the file and recovers requests left in flight by processes that are gone.
public final class Ledger: Sendable {
    /// The ledger file.
    public let path: String
    /// Reads totals and rows back from the same file.
    public let reader: LedgerReader
    /// The rows recovered from the journal when the ledger was opened.
    public let recoveredAtOpen: [StoredLedgerEntry]

    let storage: SQLiteLedgerStorage
    private let writer: LedgerWriter
    /// The tables interrupted rows are priced with; nil when opened without any.
    public let prices: PriceBook?

    /// Opens (creating with mode 0600 and migrating when needed) the ledger at `path`, and turns
    /// requests left in flight by processes that are gone into `interrupted` rows priced with
    /// `prices` (unpriced without them).
    public convenience init(path: String, prices: PriceBook? = nil) throws {
        try self.init(path: path, migrations: Migration.sqlite, prices: prices)
    }

    /// Opens a ledger with a given list of migrations (tests supply their own); `migrationProgress`
    /// hears how far a migration's rebuild of the rollups has come (`tally ledger migrate` draws it).
    package init(
        path: String, migrations: [Migration], prices: PriceBook?, maximumPageCount: Int? = nil,
        migrationProgress: (@Sendable (_ done: Int, _ of: Int) -> Void)? = nil
    ) throws {
        let storage = try SQLiteLedgerStorage(
            path: path, mode: .write, migrations: migrations, maximumPageCount: maximumPageCount,
            migrationProgress: migrationProgress
        )
        self.path = path
        self.storage = storage
        self.writer = LedgerWriter(storage: storage)
        self.reader = LedgerReader(storage: storage)
        self.prices = prices
        self.recoveredAtOpen = try storage.recover(prices: prices)
    }

    /// The schema version of the file, after migrating.
    public var schemaVersion: Int { storage.schemaVersion }

    /// Records a request in the journal before it is sent upstream; returns once that is durable.
    package func begin(_ request: InFlightRequest) async throws -> InFlightTicket {
        try validate(request.attribution)
        guard case .begun(let journalSeq) = try await writer.submit(.begin(request)) else {
            throw LedgerError(.io, location: path, message: "the journal returned no row")
        }
        return InFlightTicket(journalSeq: journalSeq, request: request)
    }

    /// Appends the row of a journaled request and removes it from the journal, in one transaction;
    /// returns the row's sequence number once it is durable.
    @discardableResult
    package func append(completing ticket: InFlightTicket, with entry: LedgerEntry) async throws -> Int64 {
        try validate(entry)
        return try await firstSeq(writer.submit(.complete(journalSeq: ticket.journalSeq, entry: entry)))
    }

    /// Appends one row that was not journaled; returns its sequence number once it is durable.
    @discardableResult
    public func append(_ entry: LedgerEntry) async throws -> Int64 {
        try validate(entry)
        return try await firstSeq(writer.submit(.append([entry])))
    }

    /// Appends rows in one transaction, all or none; returns their (consecutive) sequence numbers.
    @discardableResult
    public func append(contentsOf entries: [LedgerEntry]) async throws -> Range<Int64> {
        for entry in entries { try validate(entry) }
        guard case .appended(let seqs) = try await writer.submit(.append(entries)) else {
            throw LedgerError(.io, location: path, message: "the append returned no rows")
        }
        return seqs
    }

    /// Turns journal rows of processes that are gone into `interrupted` rows; returns them.
    /// Runs on every open; call it again to sweep up after workers that died since.
    @discardableResult
    public func recover() async throws -> [StoredLedgerEntry] {
        try await storage.recover(prices: prices)
    }

    private func firstSeq(_ outcome: WriteOutcome) throws -> Int64 {
        guard case .appended(let seqs) = outcome, let seq = seqs.first else {
            throw LedgerError(.io, location: path, message: "the append returned no row")
        }
        return seq
    }

    private func validate(_ entry: LedgerEntry) throws {
        try validate(entry.attribution)
        if (entry.kind == .adjustment) != (entry.adjusts != nil) {
            throw LedgerError(.invalidValue, location: path, message: "row \(entry.id): only an adjustment, and every adjustment, names a row it adjusts")
        }
    }

    private func validate(_ attribution: Attribution) throws {
        if let value = attribution.invalidValue {
            throw LedgerError(.invalidValue, location: path, message: "attribution '\(value.debugDescription)' holds a control character")
        }
    }
}
