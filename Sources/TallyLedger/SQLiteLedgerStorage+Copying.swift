import GRDB

extension SQLiteLedgerStorage: LedgerCopyTarget {
    func prepareForCopy() async throws {
        // Opening for writing created and migrated the file.
    }

    func lastRow() async throws -> (seq: Int64, id: String)? {
        do {
            return try await read { db in
                guard let row = try Row.fetchOne(db, sql: "SELECT seq, id FROM ledger_rows ORDER BY seq DESC LIMIT 1") else { return nil }
                return (row["seq"], row["id"])
            }
        } catch {
            throw ledgerError(error)
        }
    }

    /// Appends rows under the numbers given, with their tags and rollup sums, in one transaction.
    func appendCopied(_ entries: [LedgerEntry], seqs: [Int64]) async throws {
        guard entries.count == seqs.count else {
            throw LedgerError(.invalidValue, location: path, message: "\(seqs.count) sequence number(s) for \(entries.count) row(s); nothing was written")
        }
        guard let writer else { throw LedgerError(.io, location: path, message: "opened read-only") }
        do {
            try await writer.write { db in
                var insertRow = try SQLiteStatement(
                    db, sql: AppendStatements.insertSQL(into: "ledger_rows", columns: "seq, " + AppendStatements.rowColumns, columnCount: 37, rows: 1)
                )
                var insertTag = try SQLiteStatement(db, sql: "INSERT INTO ledger_tags (seq, tag) VALUES (?, ?)")
                defer {
                    insertRow.clearBindings()
                    insertTag.clearBindings()
                }
                var sums = RollupAccumulator()
                for (entry, seq) in zip(entries, seqs) {
                    insertRow.bind(seq)
                    AppendStatements.bind(entry, to: &insertRow)
                    try insertRow.run()
                    for tag in Set(entry.attribution.tags).sorted() {
                        insertTag.bind(seq)
                        insertTag.bind(tag)
                        try insertTag.run()
                    }
                    sums.add(entry)
                }
                var rollups: [(key: RollupKey, totals: RollupTotals)] = []
                sums.forEach { rollups.append(($0, $1)) }
                var statements = try AppendStatements(db)
                defer { statements.releaseBindings() }
                try statements.upsert(rollups)
            }
        } catch {
            throw ledgerError(error)
        }
    }

    func finishCopy() async throws {
        // A row's number is its rowid: the next append takes the one after the largest.
    }
}
