import GRDB
import TallyPricing
import TallyUsage

/// The prepared statements of the append path, bound through the C API.
///
/// Rows and tags of a batch go in several to a statement: one `INSERT … VALUES (…), (…), …`
/// of 32 rows costs SQLite much less than 32 single-row statements (each step opens cursors,
/// runs the program's prologue and resets), about a third more rows per second in bulk.
struct AppendStatements {
    private var insertRow: SQLiteStatement
    private var insertRows: SQLiteStatement
    private var insertTag: SQLiteStatement
    private var insertTags: SQLiteStatement
    private var insertJournalRow: SQLiteStatement
    private var deleteJournalRow: SQLiteStatement
    private var upsertRollup: SQLiteStatement
    private var upsertTagRollup: SQLiteStatement
    private var selectRow: SQLiteStatement
    /// Tags of inserted rows not yet written, flushed several to a statement.
    private var pendingTags: [(seq: Int64, tag: String)] = []

    /// Rows per multi-row insert.
    static let rowsPerStatement = 32
    /// Tags per multi-row insert.
    static let tagsPerStatement = 32

    static let rowColumns = """
        id, kind, ts_ms, provider, model_requested, model_returned, endpoint, streamed, outcome,
        http_status, attempts, input_tokens, cached_input_tokens, cache_write_tokens,
        cache_write_1h_tokens, output_tokens, reasoning_tokens, usage_source, usage_flags,
        cost_nano, list_cost_nano, price_table, price_provider, price_model, price_from, price_tier,
        list_price_table, list_price_provider, list_price_model, list_price_from, list_price_tier,
        latency_ms, first_token_ms, project, user_name, adjusts
        """

    /// `INSERT INTO table (columns) VALUES (?, …), …` for `rows` rows of `columnCount` parameters.
    static func insertSQL(into table: String, columns: String, columnCount: Int, rows: Int) -> String {
        let row = "(" + Array(repeating: "?", count: columnCount).joined(separator: ", ") + ")"
        return "INSERT INTO \(table) (\(columns)) VALUES " + Array(repeating: row, count: rows).joined(separator: ", ")
    }

    /// The key columns of `ledger_rollup`, then its sums in ``RollupTotals/values`` order.
    static let rollupKeyColumns = ["grain", "bucket", "provider", "model", "project", "user_name"]
    static let rollupSumColumns = [
        "requests", "adjustments", "estimated", "unpriced", "without_list_price", "implausible",
        "input_tokens", "cached_input_tokens", "cache_write_tokens", "cache_write_1h_tokens",
        "output_tokens", "reasoning_tokens", "cost_nano_high", "cost_nano_low",
        "list_cost_nano_high", "list_cost_nano_low", "listed_cost_nano_high", "listed_cost_nano_low",
    ]
    static let rollupColumns = (rollupKeyColumns + rollupSumColumns).joined(separator: ", ")
    /// The key columns of `ledger_tag_rollup`: those of `ledger_rollup` with the tag after the bucket.
    static let tagRollupKeyColumns = ["grain", "bucket", "tag", "provider", "model", "project", "user_name"]
    static let tagRollupColumns = (tagRollupKeyColumns + rollupSumColumns).joined(separator: ", ")

    /// The table a grain's rows are in, and its columns (key, then sums) in order.
    static func rollupTable(_ grain: RollupGrain) -> (name: String, columns: String) {
        grain.family.isTagged ? ("ledger_tag_rollup", tagRollupColumns) : ("ledger_rollup", rollupColumns)
    }

    /// Adds the new sums to a rollup row that exists, or inserts it.
    static func rollupConflictClause(keys: [String]) -> String {
        "ON CONFLICT (" + keys.joined(separator: ", ") + ") DO UPDATE SET "
            + rollupSumColumns.map { "\($0) = \($0) + excluded.\($0)" }.joined(separator: ", ")
    }

    private static let insertRowSQL = insertSQL(into: "ledger_rows", columns: rowColumns, columnCount: 36, rows: 1)
    private static let insertRowsSQL = insertSQL(into: "ledger_rows", columns: rowColumns, columnCount: 36, rows: rowsPerStatement)
    private static let insertTagSQL = insertSQL(into: "ledger_tags", columns: "seq, tag", columnCount: 2, rows: 1)
    private static let insertTagsSQL = insertSQL(into: "ledger_tags", columns: "seq, tag", columnCount: 2, rows: tagsPerStatement)
    private static let upsertRollupSQL = insertSQL(into: "ledger_rollup", columns: rollupColumns, columnCount: rollupKeyColumns.count + rollupSumColumns.count, rows: 1)
        + "\n" + rollupConflictClause(keys: rollupKeyColumns)
    private static let upsertTagRollupSQL = insertSQL(
        into: "ledger_tag_rollup", columns: tagRollupColumns, columnCount: tagRollupKeyColumns.count + rollupSumColumns.count, rows: 1
    ) + "\n" + rollupConflictClause(keys: tagRollupKeyColumns)

    init(_ db: Database) throws {
        insertRow = try SQLiteStatement(db, sql: Self.insertRowSQL)
        insertRows = try SQLiteStatement(db, sql: Self.insertRowsSQL)
        insertTag = try SQLiteStatement(db, sql: Self.insertTagSQL)
        insertTags = try SQLiteStatement(db, sql: Self.insertTagsSQL)
        insertJournalRow = try SQLiteStatement(db, sql: """
            INSERT INTO ledger_journal (
                id, ts_ms, provider, model_requested, endpoint, streamed, estimated_input_tokens,
                project, user_name, tags, owner_pid, owner_start, owner_boot
            ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        deleteJournalRow = try SQLiteStatement(db, sql: "DELETE FROM ledger_journal WHERE seq = ?")
        upsertRollup = try SQLiteStatement(db, sql: Self.upsertRollupSQL)
        upsertTagRollup = try SQLiteStatement(db, sql: Self.upsertTagRollupSQL)
        selectRow = try SQLiteStatement(db, sql: "SELECT 1 FROM ledger_rows WHERE seq = ?")
    }

    /// Appends rows in order, several to a statement; returns their (consecutive) sequence
    /// numbers. Their tags are written by ``flushTags()``.
    mutating func insert(_ entries: ArraySlice<LedgerEntry>) throws -> Range<Int64> {
        var first: Int64?
        var last: Int64 = 0
        var index = entries.startIndex
        while index < entries.endIndex {
            let count = entries.endIndex - index >= Self.rowsPerStatement ? Self.rowsPerStatement : 1
            for offset in 0..<count {
                if count == 1 { Self.bind(entries[index + offset], to: &insertRow) } else { Self.bind(entries[index + offset], to: &insertRows) }
            }
            if count == 1 {
                try insertRow.run()
                last = insertRow.lastInsertedRowID
            } else {
                try insertRows.run()
                last = insertRows.lastInsertedRowID
            }
            // One statement's rows take consecutive rowids: the writer holds the write lock, and
            // each new rowid is one more than the largest in the table.
            let statementFirst = last - Int64(count - 1)
            if first == nil { first = statementFirst }
            for offset in 0..<count {
                for tag in entries[index + offset].attribution.tags {
                    pendingTags.append((statementFirst + Int64(offset), tag))
                }
            }
            index += count
        }
        if pendingTags.count >= Self.tagsPerStatement * 8 { try flushTags() }
        return (first ?? 0)..<(first == nil ? 0 : last + 1)
    }

    /// Writes the tags of the rows inserted so far.
    mutating func flushTags() throws {
        var index = 0
        while index < pendingTags.count {
            if pendingTags.count - index >= Self.tagsPerStatement {
                for offset in 0..<Self.tagsPerStatement {
                    insertTags.bind(pendingTags[index + offset].seq)
                    insertTags.bind(pendingTags[index + offset].tag)
                }
                try insertTags.run()
                index += Self.tagsPerStatement
            } else {
                insertTag.bind(pendingTags[index].seq)
                insertTag.bind(pendingTags[index].tag)
                try insertTag.run()
                index += 1
            }
        }
        pendingTags.removeAll(keepingCapacity: true)
    }

    /// Binds one row's 36 columns, in `rowColumns` order, as the statement's next parameters.
    static func bind(_ entry: LedgerEntry, to statement: inout SQLiteStatement) {
        statement.bind(entry.id)
        statement.bind(entry.kind.rawValue)
        statement.bind(entry.timestampMs)
        statement.bind(entry.provider)
        statement.bind(entry.modelRequested)
        statement.bind(entry.modelReturned)
        statement.bind(entry.endpoint)
        statement.bind(Int64(entry.streamed ? 1 : 0))
        statement.bind(entry.outcome.rawValue)
        statement.bind(entry.httpStatus.map(Int64.init))
        statement.bind(Int64(entry.attempts))
        statement.bind(entry.usage.input)
        statement.bind(entry.usage.cachedInput)
        statement.bind(entry.usage.cacheWrite)
        statement.bind(entry.usage.cacheWrite1h)
        statement.bind(entry.usage.output)
        statement.bind(entry.usage.reasoning)
        statement.bind(entry.usageSource.rawValue)
        statement.bind(Int64(entry.usage.recordedFlags.rawValue))
        statement.bind(entry.cost?.nanoUSD)
        statement.bind(entry.listCost?.nanoUSD)
        bind(entry.priceEntry, to: &statement)
        bind(entry.listPriceEntry, to: &statement)
        statement.bind(entry.latencyMs)
        statement.bind(entry.firstTokenMs)
        statement.bind(entry.attribution.project)
        statement.bind(entry.attribution.user)
        statement.bind(entry.adjusts)
    }

    private static func bind(_ reference: PriceEntryRef?, to statement: inout SQLiteStatement) {
        statement.bind(reference?.table)
        statement.bind(reference?.provider)
        statement.bind(reference?.model)
        statement.bind(reference?.from)
        statement.bind(reference?.tierAbove)
    }

    /// The first adjustment in `entries` whose row does not exist, or nil.
    mutating func missingAdjustedRow(_ entries: [LedgerEntry]) throws -> (id: String, adjusts: Int64)? {
        for index in entries.indices {
            guard let adjusted = entries[index].adjusts else { continue }
            selectRow.bind(adjusted)
            guard try selectRow.step() else {
                return (entries[index].id, adjusted)
            }
        }
        return nil
    }

    /// Clears every statement's parameters, which point into this value's buffers, before the
    /// buffers go: the statements stay cached on the connection.
    mutating func releaseBindings() {
        for statement in [insertRow, insertRows, insertTag, insertTags, insertJournalRow, deleteJournalRow, upsertRollup, upsertTagRollup, selectRow] {
            statement.clearBindings()
        }
    }

    /// Records an in-flight request; returns its journal sequence number.
    mutating func insertJournal(_ request: InFlightRequest, owner: ProcessIdentity) throws -> Int64 {
        insertJournalRow.bind(request.id)
        insertJournalRow.bind(request.timestampMs)
        insertJournalRow.bind(request.provider)
        insertJournalRow.bind(request.model)
        insertJournalRow.bind(request.endpoint)
        insertJournalRow.bind(Int64(request.streamed ? 1 : 0))
        insertJournalRow.bind(request.estimatedInputTokens)
        insertJournalRow.bind(request.attribution.project)
        insertJournalRow.bind(request.attribution.user)
        insertJournalRow.bind(request.attribution.tags.joined(separator: "\u{1F}"))
        insertJournalRow.bind(owner.pid)
        insertJournalRow.bind(owner.startTicks)
        insertJournalRow.bind(owner.bootID)
        try insertJournalRow.run()
        return insertJournalRow.lastInsertedRowID
    }

    /// Removes a journal row; false when it was not there.
    mutating func deleteJournal(_ seq: Int64) throws -> Bool {
        deleteJournalRow.bind(seq)
        try deleteJournalRow.run()
        return deleteJournalRow.changes > 0
    }

    /// Adds a batch's sums to their rollup rows, one statement each: a multi-row upsert measured
    /// slower than single ones (unlike plain inserts).
    mutating func upsert(_ sums: [(key: RollupKey, totals: RollupTotals)]) throws {
        for sum in sums {
            if sum.key.grain.family.isTagged {
                Self.bind(sum, to: &upsertTagRollup)
                try upsertTagRollup.run()
            } else {
                Self.bind(sum, to: &upsertRollup)
                try upsertRollup.run()
            }
        }
    }

    private static func bind(_ sum: (key: RollupKey, totals: RollupTotals), to statement: inout SQLiteStatement) {
        let (key, totals) = sum
        statement.bind(key.grain.rawValue)
        statement.bind(key.bucket)
        if key.grain.family.isTagged { statement.bind(key.tag) }
        statement.bind(key.provider)
        statement.bind(key.model)
        statement.bind(key.project)
        statement.bind(key.user)
        for value in totals.values { statement.bind(value) }
    }
}
