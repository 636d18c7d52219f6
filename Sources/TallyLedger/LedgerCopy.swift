/// `tally ledger copy`: one ledger's rows into another (a SQLite file or a PostgreSQL database,
/// either way), in append order, each under its own sequence number, so ids, order and
/// adjustments arrive as they were.
///
/// Each batch is one transaction (rows, tags, rollups), so an interrupted copy leaves the target
/// a consistent prefix of the source, and the next run goes on after the target's last row.
/// It ends by comparing rows and exact sums per UTC month on both sides.
package struct LedgerCopy: Sendable {
    /// What a finished copy did and found.
    package struct Outcome: Sendable, Hashable {
        /// Rows written by this run.
        package var copied: Int64
        /// Rows the target already held from an earlier run.
        package var alreadyThere: Int64
        /// The months both sides agree on.
        package var months: [LedgerMonthTotals]
    }

    /// Rows per transaction.
    package var batchRows = 2_000
    package var source: LedgerReader
    let target: any LedgerCopyTarget

    /// A copy from `source` into the ledger at `target`: a file is created (mode 0600) and
    /// migrated when opened here; a database is migrated when the copy runs.
    package init(source: LedgerReader, target: LedgerLocation) throws {
        self.source = source
        switch target {
        case .file(let path): self.target = try SQLiteLedgerStorage(path: path, mode: .write)
        case .postgres(let address): self.target = PostgresLedgerStore(address: address)
        }
    }

    /// Migrates the target, copies what it lacks, and compares; `progress` hears rows done of the source's rows.
    package func run(progress: @Sendable (_ done: Int64, _ of: Int64) -> Void = { _, _ in }) async throws -> Outcome {
        try await target.prepareForCopy()
        let total = try await source.info().rows ?? 0
        var last: Int64 = 0
        var alreadyThere: Int64 = 0
        if let (seq, id) = try await target.lastRow() {
            let match = try await source.entries(after: seq - 1, limit: 1).first
            guard let match, match.seq == seq, match.entry.id == id else {
                throw LedgerError(
                    .copyMismatch, location: target.location,
                    message: "holds rows that are not \(source.location)'s (row \(seq) is \(id) here, \(match.map { "\($0.entry.id) at \($0.seq)" } ?? "absent") there); copy into an empty database"
                )
            }
            last = seq
            alreadyThere = try await target.info().rows ?? 0
        }
        var copied: Int64 = 0
        progress(alreadyThere, total)
        while true {
            let batch = try await source.entries(after: last, limit: batchRows)
            guard let end = batch.last?.seq else { break }
            try await target.appendCopied(batch.map(\.entry), seqs: batch.map(\.seq))
            copied += Int64(batch.count)
            last = end
            progress(alreadyThere + copied, total)
        }
        try await target.finishCopy()
        let here = try await source.monthlyTotals()
        let there = try await target.monthlyTotals()
        guard here == there else {
            let differing = Set(here).symmetricDifference(Set(there)).map(\.month).sorted()
            throw LedgerError(
                .copyMismatch, location: target.location,
                message: "after the copy, rows or sums differ from \(source.location)'s in \(Set(differing).sorted().joined(separator: ", ")) (UTC months)"
            )
        }
        return Outcome(copied: copied, alreadyThere: alreadyThere, months: here)
    }
}

/// A ledger `tally ledger copy` writes into: rows under the source's own sequence numbers, each
/// batch with its tags and rollups in one transaction.
protocol LedgerCopyTarget: Sendable {
    /// The file path, or the server URL without its password.
    var location: String { get }
    /// Creates or migrates the ledger's tables.
    func prepareForCopy() async throws
    /// The highest sequence number and its row's id; nil for an empty ledger.
    func lastRow() async throws -> (seq: Int64, id: String)?
    /// Appends rows under the numbers given, in one transaction.
    func appendCopied(_ entries: [LedgerEntry], seqs: [Int64]) async throws
    /// Makes the next append number its row after the copied ones.
    func finishCopy() async throws
    /// Rows, cost and list cost per UTC month, exact.
    func monthlyTotals() async throws -> [LedgerMonthTotals]
    /// What `tally ledger info` shows.
    func info() async throws -> LedgerInfo
}
