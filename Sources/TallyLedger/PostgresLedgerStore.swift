import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import Synchronization

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
    static let ledgerTables = ["ledger_rows", "ledger_tags", "ledger_rollup", "ledger_tag_rollup", "ledger_journal"]

    /// Whether each read first checks that the database's schema is this build's latest (a
    /// reader's store); ``info()`` and ``migrate()`` read any schema that is not newer.
    package var requiringCurrentSchema: Bool

    /// The pool operations lease connections from, run by ``run()``; without one (a command's
    /// single operation) each operation opens its own connection and closes it.
    let client: PostgresClient?

    /// A store for `address` with this build's migrations; nothing connects until an operation
    /// runs. With `pooled`, operations share a pool of connections, which ``run()`` must be running.
    package init(
        address: PostgresAddress, migrations: [Migration] = Migration.postgres, requiringCurrentSchema: Bool = false,
        pooled: Bool = false
    ) {
        self.address = address
        self.migrations = migrations
        self.requiringCurrentSchema = requiringCurrentSchema
        self.client = pooled ? PostgresClient(configuration: Self.poolConfiguration(address), backgroundLogger: Self.logger) : nil
    }

    /// Runs the pool until the task is cancelled or a graceful shutdown begins; returns at once without one.
    package func run() async {
        await client?.run()
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
            _ = try? await connection.query("ROLLBACK", logger: Self.logger)
            throw error
        }
    }

    /// Runs `body` on a connection (leased from the pool within the address's connect timeout,
    /// or opened for it and closed after); every error becomes a `LedgerError` naming the server.
    func withConnection<Result: Sendable>(
        _ body: (PostgresConnection) async throws -> Result
    ) async throws(LedgerError) -> Result {
        if let client {
            do {
                return try await Self.leasing(from: client, within: address.connectTimeout, body)
            } catch {
                throw LedgerError(postgres: error, address: address, connecting: error is PoolLeaseTimeout)
            }
        }
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: try configuration(), id: 1, logger: Self.logger)
        } catch {
            throw LedgerError(postgres: error, address: address, connecting: true)
        }
        do {
            let result = try await body(connection)
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw LedgerError(postgres: error, address: address, connecting: false)
        }
    }

    /// Whether a lease has its connection, shared by the task holding it and the one timing it.
    private final class LeaseFlag: Sendable {
        let value = Atomic(false)
    }

    /// No connection could be leased in time: the server is down or every connection is busy.
    struct PoolLeaseTimeout: Error, CustomStringConvertible {
        var timeout: Duration
        var description: String { "no connection to the server within \(timeout.components.seconds) s" }
    }

    /// `body` on a connection leased from `client`, or ``PoolLeaseTimeout`` when none is leased
    /// within `timeout` (the pool itself would wait a minute before giving up on a server that is down).
    /// The timeout never interrupts `body` once it has its connection.
    private static func leasing<Result: Sendable>(
        from client: PostgresClient, within timeout: Duration, _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let leased = LeaseFlag()
        return try await withoutActuallyEscaping(body) { escapable in
            // Runs in one child task only, which the group awaits before this function returns.
            nonisolated(unsafe) let body = escapable
            return try await withThrowingTaskGroup(of: Result?.self) { group in
                group.addTask {
                    try await client.withConnection { connection in
                        leased.value.store(true, ordering: .sequentiallyConsistent)
                        return try await body(connection)
                    }
                }
                group.addTask {
                    try? await Task.sleep(for: timeout)
                    if !Task.isCancelled, !leased.value.load(ordering: .sequentiallyConsistent) { throw PoolLeaseTimeout(timeout: timeout) }
                    return nil
                }
                while let next = try await group.next() {
                    if let result = next {
                        group.cancelAll()
                        return result
                    }
                }
                throw PoolLeaseTimeout(timeout: timeout)
            }
        }
    }

    /// The pool's configuration for the address, with the same TLS and startup parameters as a single connection.
    private static func poolConfiguration(_ address: PostgresAddress) -> PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        if address.host.hasPrefix("/") {
            configuration = PostgresClient.Configuration(
                unixSocketPath: address.host + "/.s.PGSQL.\(address.port)",
                username: address.user, password: address.password, database: address.database
            )
        } else {
            let tls = tlsConfiguration(address)
            let mode: PostgresClient.Configuration.TLS =
                switch address.tls {
                case .disable: .disable
                case .prefer: .prefer(tls)
                case .require, .verifyCA, .verifyFull: .require(tls)
                }
            configuration = PostgresClient.Configuration(
                host: address.host, port: address.port, username: address.user, password: address.password,
                database: address.database, tls: mode
            )
        }
        configuration.options.connectTimeout = address.connectTimeout
        configuration.options.additionalStartupParameters = [("application_name", address.applicationName)]
        configuration.options.maximumConnections = 8
        return configuration
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
    func configuration() throws -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if address.host.hasPrefix("/") {
            configuration = PostgresConnection.Configuration(
                unixSocketPath: address.host + "/.s.PGSQL.\(address.port)",
                username: address.user, password: address.password, database: address.database
            )
        } else {
            let tls = Self.tlsConfiguration(address)
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
