import Foundation
import PostgresNIO
import Synchronization
import TallyPricing
import TallyUsage

extension PostgresLedgerStore: LedgerCopyTarget {
    /// Rows per multi-row INSERT: 36 parameters each, far below the protocol's 65,535.
    static let rowsPerStatement = 256
    /// Rollup rows per multi-row upsert.
    static let rollupsPerStatement = 128

    /// The key of the advisory lock every append holds for its transaction: "tally_ap" in ASCII.
    /// Appends take turns, so each one's sequence numbers are consecutive and rows become
    /// visible in sequence order (a reader paging by sequence number never skips a row that
    /// commits late), and two appends never wait on each other's rollup rows.
    static let appendLock: Int64 = 0x7461_6C6C_795F_6170

    /// Appends rows, their tags and their rollup sums in one transaction, and returns their
    /// sequence numbers. `seqs` gives each row's number (a copy keeps the source's); without it
    /// the table's identity hands them out, in order.
    @discardableResult
    package func append(_ entries: [LedgerEntry], seqs given: [Int64]? = nil) async throws(LedgerError) -> [Int64] {
        guard !entries.isEmpty else { return [] }
        if let given, given.count != entries.count {
            throw LedgerError(
                .invalidValue, location: location,
                message: "\(given.count) sequence number(s) for \(entries.count) row(s); nothing was written"
            )
        }
        for entry in entries where (entry.kind == .adjustment) != (entry.adjusts != nil) {
            throw LedgerError(.invalidValue, location: location, message: "row \(entry.id): only an adjustment, and every adjustment, names a row it adjusts")
        }
        return try await writeTransaction { connection, sums in
            let seqs: [Int64]
            if let given { seqs = given } else { seqs = try await allocateSeqs(entries.count, connection) }
            try await insertRows(entries, seqs: seqs, connection)
            for entry in entries { sums.add(entry) }
            return seqs
        }
    }

    /// Runs `body` in one transaction holding ``appendLock``, then adds the rollup sums it
    /// gathered, in one order for every writer. A serialization failure or deadlock retries the
    /// whole transaction on its connection, up to three times; a connection lost before the
    /// COMMIT was sent (nothing was written) retries on a new one, up to three times over 3.5 s. A connection lost
    /// during the COMMIT is not retried, since the commit may have landed: the error says so.
    func writeTransaction<Result: Sendable>(
        _ body: (PostgresConnection, inout RollupAccumulator) async throws -> Result
    ) async throws(LedgerError) -> Result {
        var connections = 0
        while true {
            connections += 1
            let progress = WriteProgress()
            do {
                return try await withConnection { connection in
                    var attempt = 0
                    while true {
                        attempt += 1
                        do {
                            try await connection.query("BEGIN", logger: Self.logger)
                            let result: Result
                            do {
                                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.appendLock))", logger: Self.logger)
                                var sums = RollupAccumulator()
                                result = try await body(connection, &sums)
                                var rollups: [(key: RollupKey, totals: RollupTotals)] = []
                                sums.forEach { rollups.append(($0, $1)) }
                                rollups.sort { Self.sortKey($0.key).lexicographicallyPrecedes(Self.sortKey($1.key)) }
                                try await upsertRollups(rollups, connection)
                            } catch {
                                await Self.rollBack(connection, after: error)
                                throw error
                            }
                            progress.commitSent.store(true, ordering: .sequentiallyConsistent)
                            try await connection.query("COMMIT", logger: Self.logger)
                            return result
                        } catch let error where attempt < 4 && error.isRetryableConflict {
                            progress.commitSent.store(false, ordering: .sequentiallyConsistent)
                            try? await Task.sleep(for: .milliseconds(10 * attempt * attempt))
                        } catch let error where error.isConnectionLoss {
                            progress.lostConnection.store(true, ordering: .sequentiallyConsistent)
                            throw error
                        }
                    }
                }
            } catch {
                let lost = progress.lostConnection.load(ordering: .sequentiallyConsistent)
                let committing = progress.commitSent.load(ordering: .sequentiallyConsistent)
                if lost, !committing, connections < 4 {
                    // 0.25 s, 1 s, 2.25 s: long enough for a server's restart.
                    try? await Task.sleep(for: .milliseconds(250 * connections * connections))
                    continue
                }
                if lost, committing {
                    throw LedgerError(
                        error.code, location: location,
                        message: "the connection was lost while the server committed; the batch may or may not be written: look for its rows before writing them again"
                    )
                }
                throw error
            }
        }
    }

    /// Rows after `seq`, in append order, at most `limit`, with their tags (sorted as SQLite's
    /// binary collation sorts them).
    package func entries(after seq: Int64, limit: Int) async throws(LedgerError) -> [StoredLedgerEntry] {
        try await withConnection { connection in
            let rows = try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT l.seq, \(AppendStatements.rowColumns),
                            (SELECT string_agg(t.tag, chr(31) ORDER BY t.tag COLLATE "C") FROM ledger_tags t WHERE t.seq = l.seq)
                        FROM ledger_rows l WHERE l.seq > $1 ORDER BY l.seq LIMIT $2
                        """,
                    binds: { var binds = PostgresBindings(); binds.append(seq); binds.append(Int64(limit)); return binds }()
                ),
                logger: Self.logger
            )
            var found: [StoredLedgerEntry] = []
            for try await row in rows {
                found.append(try Self.storedEntry(row.makeRandomAccess(), location: address.description))
            }
            return found
        }
    }

    /// The highest sequence number and its row's id; `nil` for an empty ledger.
    package func lastRow() async throws(LedgerError) -> (seq: Int64, id: String)? {
        try await withConnection { connection in
            let rows = try await connection.query("SELECT seq, id FROM ledger_rows ORDER BY seq DESC LIMIT 1", logger: Self.logger)
            for try await (seq, id) in rows.decode((Int64, String).self) { return (seq, id) }
            return nil
        }
    }

    func appendCopied(_ entries: [LedgerEntry], seqs: [Int64]) async throws {
        try await append(entries, seqs: seqs)
    }

    /// Creates or migrates the ledger's tables before a copy writes into them.
    func prepareForCopy() async throws {
        _ = try await migrate()
    }

    /// Moves the identity past every row, after a copy wrote rows under numbers of their own.
    func finishCopy() async throws {
        try await advanceSeqPastRows()
    }

    /// Moves the identity past every row, after a copy wrote rows under numbers of their own.
    package func advanceSeqPastRows() async throws(LedgerError) {
        try await withConnection { connection in
            try await connection.query(
                "SELECT setval(pg_get_serial_sequence('ledger_rows', 'seq'), greatest(coalesce(max(seq), 0), 1), max(seq) IS NOT NULL) FROM ledger_rows",
                logger: Self.logger
            )
        }
    }

    /// Rows, requests, cost and list cost per UTC month, exact, for comparing two ledgers.
    package func monthlyTotals() async throws(LedgerError) -> [LedgerMonthTotals] {
        try await withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT to_char(to_timestamp(ts_ms / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM') AS month, count(*)::bigint,
                    coalesce(sum(cost_nano), 0)::text, coalesce(sum(list_cost_nano), 0)::text
                FROM ledger_rows GROUP BY month ORDER BY month
                """,
                logger: Self.logger
            )
            var months: [LedgerMonthTotals] = []
            for try await (month, count, cost, listCost) in rows.decode((String, Int64, String, String).self) {
                months.append(LedgerMonthTotals(month: month, rows: count, costNano: cost, listCostNano: listCost))
            }
            return months
        }
    }

    func allocateSeqs(_ count: Int, _ connection: PostgresConnection) async throws -> [Int64] {
        let rows = try await connection.query(
            "SELECT nextval(pg_get_serial_sequence('ledger_rows', 'seq')) FROM generate_series(1, \(count))",
            logger: Self.logger
        )
        var seqs: [Int64] = []
        seqs.reserveCapacity(count)
        for try await seq in rows.decode(Int64.self) { seqs.append(seq) }
        // Under the append lock, and the identity caching no numbers, they are consecutive.
        return seqs.sorted()
    }

    func insertRows(_ entries: [LedgerEntry], seqs: [Int64], _ connection: PostgresConnection) async throws {
        var start = 0
        while start < entries.count {
            let end = min(start + Self.rowsPerStatement, entries.count)
            var binds = PostgresBindings(capacity: (end - start) * 37)
            var tuples: [String] = []
            for index in start..<end {
                let base = (index - start) * 37
                tuples.append("(" + (1...37).map { "$\(base + $0)" }.joined(separator: ", ") + ")")
                binds.append(seqs[index])
                Self.bind(entries[index], to: &binds)
            }
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: "INSERT INTO ledger_rows (seq, \(AppendStatements.rowColumns)) OVERRIDING SYSTEM VALUE VALUES " + tuples.joined(separator: ", "),
                    binds: binds
                ),
                logger: Self.logger
            )
            var tagBinds = PostgresBindings()
            var tagTuples: [String] = []
            for index in start..<end {
                for tag in Set(entries[index].attribution.tags).sorted() {
                    tagTuples.append("($\(tagBinds.count + 1), $\(tagBinds.count + 2))")
                    tagBinds.append(seqs[index])
                    tagBinds.append(tag)
                }
            }
            if !tagTuples.isEmpty {
                try await connection.query(
                    PostgresQuery(unsafeSQL: "INSERT INTO ledger_tags (seq, tag) VALUES " + tagTuples.joined(separator: ", "), binds: tagBinds),
                    logger: Self.logger
                )
            }
            start = end
        }
    }

    private func upsertRollups(_ rollups: [(key: RollupKey, totals: RollupTotals)], _ connection: PostgresConnection) async throws {
        for tagged in [false, true] {
            let selected = rollups.filter { $0.key.grain.family.isTagged == tagged }
            let table = tagged ? "ledger_tag_rollup" : "ledger_rollup"
            let keys = tagged ? AppendStatements.tagRollupKeyColumns : AppendStatements.rollupKeyColumns
            let columns = keys + AppendStatements.rollupSumColumns
            let update = AppendStatements.rollupSumColumns.map { "\($0) = \(table).\($0) + excluded.\($0)" }.joined(separator: ", ")
            var start = 0
            while start < selected.count {
                let end = min(start + Self.rollupsPerStatement, selected.count)
                var binds = PostgresBindings(capacity: (end - start) * columns.count)
                var tuples: [String] = []
                for (key, totals) in selected[start..<end] {
                    let base = binds.count
                    tuples.append("(" + (1...columns.count).map { "$\(base + $0)" }.joined(separator: ", ") + ")")
                    binds.append(key.grain.rawValue)
                    binds.append(key.bucket)
                    if tagged { binds.append(key.tag) }
                    binds.append(key.provider)
                    binds.append(key.model)
                    binds.append(key.project)
                    binds.append(key.user)
                    for value in totals.values { binds.append(value) }
                }
                try await connection.query(
                    PostgresQuery(
                        unsafeSQL: "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES \(tuples.joined(separator: ", ")) "
                            + "ON CONFLICT (\(keys.joined(separator: ", "))) DO UPDATE SET \(update)",
                        binds: binds
                    ),
                    logger: Self.logger
                )
                start = end
            }
        }
    }

    /// One row's 36 columns, in `AppendStatements.rowColumns` order.
    private static func bind(_ entry: LedgerEntry, to binds: inout PostgresBindings) {
        binds.append(entry.id)
        binds.append(entry.kind.rawValue)
        binds.append(entry.timestampMs)
        binds.append(entry.provider)
        binds.append(entry.modelRequested)
        binds.append(entry.modelReturned)
        binds.append(entry.endpoint)
        binds.append(Int64(entry.streamed ? 1 : 0))
        binds.append(entry.outcome.rawValue)
        binds.append(entry.httpStatus.map(Int64.init))
        binds.append(Int64(entry.attempts))
        binds.append(entry.usage.input)
        binds.append(entry.usage.cachedInput)
        binds.append(entry.usage.cacheWrite)
        binds.append(entry.usage.cacheWrite1h)
        binds.append(entry.usage.output)
        binds.append(entry.usage.reasoning)
        binds.append(entry.usageSource.rawValue)
        binds.append(Int64(entry.usage.recordedFlags.rawValue))
        binds.append(entry.cost?.nanoUSD)
        binds.append(entry.listCost?.nanoUSD)
        for reference in [entry.priceEntry, entry.listPriceEntry] {
            binds.append(reference?.table)
            binds.append(reference?.provider)
            binds.append(reference?.model)
            binds.append(reference?.from)
            binds.append(reference?.tierAbove)
        }
        binds.append(entry.latencyMs)
        binds.append(entry.firstTokenMs)
        binds.append(entry.attribution.project)
        binds.append(entry.attribution.user)
        binds.append(entry.adjusts)
    }

    /// A row of `SELECT seq, <rowColumns>, tags` back as the entry it was written from.
    static func storedEntry(_ row: PostgresRandomAccessRow, location: String) throws -> StoredLedgerEntry {
        var column = 0
        func next<T: PostgresDecodable>(_ type: T.Type = T.self) throws -> T {
            defer { column += 1 }
            return try row[column].decode(T.self)
        }
        let seq: Int64 = try next()
        func value<T: RawRepresentable>(_ name: String) throws -> T where T.RawValue == String {
            let text: String = try next()
            guard let value = T(rawValue: text) else {
                throw LedgerError(.notALedger, location: location, message: "row \(seq): bad \(name) '\(text)'")
            }
            return value
        }
        let id: String = try next()
        let kind: LedgerEntry.Kind = try value("kind")
        let timestampMs: Int64 = try next()
        let provider: String = try next()
        let modelRequested: String = try next()
        let modelReturned: String? = try next()
        let endpoint: String = try next()
        let streamed: Int = try next()
        let outcome: LedgerEntry.Outcome = try value("outcome")
        let httpStatus: Int? = try next()
        let attempts: Int = try next()
        let input: Int64 = try next(), cachedInput: Int64 = try next(), cacheWrite: Int64 = try next()
        let cacheWrite1h: Int64 = try next(), output: Int64 = try next(), reasoning: Int64 = try next()
        let usageSource: LedgerEntry.UsageSource = try value("usage_source")
        let flags: Int = try next()
        let cost: Int64? = try next()
        let listCost: Int64? = try next()
        func reference() throws -> PriceEntryRef? {
            let table: String? = try next(), provider: String? = try next(), model: String? = try next()
            let from: String? = try next()
            let tier: Int? = try next()
            guard let table else { return nil }
            return PriceEntryRef(provider: provider ?? "", table: table, model: model ?? "", from: from, tierAbove: tier.map(Int64.init))
        }
        let priceEntry = try reference()
        let listPriceEntry = try reference()
        let latencyMs: Int64? = try next()
        let firstTokenMs: Int64? = try next()
        let project: String? = try next()
        let user: String? = try next()
        let adjusts: Int64? = try next()
        let tags: String? = try next()

        var entry = LedgerEntry(
            id: id, timestamp: Date(timeIntervalSince1970: 0), provider: provider, modelRequested: modelRequested,
            modelReturned: modelReturned, endpoint: endpoint, streamed: streamed == 1, outcome: outcome,
            httpStatus: httpStatus, attempts: attempts,
            usage: Usage(
                input: input, cachedInput: cachedInput, cacheWrite: cacheWrite, cacheWrite1h: cacheWrite1h,
                output: output, reasoning: reasoning, flags: Usage.Flags(rawValue: flags)
            ),
            usageSource: usageSource, pricing: nil, latencyMs: latencyMs, firstTokenMs: firstTokenMs,
            attribution: Attribution(project: project, user: user, tags: (tags ?? "").split(separator: "\u{1F}").map(String.init))
        )
        entry.timestampMs = timestampMs
        entry.kind = kind
        entry.adjusts = adjusts
        entry.cost = cost.map(Money.init(nanoUSD:))
        entry.listCost = listCost.map(Money.init(nanoUSD:))
        entry.priceEntry = priceEntry
        entry.listPriceEntry = listPriceEntry
        return StoredLedgerEntry(seq: seq, entry: entry)
    }

    /// A total order on rollup keys, the same for every writer.
    private static func sortKey(_ key: RollupKey) -> [String] {
        [String(key.grain.rawValue), String(key.bucket), key.tag, key.provider, key.model, key.project, key.user]
    }
}

/// One UTC month of a ledger, for checking that two ledgers hold the same money.
package struct LedgerMonthTotals: Sendable, Hashable {
    /// `YYYY-MM`, UTC.
    package var month: String
    /// Rows of every kind.
    package var rows: Int64
    /// Σ cost_nano, as decimal text: the exact sum, which may pass `Int64`.
    package var costNano: String
    /// Σ list_cost_nano, as decimal text.
    package var listCostNano: String
}

/// How far a write transaction got, seen by the retry loop around its connection.
final class WriteProgress: Sendable {
    /// The COMMIT was sent: from here a lost connection leaves the outcome unknown.
    let commitSent = Atomic(false)
    /// The connection went away (the server closed it, or the network did).
    let lostConnection = Atomic(false)
}

extension Error {
    /// The connection went away under a query: closed by the server, or lost below the protocol.
    var isConnectionLoss: Bool {
        guard let error = self as? PSQLError else { return false }
        return error.code == .serverClosedConnection || error.code == .uncleanShutdown || error.code == .connectionError
    }

    /// A serialization failure or a deadlock: the transaction rolled back and may run again.
    var isRetryableConflict: Bool {
        guard let error = self as? PSQLError, error.code == .server, let state = error.serverInfo?[.sqlState] else { return false }
        return state == "40001" || state == "40P01"
    }
}
