import Foundation
import PostgresNIO
import TallyUsage

extension PostgresLedgerStore {
    /// The append-only triggers of `migrations/postgres/0001_ledger.sql`, by table.
    static let appendOnlyTriggers: [(table: String, trigger: String)] = [
        ("ledger_rows", "ledger_rows_are_never_changed"), ("ledger_rows", "ledger_rows_are_never_truncated"),
        ("ledger_tags", "ledger_tags_are_never_changed"), ("ledger_tags", "ledger_tags_are_never_truncated"),
    ]

    /// `SELECT` of a row's sequence number, its columns and its tags (joined by U+001F, sorted as
    /// SQLite's binary collation sorts them), from `ledger_rows AS l`: what ``storedEntry(_:location:)`` decodes.
    static let entrySelect = """
        SELECT l.seq, \(AppendStatements.rowColumns),
            (SELECT string_agg(t.tag, chr(31) ORDER BY t.tag COLLATE "C") FROM ledger_tags t WHERE t.seq = l.seq)
        FROM ledger_rows l
        """

    /// Runs `body` in one read-only, repeatable-read transaction (one snapshot of the database),
    /// after checking the schema is this build's when ``requiringCurrentSchema``.
    func readSnapshot<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws(LedgerError) -> Result {
        try await withConnection { connection in
            if requiringCurrentSchema {
                let version = try await checkedRecord(connection, creating: false).last?.version ?? 0
                guard version == latestVersion else {
                    throw LedgerError(
                        .needsMigration, location: location,
                        message: version == 0
                            ? "no Tally ledger in this database yet; run `tally ledger migrate` with this URL to create one"
                            : "ledger schema version \(version) is older than this tally's (\(latestVersion)); run `tally ledger migrate`"
                    )
                }
            }
            try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: Self.logger)
            do {
                // Compiling a report's short queries costs more than running them (40 ms, measured).
                try await connection.query("SET LOCAL jit = off", logger: Self.logger)
                let result = try await body(connection)
                try await connection.query("COMMIT", logger: Self.logger)
                return result
            } catch {
                await Self.rollBack(connection, after: error)
                throw error
            }
        }
    }

    package func countRows(after seq: Int64) async throws -> Int64 {
        try await readSnapshot { connection in
            let rows = try await connection.query("SELECT count(*) FROM ledger_rows WHERE seq > \(seq)", logger: Self.logger)
            for try await count in rows.decode(Int64.self) { return count }
            return 0
        }
    }

    package func shippedThrough(instance: String) async throws -> Int64 {
        try await readSnapshot { connection in
            let rows = try await connection.query(
                "SELECT coalesce(max(origin_seq), 0) FROM ledger_origins WHERE instance = \(instance)", logger: Self.logger
            )
            for try await through in rows.decode(Int64.self) { return through }
            return 0
        }
    }

    package func instanceID() async throws -> String? {
        try await readSnapshot { connection in
            let rows = try await connection.query("SELECT id FROM ledger_instance", logger: Self.logger)
            for try await id in rows.decode(String.self) { return id }
            return nil
        }
    }

    package func aggregate(_ plan: ReportPlan) async throws -> [ReportGroups] {
        let queries = plan.queries
        guard !queries.isEmpty else { return [] }
        return try await readSnapshot { connection in
            var answers: [ReportGroups] = []
            for query in queries {
                var groups = ReportGroups(dimensions: query.dimensions)
                if !query.reading.buckets.isEmpty {
                    let sql = ReportSQL.rollups(plan, query.reading, dimensions: groups.dimensions, dialect: .postgres)
                    try await add(sql, rollups: true, byPeriod: query.byPeriod, into: &groups, connection)
                }
                if !query.reading.rows.isEmpty {
                    let sql = ReportSQL.rows(plan, query.reading.rows, dimensions: groups.dimensions, dialect: .postgres)
                    try await add(sql, rollups: false, byPeriod: query.byPeriod, into: &groups, connection)
                }
                answers.append(groups)
            }
            return answers
        }
    }

    /// Steps through a report read's rows (``ReportSQL``), adding each to its group as the SQLite
    /// store does: a rollup row's sums as stored, a ledger row counted by
    /// ``RollupTotals/add(isRequest:isEstimated:usage:costNano:listCostNano:)``.
    private func add(
        _ query: ReportSQL, rollups: Bool, byPeriod: Bool, into groups: inout ReportGroups, _ connection: PostgresConnection
    ) async throws {
        var binds = PostgresBindings(capacity: query.arguments.count)
        for argument in query.arguments {
            switch argument {
            case .integer(let value): binds.append(value)
            case .text(let value): binds.append(value)
            }
        }
        let rows = try await connection.query(PostgresQuery(unsafeSQL: query.sql, binds: binds), logger: Self.logger)
        let dimensions = groups.dimensions
        let first = 1 + dimensions.count
        // One buffer for every rollup row's sums, not one per row.
        var values: [Int128] = []
        values.reserveCapacity(RollupTotals.columnCount)
        for try await row in rows {
            let columns = row.makeRandomAccess()
            var key = ReportGroups.Key(period: byPeriod ? Int(try columns[0].decode(Int64.self)) : 0)
            for (offset, dimension) in dimensions.enumerated() {
                key[dimension] = try columns[1 + offset].decode(String?.self)
            }
            var sums = RollupTotals()
            if rollups {
                values.removeAll(keepingCapacity: true)
                for index in 0..<RollupTotals.columnCount {
                    guard let value = Int128(try columns[first + index].decode(String.self)) else {
                        throw LedgerError(.notALedger, location: location, message: "a rollup sum is not an integer")
                    }
                    values.append(value)
                }
                guard let added = RollupTotals(sums: { values[$0] }) else { throw ReportPlan.sumOutOfRange(location: location) }
                sums = added
            } else {
                func value(_ offset: Int) throws -> Int64 { try columns[first + offset].decode(Int64.self) }
                sums.add(
                    isRequest: try value(0) != 0, isEstimated: try value(1) != 0,
                    usage: Usage(
                        input: try value(2), cachedInput: try value(3), cacheWrite: try value(4),
                        cacheWrite1h: try value(5), output: try value(6), reasoning: try value(7)
                    ),
                    costNano: try columns[first + 8].decode(Int64?.self), listCostNano: try columns[first + 9].decode(Int64?.self)
                )
            }
            guard groups.add(sums, to: key) else { throw ReportPlan.sumOutOfRange(location: location) }
        }
    }

    package func reduceEntries<State: Sendable>(
        fromMs: Int64?, untilMs: Int64?, passes: Int, into initial: State,
        _ update: @escaping @Sendable (inout State, _ pass: Int, StoredLedgerEntry) throws -> Void
    ) async throws -> State {
        var conditions: [String] = []
        var binds = PostgresBindings()
        if let fromMs {
            binds.append(fromMs)
            conditions.append("l.ts_ms >= $\(binds.count)")
        }
        if let untilMs {
            binds.append(untilMs)
            conditions.append("l.ts_ms < $\(binds.count)")
        }
        let sql = Self.entrySelect + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")) + " ORDER BY l.seq"
        let frozen = binds
        return try await readSnapshot { connection in
            var state = initial
            for pass in 0..<passes {
                let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: frozen), logger: Self.logger)
                for try await row in rows {
                    try update(&state, pass, try Self.storedEntry(row.makeRandomAccess(), location: location))
                }
            }
            return state
        }
    }

    /// That the append-only triggers are in place and enabled, every rollup grain against a
    /// recount of the rows (the SQL SQLite's store runs too), and the journal's owners.
    package func verify() async throws -> LedgerVerification {
        try await readSnapshot { connection in
            var integrity: [String] = []
            let triggers = try await connection.query(
                """
                SELECT c.relname::text, t.tgname::text, t.tgenabled::text FROM pg_trigger t
                JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = current_schema() AND NOT t.tgisinternal
                """,
                logger: Self.logger
            )
            var found: [String: String] = [:]
            for try await (table, trigger, enabled) in triggers.decode((String, String, String).self) {
                found["\(table).\(trigger)"] = enabled
            }
            for (table, trigger) in Self.appendOnlyTriggers {
                switch found["\(table).\(trigger)"] {
                case nil: integrity.append("trigger \(trigger) on \(table) is missing: the table is not append-only")
                case "D"?: integrity.append("trigger \(trigger) on \(table) is disabled: the table is not append-only")
                default: break
                }
            }
            if integrity.isEmpty { integrity = ["ok"] }

            var mismatches: [LedgerVerification.RollupMismatch] = []
            for grain in RollupGrain.allCases {
                let recount = SQLiteLedgerStorage.recountSQL(grain)
                let table = AppendStatements.rollupTable(grain)
                let stored = "SELECT \(table.columns) FROM \(table.name) WHERE grain = \(grain.rawValue)"
                let missing = try await count("SELECT count(*) FROM (\(recount) EXCEPT \(stored)) AS d", connection)
                let extra = try await count("SELECT count(*) FROM (\(stored) EXCEPT \(recount)) AS d", connection)
                if missing + extra > 0 {
                    mismatches.append(.init(grain: "\(grain)", rowsNotMatchingRecount: Int(extra), recountRowsNotStored: Int(missing)))
                }
            }
            let rows = try await count("SELECT count(*) FROM ledger_rows", connection)
            var owners: [LedgerVerification.JournalOwner] = []
            let journal = try await connection.query(
                """
                SELECT owner_pid, owner_start, owner_boot, owner_host, count(*)::bigint FROM ledger_journal
                GROUP BY owner_pid, owner_start, owner_boot, owner_host ORDER BY owner_host, owner_pid
                """,
                logger: Self.logger
            )
            let host = ProcessIdentity.hostName
            for try await (pid, start, boot, ownerHost, count) in journal.decode((Int64, Int64, String, String, Int64).self) {
                let owner = ProcessIdentity(pid: pid, startTicks: start, bootID: boot)
                // A process on another host cannot be looked at from here; it counts as alive.
                owners.append(.init(pid: pid, rows: count, isAlive: ownerHost != host || owner.isAlive))
            }
            return LedgerVerification(integrity: integrity, rollupMismatches: mismatches, rows: rows, journal: owners)
        }
    }

    package func rollupFootprint() async throws -> LedgerFootprint {
        try await readSnapshot { connection in
            var rows: [(grain: Int64, rows: Int64)] = []
            for grain in RollupGrain.allCases {
                let table = AppendStatements.rollupTable(grain).name
                rows.append((grain.rawValue, try await count("SELECT count(*) FROM \(table) WHERE grain = \(grain.rawValue)", connection)))
            }
            var bytes: [(table: String, bytes: Int64)] = []
            for table in ["ledger_rows", "ledger_rows_by_time", "ledger_tags", "ledger_rollup", "ledger_tag_rollup"] {
                bytes.append((table, try await count("SELECT pg_relation_size('\(table)')", connection)))
            }
            return LedgerFootprint(rowsByGrain: rows, bytesByTable: bytes)
        }
    }

    /// The one `bigint` a query returns.
    private func count(_ sql: String, _ connection: PostgresConnection) async throws -> Int64 {
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Self.logger)
        for try await value in rows.decode(Int64.self) { return value }
        return 0
    }
}
