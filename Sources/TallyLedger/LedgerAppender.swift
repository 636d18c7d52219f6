import TallyPricing

/// Where a `Ledger` writes: a SQLite file's group-committing writer (`LedgerWriter`), or a
/// PostgreSQL database's pool (`PostgresLedgerStore`). Both apply an operation atomically,
/// rows with their rollups, and turn the journal rows of processes that are gone into
/// `interrupted` rows (``InFlightRequest/interruptedEntry(prices:)``).
protocol LedgerAppender: Sendable {
    /// Applies `operation` in a transaction; returns once it is durable.
    func submit(_ operation: WriteOperation) async throws -> WriteOutcome

    /// Turns the journal rows of processes that are gone into `interrupted` rows priced with
    /// `prices`, in one transaction; returns them.
    func recover(prices: PriceBook?) async throws -> [StoredLedgerEntry]

    /// This ledger's own instance id as a spool: read, or made (a new random id) and kept on first use.
    func makeInstanceID() async throws -> String

    /// Waits until the task is cancelled, then closes what the appender holds open (a server's
    /// connections); returns at once when it holds nothing.
    func run() async
}

extension InFlightRequest {
    /// The row of a request that never finished (estimated input only, outcome `interrupted`),
    /// priced with `prices` (unpriced without them): what recovery appends for every store.
    func interruptedEntry(prices: PriceBook?) -> LedgerEntry {
        var entry = LedgerEntry(interrupted: self)
        entry.apply(prices?.charge(provider: provider, requestedModel: model, at: timestamp, usage: entry.usage))
        return entry
    }
}
