import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// The ledger's tables in a PostgreSQL database, reached with postgres-nio: the same tables,
/// columns and meaning as the SQLite file (`migrations/postgres/`), migrated, appended to, read
/// and described.
///
/// Each operation opens its own connection and closes it; errors are `LedgerError`s naming the
/// server without its password.
package struct PostgresLedgerStore: LedgerStore {
    /// The server and database.
    package var address: PostgresAddress
    /// The migrations this build carries, in order.
    package var migrations: [Migration]

    /// The key of the advisory lock migrators hold for their transaction: "tally_mg" in ASCII.
    static let migrationLock: Int64 = 0x7461_6C6C_795F_6D67

    /// The tables a Tally ledger creates; finding one without `tally_migrations` means the
    /// database holds something else under Tally's names.
    static let ledgerTables = ["ledger_rows", "ledger_tags", "ledger_rollup", "ledger_tag_rollup", "ledger_journal", "ledger_origins", "ledger_instance"]

    /// Whether each read first checks that the database's schema is this build's latest (a
    /// reader's store); ``info()`` and ``migrate()`` read any schema that is not newer.
    package var requiringCurrentSchema: Bool

    /// The connections operations reuse; without one (a command's single operation) each
    /// operation opens its own connection and closes it.
    let pool: PostgresConnectionPool?

    /// A store for `address` with this build's migrations; nothing connects until an operation
    /// runs. With `pooled`, operations reuse connections (``run()`` closes them at the end).
    package init(
        address: PostgresAddress, migrations: [Migration] = Migration.postgres, requiringCurrentSchema: Bool = false,
        pooled: Bool = false
    ) {
        self.address = address
        self.migrations = migrations
        self.requiringCurrentSchema = requiringCurrentSchema
        let configure: @Sendable () throws -> PostgresConnection.Configuration = { try Self.configuration(address) }
        self.pool = pooled ? PostgresConnectionPool(configuration: configure, logger: Self.logger) : nil
    }

    /// Waits until the task is cancelled, then closes the pool's idle connections; returns at once without a pool.
    package func run() async {
        guard let pool else { return }
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(3_600))
        }
        await pool.close()
    }

    /// The server URL without its password.
    package var location: String { address.description }

    /// The schema version the migrations lead to.
    package var latestVersion: Int { migrations.last?.version ?? 0 }

    /// Creates the ledger's tables or applies the migrations the database lacks, all in one
    /// transaction under an advisory lock, so two migrators at once are safe and an interrupted
    /// one leaves the database as it was. Returns the version found before (`nil`: none) and after.
    package func migrate() async throws(LedgerError) -> (before: Int?, after: Int) {
        try await withConnection { connection in
            try await transaction(connection) {
                try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: Self.logger)
                let recorded = try await checkedRecord(connection, creating: true)
                let pending = migrations.filter { $0.version > (recorded.last?.version ?? 0) }
                for migration in pending {
                    if migration.rebuildsRollups, try await hasRows(connection) {
                        // Only a ledger migrated by this build's migrations holds rows, and none
                        // of them rebuilds; a rebuild on the server is for a later schema to bring.
                        throw LedgerError(
                            .migrationMismatch, location: address.description,
                            message: "migration \(migration.version) rebuilds the rollups, and the rows already here were written without it; copy the ledger into a new database instead"
                        )
                    }
                    for statement in SQLScript.statements(migration.sql) {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: Self.logger)
                    }
                    let applied = LedgerEntry.milliseconds(Date())
                    try await connection.query(
                        "INSERT INTO tally_migrations (version, name, sql, applied_at_ms) VALUES (\(migration.version), \(migration.name), \(migration.sql), \(applied))",
                        logger: Self.logger
                    )
                }
                return (recorded.last?.version, pending.last?.version ?? recorded.last?.version ?? 0)
            }
        }
    }

    /// Schema version, rows, first and last request, requests in flight and the tables' size,
    /// without migrating.
    package func info() async throws(LedgerError) -> LedgerInfo {
        try await withConnection { connection in
            let recorded = try await checkedRecord(connection, creating: false)
            var info = LedgerInfo(
                location: address.description, schemaVersion: recorded.last?.version ?? 0, latestSchemaVersion: latestVersion,
                rows: nil, firstRequest: nil, lastRequest: nil, journalRows: nil, bytes: 0
            )
            let present = try await tablesPresent(connection)
            if present.contains("ledger_rows") {
                let rows = try await connection.query("SELECT count(*), min(ts_ms), max(ts_ms) FROM ledger_rows", logger: Self.logger)
                for try await (count, first, last) in rows.decode((Int64, Int64?, Int64?).self) {
                    info.rows = count
                    info.firstRequest = first.map { Date(timeIntervalSince1970: TimeInterval($0) / 1000) }
                    info.lastRequest = last.map { Date(timeIntervalSince1970: TimeInterval($0) / 1000) }
                }
            }
            if present.contains("ledger_journal") {
                let rows = try await connection.query("SELECT count(*) FROM ledger_journal", logger: Self.logger)
                for try await count in rows.decode(Int64.self) { info.journalRows = count }
            }
            let tables = Array(present.union(["tally_migrations"])).sorted()
            let sizes = try await connection.query(
                "SELECT coalesce(sum(pg_total_relation_size(to_regclass(name)))::bigint, 0) FROM unnest(\(tables)::text[]) AS name",
                logger: Self.logger
            )
            for try await bytes in sizes.decode(Int64.self) { info.bytes = bytes }
            return info
        }
    }

    /// The recorded migrations; throws when they are newer than, or differ from, this build's.
    /// With `creating`, a database without the record gets the table; without, it reads as version 0.
    func checkedRecord(_ connection: PostgresConnection, creating: Bool) async throws -> [Migration] {
        let present = try await tablesPresent(connection)
        guard present.contains("tally_migrations") else {
            if let foreign = Self.ledgerTables.first(where: present.contains) {
                throw LedgerError(
                    .notALedger, location: address.description,
                    message: "a table named \(foreign) exists but no tally_migrations: this database holds something other than a Tally ledger"
                )
            }
            if creating {
                try await connection.query(
                    """
                    CREATE TABLE tally_migrations (
                        version       integer PRIMARY KEY,
                        name          text    NOT NULL,
                        sql           text    NOT NULL,
                        applied_at_ms bigint  NOT NULL
                    )
                    """,
                    logger: Self.logger
                )
            }
            return []
        }
        var recorded: [Migration] = []
        let rows = try await connection.query("SELECT version, name, sql FROM tally_migrations ORDER BY version", logger: Self.logger)
        for try await (version, name, sql) in rows.decode((Int, String, String).self) {
            recorded.append(Migration(version: version, name: name, sql: sql))
        }
        for (index, migration) in recorded.enumerated() {
            guard migration.version <= latestVersion else {
                throw LedgerError(
                    .newerSchema, location: address.description,
                    message: "ledger schema version \(recorded.last?.version ?? migration.version) is newer than this tally's (\(latestVersion)); upgrade tally to use this ledger"
                )
            }
            guard index < migrations.count, migrations[index] == migration else {
                throw LedgerError(
                    .migrationMismatch, location: address.description,
                    message: "recorded migration \(String(format: "%04d", migration.version))_\(migration.name) differs from the one this tally carries; the ledger was changed outside tally or by a different build"
                )
            }
        }
        return recorded
    }

    /// Which of Tally's tables exist in the connection's current schema.
    func tablesPresent(_ connection: PostgresConnection) async throws -> Set<String> {
        let names = Self.ledgerTables + ["tally_migrations"]
        let rows = try await connection.query(
            // pg_class, not information_schema: a role without rights on a table still sees it there,
            // and is then refused by name rather than shown an empty ledger.
            """
            SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND c.relname = ANY(\(names)::text[])
            """,
            logger: Self.logger
        )
        var present: Set<String> = []
        for try await name in rows.decode(String.self) { present.insert(name) }
        return present
    }

    private func hasRows(_ connection: PostgresConnection) async throws -> Bool {
        guard try await tablesPresent(connection).contains("ledger_rows") else { return false }
        let rows = try await connection.query("SELECT EXISTS (SELECT 1 FROM ledger_rows)", logger: Self.logger)
        for try await exists in rows.decode(Bool.self) { return exists }
        return false
    }

    /// Runs `body` between BEGIN and COMMIT, rolling back when it throws; the body's own error
    /// is the one thrown.
    func transaction<Result: Sendable>(
        _ connection: PostgresConnection, _ body: () async throws -> Result
    ) async throws -> Result {
        try await connection.query("BEGIN", logger: Self.logger)
        do {
            let result = try await body()
            try await connection.query("COMMIT", logger: Self.logger)
            return result
        } catch {
            await Self.rollBack(connection, after: error)
            throw error
        }
    }

    /// Ends a failed transaction with ROLLBACK, unless the connection is gone (the server rolled
    /// it back already, and postgres-nio would wait forever for the answer to a query sent
    /// on a connection the server closed under an earlier one).
    static func rollBack(_ connection: PostgresConnection, after error: any Error) async {
        guard !error.isConnectionLoss, !connection.isClosed else { return }
        _ = try? await connection.query("ROLLBACK", logger: logger)
    }

    /// Runs `body` on a connection (the pool's, or one opened for it and closed after); every
    /// error becomes a `LedgerError` naming the server. A connection `body` failed on is closed.
    func withConnection<Result: Sendable>(
        _ body: (PostgresConnection) async throws -> Result
    ) async throws(LedgerError) -> Result {
        let connection: PostgresConnection
        do {
            if let pool {
                connection = try await pool.take()
            } else {
                connection = try await PostgresConnection.connect(configuration: try Self.configuration(address), id: 1, logger: Self.logger)
            }
        } catch {
            throw LedgerError(postgres: error, address: address, connecting: true)
        }
        do {
            let result = try await body(connection)
            if let pool { await pool.giveBack(connection, healthy: true) } else { try? await connection.close() }
            return result
        } catch {
            if let pool { await pool.giveBack(connection, healthy: false) } else { try? await connection.close() }
            throw LedgerError(postgres: error, address: address, connecting: false)
        }
    }

    /// What `sslmode` asks to verify, as NIOSSL's client configuration.
    private static func tlsConfiguration(_ address: PostgresAddress) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch address.tls {
        case .disable, .prefer, .require: tls.certificateVerification = .none  // libpq checks nothing below verify-ca
        case .verifyCA: tls.certificateVerification = .noHostnameVerification
        case .verifyFull: tls.certificateVerification = .fullVerification
        }
        if let roots = address.rootCertificatePath { tls.trustRoots = .file(roots) }
        return tls
    }

    /// postgres-nio's configuration for the address: TCP or a Unix socket, TLS as `sslmode` says.
    static func configuration(_ address: PostgresAddress) throws -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if address.host.hasPrefix("/") {
            configuration = PostgresConnection.Configuration(
                unixSocketPath: address.host + "/.s.PGSQL.\(address.port)",
                username: address.user, password: address.password, database: address.database
            )
        } else {
            let tls = tlsConfiguration(address)
            let mode: PostgresConnection.Configuration.TLS =
                switch address.tls {
                case .disable: .disable
                case .prefer: .prefer(try NIOSSLContext(configuration: tls))
                case .require, .verifyCA, .verifyFull: .require(try NIOSSLContext(configuration: tls))
                }
            configuration = PostgresConnection.Configuration(
                host: address.host, port: address.port, username: address.user, password: address.password,
                database: address.database, tls: mode
            )
        }
        configuration.options.connectTimeout = TimeAmount.nanoseconds(Int64(address.connectTimeout.components.seconds) * 1_000_000_000)
        configuration.options.additionalStartupParameters = [("application_name", address.applicationName)]
        return configuration
    }

    /// postgres-nio's log goes nowhere: failures reach the caller as `LedgerError`s.
    static let logger = Logger(label: "tally.ledger.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
}
