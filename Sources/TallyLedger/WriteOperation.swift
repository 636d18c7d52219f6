/// One write the ledger's writer applies; several are grouped into one transaction.
enum WriteOperation: Sendable {
    /// Record a request in the journal before it goes upstream.
    case begin(InFlightRequest)
    /// Append the row of a journaled request and remove its journal row.
    case complete(journalSeq: Int64, entry: LedgerEntry)
    /// Append rows that were never journaled.
    case append([LedgerEntry])
    /// Append rows shipped from a spool (``LedgerShipper``), each recorded with its origin: the
    /// spool's instance id and the row's sequence number there. Rows at or below how far that
    /// instance has shipped are skipped, so a batch sent twice is written once; an adjustment's
    /// `adjusts` names a row of the spool, and is turned into that row's number here.
    case ship(instance: String, rows: [StoredLedgerEntry])

    /// Whether this records a request in the journal.
    var isBegin: Bool {
        if case .begin = self { true } else { false }
    }

    /// A write of at most one row, quick enough to commit on a caller's thread.
    var isSmall: Bool {
        switch self {
        case .begin, .complete: true
        case .append(let entries): entries.count <= 1
        case .ship: false
        }
    }
}

/// What a write produced.
enum WriteOutcome: Sendable {
    /// The journal row's sequence number.
    case begun(journalSeq: Int64)
    /// The appended rows' sequence numbers (consecutive; empty for no rows).
    case appended(Range<Int64>)
}
