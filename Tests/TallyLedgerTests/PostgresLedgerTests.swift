import Foundation
import Testing
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
        #expect(tables == "ledger_journal,ledger_rollup,ledger_rows,ledger_tag_rollup,ledger_tags,tally_migrations")
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
