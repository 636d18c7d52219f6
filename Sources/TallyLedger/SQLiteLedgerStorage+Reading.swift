import Foundation
import GRDB
import TallyPricing
import TallyUsage

extension SQLiteLedgerStorage {
    /// Whether a row's usage is plausible (``Usage/isPlausible``), as SQL over the alias `l`.
    static let plausibleRowSQL = "(" + [
        "input_tokens", "cached_input_tokens", "cache_write_tokens", "cache_write_1h_tokens", "output_tokens", "reasoning_tokens",
    ].map { "l.\($0) BETWEEN 0 AND \(Usage.plausibleMaximum)" }.joined(separator: " AND ") + ")"

    /// The sums of `ledger_rows` in `ledger_rollup`'s column order (``RollupTotals/add(_:)`` in SQL, the
    /// independent recount `ledger verify` and a rollup rebuild use), as SQL over the alias `l`
    /// that SQLite and PostgreSQL both run.
    static let rowMetrics: [String] = {
        let plausible = plausibleRowSQL
        func tokens(_ column: String) -> String { "SUM(CASE WHEN \(plausible) THEN l.\(column) END)" }
        func split(_ amount: String, when condition: String) -> [String] {
            [
                "SUM(CASE WHEN \(plausible) AND \(condition) THEN \(amount) >> 32 END)",
                "SUM(CASE WHEN \(plausible) AND \(condition) THEN \(amount) & 4294967295 END)",
            ]
        }
        // CASE rather than a summed comparison: PostgreSQL sums no booleans.
        let counts = [
            "l.kind = 'request'", "l.kind = 'adjustment'", "l.usage_source = 'estimated'",
            "l.cost_nano IS NULL OR NOT \(plausible)", "l.list_cost_nano IS NULL OR NOT \(plausible)",
            "NOT \(plausible)",
        ].map { "SUM(CASE WHEN \($0) THEN 1 ELSE 0 END)" }
        let sums = ["input_tokens", "cached_input_tokens", "cache_write_tokens", "cache_write_1h_tokens", "output_tokens", "reasoning_tokens"]
            .map(tokens)
            + split("l.cost_nano", when: "l.cost_nano IS NOT NULL")
            + split("l.list_cost_nano", when: "l.cost_nano IS NOT NULL AND l.list_cost_nano IS NOT NULL")
            + split("l.cost_nano", when: "l.cost_nano IS NOT NULL AND l.list_cost_nano IS NOT NULL")
        return (counts + sums).map { "COALESCE(\($0), 0)" }
    }()

    static let rowMetricsSQL = rowMetrics.joined(separator: ", ")

    /// A grain's rollup rows recounted from `ledger_rows` (those with `ts_ms` in `range`, when
    /// given), in the column order of its table.
    static func recountSQL(_ grain: RollupGrain, range: Range<Int64>? = nil) -> String {
        let size = grain.bucketMilliseconds
        let family = grain.family
        let bucket = "(l.ts_ms - (CASE WHEN l.ts_ms < 0 THEN \(size - 1) ELSE 0 END)) / \(size)"
        var keys = [bucket]
        if family.isTagged { keys.append("COALESCE(t.tag, '')") }
        keys.append(family.keeps(.provider) ? "l.provider" : "''")
        keys.append(family.keeps(.model) ? "l.model_requested" : "''")
        keys.append(family.keeps(.project) ? "COALESCE(l.project, '')" : "''")
        keys.append(family.keeps(.user) ? "COALESCE(l.user_name, '')" : "''")
        let from = family.isTagged ? "ledger_rows AS l LEFT JOIN ledger_tags AS t ON t.seq = l.seq" : "ledger_rows AS l"
        let condition = range.map { " WHERE l.ts_ms >= \($0.lowerBound) AND l.ts_ms < \($0.upperBound)" } ?? ""
        return "SELECT \(grain.rawValue), " + keys.joined(separator: ", ") + ", \(rowMetricsSQL) FROM \(from)\(condition) GROUP BY "
            + keys.filter { $0 != "''" }.joined(separator: ", ")
    }

    /// Empties the rollup tables and fills them again from the rows: what a migration that
    /// changes the rollups' meaning asks for (its SQL carries `Migration.rebuildRollupsMarker`).
    ///
    /// The rows are recounted a stretch of whole UTC days at a time (no bucket spans two), about
    /// a hundred stretches in all, and `progress` hears after each how many are done of how many.
    static func rebuildRollups(_ db: Database, progress: (@Sendable (_ done: Int, _ of: Int) -> Void)? = nil) throws {
        try db.execute(sql: "DELETE FROM ledger_rollup; DELETE FROM ledger_tag_rollup")
        let day = RollupUnit.day.milliseconds
        guard let first = try Int64.fetchOne(db, sql: "SELECT MIN(ts_ms) FROM ledger_rows"),
              let last = try Int64.fetchOne(db, sql: "SELECT MAX(ts_ms) FROM ledger_rows")
        else {
            progress?(1, 1)
            return
        }
        let firstDay = floorDivide(first, day)
        let days = floorDivide(last, day) - firstDay + 1
        let daysPerStretch = max(1, (days + 99) / 100)
        let stretches = Int((days + daysPerStretch - 1) / daysPerStretch)
        for stretch in 0..<stretches {
            let lower = (firstDay + Int64(stretch) * daysPerStretch) * day
            let range = lower..<(lower + daysPerStretch * day)
            for grain in RollupGrain.allCases {
                let table = AppendStatements.rollupTable(grain)
                try db.execute(sql: "INSERT INTO \(table.name) (\(table.columns)) " + recountSQL(grain, range: range))
            }
            progress?(stretch + 1, stretches)
        }
    }

    // MARK: - Reports

    /// The groups of each of the plan's queries (``ReportPlan/queries``), in one read transaction.
    func aggregate(_ plan: ReportPlan) async throws -> [ReportGroups] {
        let queries = plan.queries
        guard !queries.isEmpty else { return [] }
        do {
            return try await read { [self] db in
                try queries.map { query in
                    var groups = ReportGroups(dimensions: query.dimensions)
                    if !query.reading.buckets.isEmpty {
                        try add(db, ReportSQL.rollups(plan, query.reading, dimensions: groups.dimensions, dialect: .sqlite), rollups: true, byPeriod: query.byPeriod, into: &groups)
                    }
                    if !query.reading.rows.isEmpty {
                        try add(db, ReportSQL.rows(plan, query.reading.rows, dimensions: groups.dimensions, dialect: .sqlite), rollups: false, byPeriod: query.byPeriod, into: &groups)
                    }
                    return groups
                }
            }
        } catch {
            throw ledgerError(error)
        }
    }

    /// Steps through a report read's rows (``ReportSQL``), adding each to its group: a rollup
    /// row's sums as stored, a ledger row counted by
    /// ``RollupTotals/add(isRequest:isEstimated:usage:costNano:listCostNano:)``, the rule the
    /// rollups were written by.
    private func add(_ db: Database, _ query: ReportSQL, rollups: Bool, byPeriod: Bool, into groups: inout ReportGroups) throws {
        let arguments: [any DatabaseValueConvertible] = query.arguments.map {
            switch $0 {
            case .integer(let value): value
            case .text(let value): value
            }
        }
        let rows = try SQLiteRows(db, sql: query.sql, arguments: StatementArguments(arguments))
        let dimensions = groups.dimensions
        let first = Int32(1 + dimensions.count)
        while try rows.next() {
            var key = ReportGroups.Key(period: byPeriod ? Int(rows.int64(0)) : 0)
            for (offset, dimension) in dimensions.enumerated() {
                key[dimension] = rows.text(Int32(1 + offset))
            }
            let sums: RollupTotals
            if rollups {
                sums = RollupTotals { rows.int64(first + Int32($0)) }
            } else {
                var counted = RollupTotals()
                counted.add(
                    isRequest: rows.int64(first) != 0, isEstimated: rows.int64(first + 1) != 0,
                    usage: Usage(
                        input: rows.int64(first + 2), cachedInput: rows.int64(first + 3), cacheWrite: rows.int64(first + 4),
                        cacheWrite1h: rows.int64(first + 5), output: rows.int64(first + 6), reasoning: rows.int64(first + 7)
                    ),
                    costNano: rows.optionalInt64(first + 8), listCostNano: rows.optionalInt64(first + 9)
                )
                sums = counted
            }
            guard groups.add(sums, to: key) else { throw ReportPlan.sumOutOfRange(location: path) }
        }
    }

    // MARK: - Rows

    /// Folds every row whose timestamp is in the range, in append order, into a state, `passes`
    /// times in one read transaction on GRDB's reader.
    func reduceEntries<State: Sendable>(
        fromMs: Int64?, untilMs: Int64?, passes: Int, into initial: State,
        _ update: @escaping @Sendable (inout State, _ pass: Int, StoredLedgerEntry) throws -> Void
    ) async throws -> State {
        try await read { db in
            var state = initial
            for pass in 0..<passes {
                try self.forEachEntry(db, fromMs: fromMs, untilMs: untilMs) { try update(&state, pass, $0) }
            }
            return state
        }
    }

    /// Calls `body` with every row whose timestamp is in the range, in append order, inside a
    /// read the caller holds.
    func forEachEntry(_ db: Database, fromMs: Int64?, untilMs: Int64?, _ body: (StoredLedgerEntry) throws -> Void) throws {
        do {
            var conditions: [String] = []
            var arguments: [any DatabaseValueConvertible] = []
            if let fromMs {
                conditions.append("l.ts_ms >= ?")
                arguments.append(fromMs)
            }
            if let untilMs {
                conditions.append("l.ts_ms < ?")
                arguments.append(untilMs)
            }
            let sql = "SELECT l.*, (SELECT group_concat(tag, char(31)) FROM ledger_tags WHERE seq = l.seq) AS tags FROM ledger_rows AS l"
                + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "))
                + " ORDER BY l.seq"
            let rows = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments(arguments))
            while let row = try rows.next() {
                try body(StoredLedgerEntry(seq: row["seq"], entry: try LedgerEntry(row: row, path: path)))
            }
        } catch {
            throw ledgerError(error)
        }
    }

    /// Rows after `seq`, in append order, at most `limit`, with their tags.
    func countRows(after seq: Int64) async throws -> Int64 {
        do {
            return try await read { db in
                try Int64.fetchOne(db, sql: "SELECT count(*) FROM ledger_rows WHERE seq > ?", arguments: [seq]) ?? 0
            }
        } catch {
            throw ledgerError(error)
        }
    }

    func shippedThrough(instance: String) async throws -> Int64 {
        do {
            return try await read { db in
                try Int64.fetchOne(db, sql: "SELECT max(origin_seq) FROM ledger_origins WHERE instance = ?", arguments: [instance]) ?? 0
            }
        } catch {
            throw ledgerError(error)
        }
    }

    func instanceID() async throws -> String? {
        do {
            return try await read { db in try String.fetchOne(db, sql: "SELECT id FROM ledger_instance") }
        } catch {
            throw ledgerError(error)
        }
    }

    func entries(after seq: Int64, limit: Int) async throws -> [StoredLedgerEntry] {
        let path = self.path
        do {
            return try await read { db in
                let rows = try Row.fetchCursor(
                    db,
                    sql: """
                        SELECT l.*, (SELECT group_concat(tag, char(31)) FROM ledger_tags WHERE seq = l.seq) AS tags
                        FROM ledger_rows AS l WHERE l.seq > ? ORDER BY l.seq LIMIT ?
                        """,
                    arguments: [seq, limit]
                )
                var found: [StoredLedgerEntry] = []
                while let row = try rows.next() {
                    found.append(StoredLedgerEntry(seq: row["seq"], entry: try LedgerEntry(row: row, path: path)))
                }
                return found
            }
        } catch {
            throw ledgerError(error)
        }
    }

    /// Rows, cost and list cost per UTC month; amounts summed as high and low 32-bit halves so
    /// no sum can overflow, and combined in 128 bits.
    func monthlyTotals() async throws -> [LedgerMonthTotals] {
        do {
            return try await read { db in
                let rows = try Row.fetchAll(db, sql: """
                    SELECT strftime('%Y-%m', ts_ms / 1000, 'unixepoch') AS month, COUNT(*) AS n,
                        COALESCE(SUM(cost_nano >> 32), 0) AS ch, COALESCE(SUM(cost_nano & 4294967295), 0) AS cl,
                        COALESCE(SUM(list_cost_nano >> 32), 0) AS lh, COALESCE(SUM(list_cost_nano & 4294967295), 0) AS ll
                    FROM ledger_rows GROUP BY month ORDER BY month
                    """)
                return rows.map { row in
                    func exact(_ high: String, _ low: String) -> String {
                        String(Int128(row[high] as Int64) * (1 << 32) + Int128(row[low] as Int64))
                    }
                    return LedgerMonthTotals(month: row["month"], rows: row["n"], costNano: exact("ch", "cl"), listCostNano: exact("lh", "ll"))
                }
            }
        } catch {
            throw ledgerError(error)
        }
    }

    // MARK: - Checks

    /// Integrity check, rollups against a recount of the rows, and the journal's owners.
    func verify() async throws -> LedgerVerification {
        do {
            return try await read { [self] db in
                let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check")
                var mismatches: [LedgerVerification.RollupMismatch] = []
                for grain in RollupGrain.allCases {
                    let recount = Self.recountSQL(grain)
                    let table = AppendStatements.rollupTable(grain)
                    let stored = "SELECT \(table.columns) FROM \(table.name) WHERE grain = \(grain.rawValue)"
                    let missing = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM (\(recount) EXCEPT \(stored)) AS d") ?? 0
                    let extra = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM (\(stored) EXCEPT \(recount)) AS d") ?? 0
                    if missing + extra > 0 {
                        mismatches.append(.init(grain: "\(grain)", rowsNotMatchingRecount: extra, recountRowsNotStored: missing))
                    }
                }
                let rows = try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM ledger_rows") ?? 0
                let owners = try Row.fetchAll(db, sql: """
                    SELECT owner_pid, owner_start, owner_boot, COUNT(*) AS n FROM ledger_journal
                    GROUP BY owner_pid, owner_start, owner_boot ORDER BY owner_pid
                    """).map { row in
                    let owner = ProcessIdentity(pid: row["owner_pid"], startTicks: row["owner_start"], bootID: row["owner_boot"])
                    return LedgerVerification.JournalOwner(pid: owner.pid, rows: row["n"], isAlive: owner.isAlive)
                }
                return LedgerVerification(integrity: integrity, rollupMismatches: mismatches, rows: rows, journal: owners)
            }
        } catch {
            throw ledgerError(error)
        }
    }

    /// Rows per rollup grain and bytes per table (``LedgerReader/rollupFootprint()``).
    func rollupFootprint() async throws -> LedgerFootprint {
        do {
            return try await read { db in
                var rows: [(grain: Int64, rows: Int64)] = []
                for grain in RollupGrain.allCases {
                    let table = AppendStatements.rollupTable(grain).name
                    rows.append((grain.rawValue, try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table) WHERE grain = ?", arguments: [grain.rawValue]) ?? 0))
                }
                var bytes: [(table: String, bytes: Int64)] = []
                let tables = ["ledger_rows", "ledger_rows_by_time", "ledger_tags", "ledger_rollup", "ledger_tag_rollup"]
                for table in tables {
                    guard let size = try? Int64.fetchOne(db, sql: "SELECT SUM(pgsize) FROM dbstat WHERE name = ?", arguments: [table]) else { break }
                    bytes.append((table, size))
                }
                return LedgerFootprint(rowsByGrain: rows, bytesByTable: bytes)
            }
        } catch {
            throw ledgerError(error)
        }
    }

    /// What `tally ledger info` shows.
    func info() async throws -> LedgerInfo {
        let path = self.path, schemaVersion = self.schemaVersion, latestSchemaVersion = migrator.latestVersion
        do {
            return try await read { db in
                var info = LedgerInfo(
                    location: path, schemaVersion: schemaVersion, latestSchemaVersion: latestSchemaVersion,
                    rows: nil, firstRequest: nil, lastRequest: nil, journalRows: nil, bytes: 0
                )
                if try db.tableExists("ledger_rows") {
                    info.rows = try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM ledger_rows")
                    let first = try Int64.fetchOne(db, sql: "SELECT MIN(ts_ms) FROM ledger_rows")
                    let last = try Int64.fetchOne(db, sql: "SELECT MAX(ts_ms) FROM ledger_rows")
                    info.firstRequest = first.map { Date(timeIntervalSince1970: TimeInterval($0) / 1000) }
                    info.lastRequest = last.map { Date(timeIntervalSince1970: TimeInterval($0) / 1000) }
                }
                if try db.tableExists("ledger_journal") {
                    info.journalRows = try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM ledger_journal")
                }
                for suffix in ["", "-wal"] {
                    let attributes = try? FileManager.default.attributesOfItem(atPath: path + suffix)
                    info.bytes += (attributes?[.size] as? NSNumber)?.int64Value ?? 0
                }
                return info
            }
        } catch {
            throw ledgerError(error)
        }
    }
}

extension LedgerEntry {
    /// Reads a row of `ledger_rows` (with its tags joined by U+001F in the column `tags`).
    init(row: Row, path: String) throws {
        func value<T: RawRepresentable>(_ column: String) throws -> T where T.RawValue == String {
            guard let text: String = row[column], let value = T(rawValue: text) else {
                throw LedgerError(.notALedger, location: path, message: "row \(row["seq"] as Int64? ?? 0): bad \(column)")
            }
            return value
        }
        func reference(_ prefix: String) -> PriceEntryRef? {
            guard let table: String = row[prefix + "table"] else { return nil }
            return PriceEntryRef(
                provider: row[prefix + "provider"] ?? "", table: table, model: row[prefix + "model"] ?? "",
                from: row[prefix + "from"], tierAbove: row[prefix + "tier"]
            )
        }
        let tags: String = row["tags"] ?? ""
        self.init(
            id: row["id"],
            timestamp: Date(timeIntervalSince1970: 0),
            provider: row["provider"],
            modelRequested: row["model_requested"],
            modelReturned: row["model_returned"],
            endpoint: row["endpoint"],
            streamed: row["streamed"],
            outcome: try value("outcome"),
            httpStatus: row["http_status"],
            attempts: row["attempts"],
            usage: Usage(
                input: row["input_tokens"], cachedInput: row["cached_input_tokens"],
                cacheWrite: row["cache_write_tokens"], cacheWrite1h: row["cache_write_1h_tokens"],
                output: row["output_tokens"], reasoning: row["reasoning_tokens"],
                flags: Usage.Flags(rawValue: row["usage_flags"])
            ),
            usageSource: try value("usage_source"),
            pricing: nil,
            latencyMs: row["latency_ms"],
            firstTokenMs: row["first_token_ms"],
            attribution: Attribution(
                project: row["project"], user: row["user_name"],
                tags: tags.split(separator: "\u{1F}").map(String.init)
            )
        )
        self.timestampMs = row["ts_ms"]
        self.kind = try value("kind")
        self.adjusts = row["adjusts"]
        self.cost = (row["cost_nano"] as Int64?).map(Money.init(nanoUSD:))
        self.listCost = (row["list_cost_nano"] as Int64?).map(Money.init(nanoUSD:))
        self.priceEntry = reference("price_")
        self.listPriceEntry = reference("list_price_")
    }
}
