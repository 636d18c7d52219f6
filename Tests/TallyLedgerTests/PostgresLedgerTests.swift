import Foundation
import GRDB
import Testing
import TallyPricing
import TallyUsage
@testable import TallyLedger
import TallyTestSupport

/// The PostgreSQL store against a real server: a throwaway cluster per suite, a database per test.
@Suite(.serialized) final class PostgresLedgerTests {
    let server: PostgresServer

    init() throws {
        server = try PostgresServer()
    }

    deinit { server.stop() }

    /// A new empty database and the store for it.
    func store(_ name: String = "ledger_\(UUID().uuidString.prefix(8).lowercased())") throws -> PostgresLedgerStore {
        try server.createDatabase(name)
        return PostgresLedgerStore(address: try PostgresAddress(url: server.url(database: name), environment: [:]))
    }

    @Test func migrateCreatesEveryTableOnceAndRecordsEachMigrationsText() async throws {
        let store = try store()
        let first = try await store.migrate()
        #expect(first.before == nil)
        #expect(first.after == Migration.postgres.last?.version)
        #expect(Migration.postgres.map(\.version) == Migration.sqlite.map(\.version))
        let again = try await store.migrate()
        #expect(again.before == again.after)
        let recorded = try server.psql("SELECT string_agg(version || ':' || length(sql), ',' ORDER BY version) FROM tally_migrations", database: store.address.database)
        #expect(recorded == Migration.postgres.map { "\($0.version):\($0.sql.count)" }.joined(separator: ","))
        let tables = try server.psql(
            "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'", database: store.address.database
        )
        #expect(tables == "ledger_instance,ledger_journal,ledger_origins,ledger_rollup,ledger_rows,ledger_tag_rollup,ledger_tags,tally_migrations")
        let info = try await store.info()
        #expect(info.rows == 0)
        #expect(info.journalRows == 0)
        #expect(info.schemaVersion == info.latestSchemaVersion)
        #expect(info.bytes > 0)
        #expect(!info.location.contains(server.password))
    }

    @Test func rowsAndTagsRefuseUpdateDeleteAndTruncate() async throws {
        let store = try store()
        _ = try await store.migrate()
        let database = store.address.database
        try server.psql(
            """
            INSERT INTO ledger_rows (id, kind, ts_ms, provider, model_requested, endpoint, streamed, outcome, attempts,
                input_tokens, cached_input_tokens, cache_write_tokens, cache_write_1h_tokens, output_tokens, reasoning_tokens,
                usage_source, usage_flags, cost_nano)
            VALUES ('r1', 'request', 1764547200000, 'openai', 'gpt-4o', 'chat', 0, 'ok', 1, 10, 0, 0, 0, 5, 0, 'reported', 0, 42);
            INSERT INTO ledger_tags (seq, tag) SELECT seq, 'batch' FROM ledger_rows;
            """,
            database: database
        )
        for statement in [
            "UPDATE ledger_rows SET cost_nano = 0", "DELETE FROM ledger_rows", "TRUNCATE ledger_rows CASCADE",
            "UPDATE ledger_tags SET tag = 'x'", "DELETE FROM ledger_tags", "TRUNCATE ledger_tags",
        ] {
            let error = #expect(throws: PostgresServerError.self, "\(statement)") { try self.server.psql(statement, database: database) }
            #expect(error?.description.contains("append-only") == true, "\(statement): \(String(describing: error))")
        }
        #expect(try server.psql("SELECT count(*) || ':' || sum(cost_nano) FROM ledger_rows", database: database) == "1:42")
        #expect(try await store.info().rows == 1)
    }

    @Test func twoMigratorsAtOnceApplyEachMigrationOnce() async throws {
        let store = try store()
        let results = try await withThrowingTaskGroup(of: (before: Int?, after: Int).self) { group in
            for _ in 0..<4 { group.addTask { try await store.migrate() } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.allSatisfy { $0.after == Migration.postgres.last?.version })
        #expect(results.filter { $0.before == nil }.count == 1)  // one created it; the others waited, then found it made
        let count = try server.psql("SELECT count(*) FROM tally_migrations", database: store.address.database)
        #expect(count == "\(Migration.postgres.count)")
    }

    @Test func aRecordedMigrationChangedOutsideTallyIsRefused() async throws {
        let store = try store()
        _ = try await store.migrate()
        try server.psql("UPDATE tally_migrations SET sql = sql || ' ' WHERE version = 2", database: store.address.database)
        let error = await #expect(throws: LedgerError.self) { _ = try await store.migrate() }
        #expect(error?.code == .migrationMismatch)
        #expect(error?.message.contains("0002_exact_rollups") == true)
    }

    @Test func aNewerSchemaIsRefusedAndLeftAlone() async throws {
        let store = try store()
        _ = try await store.migrate()
        try server.psql("INSERT INTO tally_migrations VALUES (99, 'future', 'SELECT 1', 0)", database: store.address.database)
        for attempt in 0..<2 {
            let error = await #expect(throws: LedgerError.self) {
                if attempt == 0 { _ = try await store.migrate() } else { _ = try await store.info() }
            }
            #expect(error?.code == .newerSchema)
            #expect(error?.message.contains("newer than this tally's") == true)
        }
        #expect(try server.psql("SELECT max(version) FROM tally_migrations", database: store.address.database) == "99")
    }

    @Test func aDatabaseHoldingOtherTablesUnderTallysNamesIsNotALedger() async throws {
        let store = try store()
        try server.psql("CREATE TABLE ledger_rows (anything text)", database: store.address.database)
        let error = await #expect(throws: LedgerError.self) { _ = try await store.migrate() }
        #expect(error?.code == .notALedger)
        #expect(error?.message.contains("ledger_rows") == true)
    }

    @Test func aWrongPasswordIsPermissionDeniedWithoutThePassword() async throws {
        let address = try PostgresAddress(url: server.url(password: "not-the-password"), environment: [:])
        let error = await #expect(throws: LedgerError.self) { _ = try await PostgresLedgerStore(address: address).info() }
        #expect(error?.code == .permissionDenied)
        #expect(error?.description.contains("not-the-password") == false)
        #expect(error?.description.contains("user \(server.superuser)") == true, "\(String(describing: error))")
    }

    @Test func aRoleWithoutRightsIsPermissionDeniedNamingTheTable() async throws {
        let store = try store()
        _ = try await store.migrate()
        try server.psql("CREATE ROLE visitor LOGIN PASSWORD 'visitor-pw'")
        let address = try PostgresAddress(url: server.url(database: store.address.database, user: "visitor", password: "visitor-pw"), environment: [:])
        let error = await #expect(throws: LedgerError.self) { _ = try await PostgresLedgerStore(address: address).info() }
        #expect(error?.code == .permissionDenied)
        #expect(error?.message.contains("tally_migrations") == true, "\(String(describing: error))")
    }

    /// The roles docs/ledger.md documents, word for word: a writer that can append and recover
    /// but change no row, and a reader that can only read.
    static let writerGrants = """
        CREATE ROLE tally_writer LOGIN PASSWORD 'writer-pw';
        GRANT SELECT ON tally_migrations TO tally_writer;
        GRANT SELECT, INSERT ON ledger_rows, ledger_tags, ledger_origins TO tally_writer;
        GRANT SELECT, INSERT, UPDATE ON ledger_rollup, ledger_tag_rollup TO tally_writer;
        GRANT SELECT, INSERT, UPDATE, DELETE ON ledger_journal TO tally_writer;
        GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO tally_writer;
        """
    static let readerGrants = """
        CREATE ROLE tally_reader LOGIN PASSWORD 'reader-pw';
        GRANT SELECT ON ALL TABLES IN SCHEMA public TO tally_reader;
        """

    @Test func theDocumentedWriterAppendsAndRecoversButChangesNoRowAndTheReaderOnlyReads() async throws {
        let store = try store()
        _ = try await store.migrate()
        let database = store.address.database
        try server.psql(Self.writerGrants.replacingOccurrences(of: "tally_writer", with: "w_\(database)"), database: database)
        try server.psql(Self.readerGrants.replacingOccurrences(of: "tally_reader", with: "r_\(database)"), database: database)
        let writer = LedgerLocation.postgres(try PostgresAddress(url: server.url(database: database, user: "w_\(database)", password: "writer-pw"), environment: [:]))
        let reader = LedgerLocation.postgres(try PostgresAddress(url: server.url(database: database, user: "r_\(database)", password: "reader-pw"), environment: [:]))
        let at = utc("2026-11-05T10:00:00Z")
        let ledger = try await Ledger.open(writer)
        try await ledger.whileRunning {
            let ticket = try await ledger.begin(InFlightRequest(
                id: "j1", timestamp: at, provider: "openai", model: "gpt-4.1", endpoint: "chat/completions", estimatedInputTokens: 10
            ))
            try await ledger.append(completing: ticket, with: sampleEntry(id: "j1", at: at, attribution: Attribution(tags: ["x"])))
            try await ledger.append(contentsOf: (0..<300).map { sampleEntry(id: "b\($0)", at: at.addingTimeInterval(Double($0))) })
            #expect(try await ledger.recover().isEmpty)
            // A gateway's shipper ships as the writer too.
            let spoolPlace = try FreshLedger(.sqlite)
            defer { spoolPlace.remove() }
            try await withLedger(spoolPlace) { spool in
                try await spool.append(contentsOf: (0..<3).map { sampleEntry(id: "s\($0)", at: at.addingTimeInterval(Double($0))) })
                #expect(try await LedgerShipper(spool: spool, target: ledger).run().shipped == 3)
            }
        }
        // The writer cannot change what it wrote, nor the schema.
        for sql in ["UPDATE ledger_rows SET cost_nano = 0", "DELETE FROM ledger_tags", "CREATE TABLE sneaky (a int)"] {
            #expect(throws: PostgresServerError.self, "\(sql)") {
                try server.psql("SET ROLE w_\(database);\n" + sql, database: database)
            }
        }
        let summary = try await LedgerReader(location: reader).summary(range: at..<at.addingTimeInterval(3_600))
        #expect(summary.total.requests == 304)
        #expect(try await LedgerReader(location: reader).verify().isConsistent)
        // The reader cannot open the ledger for writing: recovery needs the journal's rows.
        let refused = await #expect(throws: LedgerError.self) { _ = try await Ledger.open(reader) }
        #expect(refused?.code == .permissionDenied, "\(String(describing: refused))")
        #expect(refused?.description.contains("reader-pw") == false)
    }

    @Test func aServerRestartedMidBatchLosesNoRowAndDoublesNone() async throws {
        let store = try store()
        _ = try await store.migrate()
        let database = store.address.database
        // The cluster of this suite alone, so the restart disturbs no other test.
        let location = LedgerLocation.postgres(try PostgresAddress(url: server.url(database: database) + "&connect_timeout=30", environment: [:]))
        let ledger = try await Ledger.open(location)
        let at = utc("2026-11-05T10:00:00Z")
        func batch(_ number: Int) -> [LedgerEntry] {
            (0..<1_000).map { sampleEntry(id: "b\(number)-\($0)", at: at.addingTimeInterval(Double(number * 1_000 + $0)), attribution: Attribution(tags: ["t\($0 % 3)"])) }
        }
        let server = self.server
        // Another session holds the rollups locked, so the first batch stops halfway, its rows
        // inserted and its rollups waiting; the server is then stopped at once and started again.
        // (The lock holder's session dies with it.)
        Thread { _ = try? server.psql("BEGIN; LOCK TABLE ledger_rollup IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60); COMMIT", database: database) }.start()
        func waitFor(_ sql: String) async throws {
            for _ in 0..<200 where try server.psql(sql, database: database) == "0" {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        try await waitFor("SELECT count(*) FROM pg_locks WHERE relation = 'ledger_rollup'::regclass AND mode = 'AccessExclusiveLock' AND granted")
        try await ledger.whileRunning {
            let first = Task { try await ledger.append(contentsOf: batch(0)) }
            try await waitFor("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = '\(database)'")
            try server.restart()
            // Lost before its COMMIT was sent, the batch rolled back. The store writes it again on
            // a new connection when the server is back within its retries (it landed once);
            // else the call fails, nothing of it is there, and writing it again lands it once.
            switch await first.result {
            case .success:
                #expect(try await LedgerReader(location: location).info().rows == 1_000)
            case .failure(let error):
                #expect(error is LedgerError, "\(error)")
                #expect("\(error)".contains(server.password) == false)
                #expect(try await LedgerReader(location: location).info().rows == 0)
                try await ledger.append(contentsOf: batch(0))
            }
            for number in 1..<5 { try await ledger.append(contentsOf: batch(number)) }
        }
        let reader = LedgerReader(store: PostgresLedgerStore(address: store.address))
        let ids = try await reader.entries().map(\.entry.id)
        #expect(ids.count == 5 * 1_000)
        #expect(Set(ids).count == ids.count)
        #expect(try await reader.verify().isConsistent)
    }

    @Test func aMissingDatabaseIsNamed() async throws {
        let address = try PostgresAddress(url: server.url(database: "no_such_db"), environment: [:])
        let error = await #expect(throws: LedgerError.self) { _ = try await PostgresLedgerStore(address: address).migrate() }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("database no_such_db does not exist") == true, "\(String(describing: error))")
    }

    @Test func aRefusedConnectionIsUnavailable() async throws {
        let closed = try ClosedPort()
        let address = try PostgresAddress(url: "postgres://tally:secret@127.0.0.1:\(closed.port)/spend?sslmode=disable", environment: [:])
        let error = await #expect(throws: LedgerError.self) { _ = try await PostgresLedgerStore(address: address).info() }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("connection refused") == true, "\(String(describing: error))")
        #expect(error?.description.contains("secret") == false)
    }

    @Test func tlsRequiredButNotOfferedIsUnavailable() async throws {
        let url = server.url().replacingOccurrences(of: "sslmode=disable", with: "sslmode=require")
        let error = await #expect(throws: LedgerError.self) {
            _ = try await PostgresLedgerStore(address: try PostgresAddress(url: url, environment: [:])).info()
        }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("does not offer TLS") == true, "\(String(describing: error))")
    }

    @Test func aServerThatIsNotPostgreSQLIsUnavailable() async throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let address = try PostgresAddress(url: "postgres://tally:pw@127.0.0.1:\(upstream.port)/spend?sslmode=disable&connect_timeout=5", environment: [:])
        let error = await #expect(throws: LedgerError.self) { _ = try await PostgresLedgerStore(address: address).info() }
        #expect(error?.code == .unavailable, "\(String(describing: error))")
    }

    /// A SQLite ledger with what a copy must carry: tags, missing attribution, unpriced and
    /// estimated rows, an implausible one, an adjustment, months apart and a quarter-hour edge.
    func sourceLedger(_ directory: TemporaryDirectory) async throws -> [StoredLedgerEntry] {
        let ledger = try Ledger(path: directory.ledgerPath, prices: nil)
        var entries: [LedgerEntry] = []
        for index in 0..<40 {
            let at = utc("2026-10-31T23:45:00Z").addingTimeInterval(Double(index) * 997)
            entries.append(sampleEntry(
                id: "r\(index)", at: at, provider: index % 3 == 0 ? "anthropic" : "openai",
                model: index % 2 == 0 ? "gpt-4.1" : "claude-sonnet-4",
                usage: Usage(input: Int64(100 + index), cachedInput: 7, cacheWrite: Int64(index % 4), output: Int64(50 * index), reasoning: 3),
                cost: index % 7 == 0 ? nil : Int64(1_000_003 * index), listCost: index % 5 == 0 ? nil : Int64(1_500_007 * index),
                usageSource: index % 6 == 0 ? .estimated : .reported,
                attribution: Attribution(
                    project: index % 4 == 0 ? nil : "p\(index % 3)", user: index % 5 == 0 ? nil : "u\(index % 2)",
                    tags: index % 3 == 0 ? [] : ["batch", "t\(index % 4)"]
                )
            ))
        }
        entries.append(sampleEntry(id: "huge", at: utc("2026-12-01T00:00:00Z"), usage: Usage(input: 5_000_000_000, output: 1)))
        _ = try await ledger.append(contentsOf: entries)
        _ = try await ledger.append(.adjustment(of: 3, id: "adj", timestamp: utc("2026-11-02T10:00:00Z"), provider: "openai", model: "gpt-4.1", cost: Money(nanoUSD: -500), listCost: nil))
        return try await allEntries(directory.ledgerPath)
    }

    /// Every rollup row of both tables as one line each, sorted.
    static func rollupLines(sqlite path: String) throws -> [String] {
        try rawDatabase(path).read { db in
            try String.fetchAll(db, sql: """
                SELECT grain || '|' || bucket || '||' || provider || '|' || model || '|' || project || '|' || user_name || '|' ||
                    requests || '|' || adjustments || '|' || estimated || '|' || unpriced || '|' || without_list_price || '|' ||
                    implausible || '|' || input_tokens || '|' || output_tokens || '|' || cost_nano_high || '|' || cost_nano_low || '|' ||
                    list_cost_nano_high || '|' || list_cost_nano_low || '|' || listed_cost_nano_high || '|' || listed_cost_nano_low
                FROM ledger_rollup
                UNION ALL
                SELECT grain || '|' || bucket || '|' || tag || '|' || provider || '|' || model || '|' || project || '|' || user_name || '|' ||
                    requests || '|' || adjustments || '|' || estimated || '|' || unpriced || '|' || without_list_price || '|' ||
                    implausible || '|' || input_tokens || '|' || output_tokens || '|' || cost_nano_high || '|' || cost_nano_low || '|' ||
                    list_cost_nano_high || '|' || list_cost_nano_low || '|' || listed_cost_nano_high || '|' || listed_cost_nano_low
                FROM ledger_tag_rollup
                """).sorted()
        }
    }

    func rollupLines(postgres database: String) throws -> [String] {
        let columns = """
            requests || '|' || adjustments || '|' || estimated || '|' || unpriced || '|' || without_list_price || '|' ||
            implausible || '|' || input_tokens || '|' || output_tokens || '|' || cost_nano_high || '|' || cost_nano_low || '|' ||
            list_cost_nano_high || '|' || list_cost_nano_low || '|' || listed_cost_nano_high || '|' || listed_cost_nano_low
            """
        let text = try server.psql(
            """
            SELECT grain || '|' || bucket || '||' || provider || '|' || model || '|' || project || '|' || user_name || '|' || \(columns) FROM ledger_rollup
            UNION ALL
            SELECT grain || '|' || bucket || '|' || tag || '|' || provider || '|' || model || '|' || project || '|' || user_name || '|' || \(columns) FROM ledger_tag_rollup
            """,
            database: database
        )
        return text.split(separator: "\n").map(String.init).sorted()
    }

    @Test func aCopyCarriesEveryRowAsWrittenAndBuildsTheSameRollupsAsSQLite() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let written = try await sourceLedger(directory)
        let store = try store()
        let copy = try LedgerCopy(source: try LedgerReader(path: directory.ledgerPath), target: .postgres(store.address))
        let outcome = try await copy.run()
        #expect(outcome.copied == Int64(written.count))
        #expect(outcome.alreadyThere == 0)
        #expect(outcome.months.map(\.month) == ["2026-10", "2026-11", "2026-12"])
        let copied = try await store.entries(after: 0, limit: 1_000)
        #expect(copied == written)
        let sqliteRollups = try Self.rollupLines(sqlite: directory.ledgerPath)
        #expect(sqliteRollups.count > 100)
        #expect(try rollupLines(postgres: store.address.database) == sqliteRollups)

        // Run again: nothing left to copy. New rows after a copy get numbers past the copied ones.
        let again = try await copy.run()
        #expect(again.copied == 0)
        #expect(again.alreadyThere == Int64(written.count))
        let next = try await store.append([sampleEntry(id: "after-copy", at: utc("2026-12-02T00:00:00Z"))])
        #expect(next.first.map { $0 > written.last?.seq ?? 0 } == true)
    }

    @Test func anInterruptedCopyGoesOnAfterTheTargetsLastRow() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let written = try await sourceLedger(directory)
        let store = try store()
        _ = try await store.migrate()
        // What a copy killed after its first batch leaves: a prefix, each row under its own number.
        let prefix = Array(written.prefix(17))
        _ = try await store.append(prefix.map(\.entry), seqs: prefix.map(\.seq))
        let outcome = try await try LedgerCopy(source: try LedgerReader(path: directory.ledgerPath), target: .postgres(store.address)).run()
        #expect(outcome.alreadyThere == 17)
        #expect(outcome.copied == Int64(written.count - 17))
        #expect(try await store.entries(after: 0, limit: 1_000) == written)
        #expect(try rollupLines(postgres: store.address.database) == Self.rollupLines(sqlite: directory.ledgerPath))
    }

    @Test func aCopyRefusesATargetHoldingOtherRows() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try await sourceLedger(directory)
        let store = try store()
        _ = try await store.migrate()
        _ = try await store.append([sampleEntry(id: "someone-else", at: utc("2026-11-05T00:00:00Z"))])
        let error = await #expect(throws: LedgerError.self) {
            _ = try await try LedgerCopy(source: try LedgerReader(path: directory.ledgerPath), target: .postgres(store.address)).run()
        }
        #expect(error?.code == .copyMismatch)
        #expect(error?.message.contains("someone-else") == true, "\(String(describing: error))")
        #expect(try await store.info().rows == 1)
    }

    @Test func anAdjustmentOfAMissingRowWritesNothingOfItsBatch() async throws {
        let store = try store()
        _ = try await store.migrate()
        let batch = [
            sampleEntry(id: "fine", at: utc("2026-11-05T00:00:00Z")),
            LedgerEntry.adjustment(of: 999, id: "orphan", timestamp: utc("2026-11-05T00:00:00Z"), provider: "openai", model: "gpt-4.1", cost: Money(nanoUSD: 1), listCost: nil),
        ]
        let error = await #expect(throws: LedgerError.self) { _ = try await store.append(batch) }
        #expect(error?.code == .invalidValue, "\(String(describing: error))")
        let miscounted = await #expect(throws: LedgerError.self) { _ = try await store.append([batch[0]], seqs: [1, 2]) }
        #expect(miscounted?.code == .invalidValue)
        #expect(try await store.info().rows == 0)
        #expect(try server.psql("SELECT count(*) FROM ledger_rollup", database: store.address.database) == "0")
    }

    @Test func theMigrationsSplitIntoStatementsAsPostgreSQLWouldRunThem() {
        let script = """
            -- a comment; with a semicolon
            CREATE TABLE a (t text DEFAULT 'x;y''z');
            /* block; /* nested; */ still comment */
            CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no; never'; END $$;
            CREATE FUNCTION g() RETURNS int LANGUAGE sql AS $body$ SELECT 1; $body$;
            SELECT "odd;name" FROM a WHERE t = $1
            """
        let statements = SQLScript.statements(script)
        #expect(statements.count == 4, "\(statements)")
        #expect(statements.first == "-- a comment; with a semicolon\nCREATE TABLE a (t text DEFAULT 'x;y''z')")
        #expect(statements[2].hasSuffix("$body$ SELECT 1; $body$"))
        #expect(statements[3] == "SELECT \"odd;name\" FROM a WHERE t = $1")
        #expect(Migration.postgres.allSatisfy { !SQLScript.statements($0.sql).isEmpty })
    }
}
