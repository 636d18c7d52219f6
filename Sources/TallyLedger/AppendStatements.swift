import GRDB
import TallyPricing

/// The prepared statements of the append path, bound through the C API.
struct AppendStatements {
    private var insertRow: SQLiteStatement
    private var insertTag: SQLiteStatement
    private var insertJournalRow: SQLiteStatement
    private var deleteJournalRow: SQLiteStatement
    private var upsertRollup: SQLiteStatement
    private var selectRow: SQLiteStatement

    static let insertRowSQL = """
        INSERT INTO ledger_rows (
            id, kind, ts_ms, provider, model_requested, model_returned, endpoint, streamed, outcome,
            http_status, attempts, input_tokens, cached_input_tokens, cache_write_tokens,
            cache_write_1h_tokens, output_tokens, reasoning_tokens, usage_source, usage_flags,
            cost_nano, list_cost_nano, price_table, price_provider, price_model, price_from, price_tier,
            list_price_table, list_price_provider, list_price_model, list_price_from, list_price_tier,
            latency_ms, first_token_ms, project, user_name, adjusts
        ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    static let upsertRollupSQL = """
        INSERT INTO ledger_rollup (
            grain, bucket, provider, model, project, user_name, requests, adjustments, estimated, unpriced,
            without_list_price, input_tokens, cached_input_tokens, cache_write_tokens, cache_write_1h_tokens,
            output_tokens, reasoning_tokens, cost_nano, list_cost_nano, listed_cost_nano
        ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (grain, bucket, provider, model, project, user_name) DO UPDATE SET
            requests = requests + excluded.requests,
            adjustments = adjustments + excluded.adjustments,
            estimated = estimated + excluded.estimated,
            unpriced = unpriced + excluded.unpriced,
            without_list_price = without_list_price + excluded.without_list_price,
            input_tokens = input_tokens + excluded.input_tokens,
            cached_input_tokens = cached_input_tokens + excluded.cached_input_tokens,
            cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens,
            cache_write_1h_tokens = cache_write_1h_tokens + excluded.cache_write_1h_tokens,
            output_tokens = output_tokens + excluded.output_tokens,
            reasoning_tokens = reasoning_tokens + excluded.reasoning_tokens,
            cost_nano = cost_nano + excluded.cost_nano,
            list_cost_nano = list_cost_nano + excluded.list_cost_nano,
            listed_cost_nano = listed_cost_nano + excluded.listed_cost_nano
        """

    init(_ db: Database) throws {
        insertRow = try SQLiteStatement(db, sql: Self.insertRowSQL)
        insertTag = try SQLiteStatement(db, sql: "INSERT INTO ledger_tags (seq, tag) VALUES (?, ?)")
        insertJournalRow = try SQLiteStatement(db, sql: """
            INSERT INTO ledger_journal (
                id, ts_ms, provider, model_requested, endpoint, streamed, estimated_input_tokens,
                project, user_name, tags, owner_pid, owner_start, owner_boot
            ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        deleteJournalRow = try SQLiteStatement(db, sql: "DELETE FROM ledger_journal WHERE seq = ?")
        upsertRollup = try SQLiteStatement(db, sql: Self.upsertRollupSQL)
        selectRow = try SQLiteStatement(db, sql: "SELECT 1 FROM ledger_rows WHERE seq = ?")
    }

    /// Appends one row and its tags; returns its sequence number.
    mutating func insert(_ entry: LedgerEntry) throws -> Int64 {
        insertRow.bind(entry.id)
        insertRow.bind(entry.kind.rawValue)
        insertRow.bind(entry.timestampMs)
        insertRow.bind(entry.provider)
        insertRow.bind(entry.modelRequested)
        insertRow.bind(entry.modelReturned)
        insertRow.bind(entry.endpoint)
        insertRow.bind(Int64(entry.streamed ? 1 : 0))
        insertRow.bind(entry.outcome.rawValue)
        insertRow.bind(entry.httpStatus.map(Int64.init))
        insertRow.bind(Int64(entry.attempts))
        insertRow.bind(entry.usage.input)
        insertRow.bind(entry.usage.cachedInput)
        insertRow.bind(entry.usage.cacheWrite)
        insertRow.bind(entry.usage.cacheWrite1h)
        insertRow.bind(entry.usage.output)
        insertRow.bind(entry.usage.reasoning)
        insertRow.bind(entry.usageSource.rawValue)
        insertRow.bind(Int64(entry.usage.flags.rawValue))
        insertRow.bind(entry.cost?.nanoUSD)
        insertRow.bind(entry.listCost?.nanoUSD)
        bind(entry.priceEntry)
        bind(entry.listPriceEntry)
        insertRow.bind(entry.latencyMs)
        insertRow.bind(entry.firstTokenMs)
        insertRow.bind(entry.attribution.project)
        insertRow.bind(entry.attribution.user)
        insertRow.bind(entry.adjusts)
        try insertRow.run()
        let seq = insertRow.lastInsertedRowID
        for tag in entry.attribution.tags {
            insertTag.bind(seq)
            insertTag.bind(tag)
            try insertTag.run()
        }
        return seq
    }

    private mutating func bind(_ reference: PriceEntryRef?) {
        insertRow.bind(reference?.table)
        insertRow.bind(reference?.provider)
        insertRow.bind(reference?.model)
        insertRow.bind(reference?.from)
        insertRow.bind(reference?.tierAbove)
    }

    /// The first adjustment in `entries` whose row does not exist, or nil.
    mutating func missingAdjustedRow(_ entries: [LedgerEntry]) throws -> (id: String, adjusts: Int64)? {
        for entry in entries {
            guard let adjusted = entry.adjusts else { continue }
            selectRow.bind(adjusted)
            guard try selectRow.step() else {
                return (entry.id, adjusted)
            }
        }
        return nil
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

    /// Adds a batch's sums to one rollup row.
    mutating func upsert(_ key: RollupKey, _ totals: RollupTotals) throws {
        upsertRollup.bind(key.grain.rawValue)
        upsertRollup.bind(key.bucket)
        upsertRollup.bind(key.provider)
        upsertRollup.bind(key.model)
        upsertRollup.bind(key.project)
        upsertRollup.bind(key.user)
        upsertRollup.bind(totals.requests)
        upsertRollup.bind(totals.adjustments)
        upsertRollup.bind(totals.estimated)
        upsertRollup.bind(totals.unpriced)
        upsertRollup.bind(totals.withoutListPrice)
        upsertRollup.bind(totals.input)
        upsertRollup.bind(totals.cachedInput)
        upsertRollup.bind(totals.cacheWrite)
        upsertRollup.bind(totals.cacheWrite1h)
        upsertRollup.bind(totals.output)
        upsertRollup.bind(totals.reasoning)
        upsertRollup.bind(totals.cost)
        upsertRollup.bind(totals.listCost)
        upsertRollup.bind(totals.listedCost)
        try upsertRollup.run()
    }
}

extension RollupTotals {
    /// Sums read back in `ledger_rollup`'s column order.
    init(values: [Int64]) {
        self.init(
            requests: values[0], adjustments: values[1], estimated: values[2], unpriced: values[3],
            withoutListPrice: values[4], input: values[5], cachedInput: values[6], cacheWrite: values[7],
            cacheWrite1h: values[8], output: values[9], reasoning: values[10], cost: values[11],
            listCost: values[12], listedCost: values[13]
        )
    }
}
