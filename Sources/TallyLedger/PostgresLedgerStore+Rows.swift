import Foundation
import PostgresNIO
import Synchronization
import TallyPricing
import TallyUsage

extension PostgresLedgerStore: LedgerCopyTarget {
    /// Rows from which an append writes with `COPY` rather than one `INSERT`: `COPY` takes a
    /// round trip more, and a statement of 37 parameters per row is parsed in time growing
    /// with its rows.
    static let copyFromRows = 32
    /// Bytes of `COPY` text sent at a time.
    static let copyChunkBytes = 1 << 20
    /// The rows' columns after `seq`, as `COPY` names them.
    static let rowColumnNames = AppendStatements.rowColumns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }

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
            try await insertRows(entries, seqs: seqs, connection, into: &sums)
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
                                try await addRollups(sums, connection)
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

    /// `count` new sequence numbers from the rows' identity, consecutive because appends hold
    /// ``appendLock`` and the identity caches none; only the first and last come back.
    /// (`nextval` alone, not `setval`: the documented writer role has USAGE on the sequence only.)
    func allocateSeqs(_ count: Int, _ connection: PostgresConnection) async throws -> [Int64] {
        let rows = try await connection.query(
            """
            SELECT min(seq), max(seq) FROM (
                SELECT nextval(pg_get_serial_sequence('ledger_rows', 'seq')) AS seq FROM generate_series(1, \(count))
            ) AS taken
            """,
            logger: Self.logger
        )
        for try await (first, last) in rows.decode((Int64, Int64).self) {
            guard last - first + 1 == Int64(count) else {
                throw LedgerError(.io, location: location, message: "the row identity handed out non-consecutive numbers \(first)…\(last) for \(count) row(s); was it altered?")
            }
            return Array(first...last)
        }
        throw LedgerError(.io, location: location, message: "the row identity returned no number")
    }

    /// Writes rows and their tags, and adds their rollup sums to `sums`: a few rows with one
    /// `INSERT` (one round trip), more with `COPY`, which the server takes without parsing a
    /// statement per row, while a child task (on the other core) adds up their sums.
    func insertRows(_ entries: [LedgerEntry], seqs: [Int64], _ connection: PostgresConnection, into sums: inout RollupAccumulator) async throws {
        if entries.count >= Self.copyFromRows {
            async let summed = RollupAccumulator(summing: entries)
            try await copyRows(entries, seqs: seqs, connection)
            sums.add(await summed)
            return
        }
        for entry in entries { sums.add(entry) }
        var parameters = PostgresParameters()
        var tuples: [String] = []
        for (entry, seq) in zip(entries, seqs) {
            let base = parameters.binds.count
            tuples.append("(" + (1...37).map { "$\(base + $0)" }.joined(separator: ", ") + ")")
            parameters.append(seq)
            entry.writeFields(to: &parameters)
        }
        try await connection.query(
            PostgresQuery(
                unsafeSQL: "INSERT INTO ledger_rows (seq, \(AppendStatements.rowColumns)) OVERRIDING SYSTEM VALUE VALUES " + tuples.joined(separator: ", "),
                binds: parameters.binds
            ),
            logger: Self.logger
        )
        var tags = PostgresParameters()
        var tagTuples: [String] = []
        for (entry, seq) in zip(entries, seqs) {
            for tag in Set(entry.attribution.tags).sorted() {
                tagTuples.append("($\(tags.binds.count + 1), $\(tags.binds.count + 2))")
                tags.append(seq)
                tags.append(tag)
            }
        }
        if !tagTuples.isEmpty {
            try await connection.query(
                PostgresQuery(unsafeSQL: "INSERT INTO ledger_tags (seq, tag) VALUES " + tagTuples.joined(separator: ", "), binds: tags.binds),
                logger: Self.logger
            )
        }
    }

    private func copyRows(_ entries: [LedgerEntry], seqs: [Int64], _ connection: PostgresConnection) async throws {
        try await connection.copyFrom(table: "ledger_rows", columns: ["seq"] + Self.rowColumnNames, logger: Self.logger) { writer in
            var text = PostgresCopyText()
            for (entry, seq) in zip(entries, seqs) {
                text.append(seq)
                entry.writeFields(to: &text)
                text.endRow()
                if text.byteCount >= Self.copyChunkBytes { try await writer.write(text.take()) }
            }
            if text.byteCount > 0 { try await writer.write(text.take()) }
        }
        guard entries.contains(where: { !$0.attribution.tags.isEmpty }) else { return }
        try await connection.copyFrom(table: "ledger_tags", columns: ["seq", "tag"], logger: Self.logger) { writer in
            var text = PostgresCopyText()
            for (entry, seq) in zip(entries, seqs) where !entry.attribution.tags.isEmpty {
                for tag in Set(entry.attribution.tags).sorted() {
                    text.append(seq)
                    text.append(tag)
                    text.endRow()
                }
                if text.byteCount >= Self.copyChunkBytes { try await writer.write(text.take()) }
            }
            if text.byteCount > 0 { try await writer.write(text.take()) }
        }
    }

    /// Adds a transaction's rollup sums to both rollup tables (``RollupColumns``).
    func addRollups(_ sums: RollupAccumulator, _ connection: PostgresConnection) async throws {
        var untagged = RollupColumns(tagged: false)
        var tagged = RollupColumns(tagged: true)
        sums.forEach { key, totals in
            if key.grain.family.isTagged { tagged.append(key, totals) } else { untagged.append(key, totals) }
        }
        try await untagged.write(connection, logger: Self.logger)
        try await tagged.write(connection, logger: Self.logger)
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
