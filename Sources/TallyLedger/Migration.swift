import Foundation
import GRDB

/// One numbered schema step from `migrations/DIALECT/NNNN_name.sql`.
package struct Migration: Sendable, Hashable {
    /// The number the file name starts with.
    package var version: Int
    /// The rest of the file name, without the extension.
    package var name: String
    /// The SQL, exactly as in the file.
    package var sql: String

    /// Creates a migration.
    package init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// Reads a migration from its file name ("0001_ledger.sql") and text; nil when the name is not of that form.
    package init?(fileName: String, sql: String) {
        guard fileName.hasSuffix(".sql") else { return nil }
        let stem = fileName.dropLast(4)
        guard let underscore = stem.firstIndex(of: "_"),
              let version = Int(stem[..<underscore]), version > 0 else { return nil }
        self.init(version: version, name: String(stem[stem.index(after: underscore)...]), sql: sql)
    }

    /// The line a migration carries when it changes what the rollups mean: after its SQL, the
    /// migrator fills `ledger_rollup` again from the rows, in the same transaction.
    package static let rebuildRollupsMarker = "-- tally: rebuild rollups"

    /// Whether this migration asks for the rollups to be rebuilt from the rows.
    var rebuildsRollups: Bool {
        sql.split(separator: "\n").contains { $0.trimmingCharacters(in: .whitespaces) == Self.rebuildRollupsMarker }
    }

    /// The SQLite ledger's migrations built into this binary (`migrations/sqlite/`), in order.
    package static let sqlite = embedded(folder: "sqlite")

    /// The PostgreSQL ledger's migrations built into this binary (`migrations/postgres/`), in order:
    /// the same versions as SQLite's, in PostgreSQL's dialect.
    package static let postgres = embedded(folder: "postgres")

    private static func embedded(folder: String) -> [Migration] {
        EmbeddedFiles.all
            .filter { $0.path.hasPrefix(folder + "/") }
            .compactMap { Migration(fileName: String($0.path.dropFirst(folder.count + 1)), sql: $0.contents) }
            .sorted { $0.version < $1.version }
    }
}

/// Applies migrations to a ledger and checks a ledger against them.
///
/// Every applied migration is recorded in `tally_migrations` with its full SQL text. Opening
/// compares the recorded text with the carried text byte for byte: exact, and needing no hash
/// function SQLite lacks (a hash would only be a shorter stand-in for this comparison).
struct Migrator: Sendable {
    var migrations: [Migration]
    var path: String

    /// The schema version the migrations lead to.
    var latestVersion: Int { migrations.last?.version ?? 0 }

    static let createTable = """
        CREATE TABLE IF NOT EXISTS tally_migrations (
            version       INTEGER PRIMARY KEY,
            name          TEXT    NOT NULL,
            sql           TEXT    NOT NULL,
            applied_at_ms INTEGER NOT NULL
        )
        """

    /// Brings the ledger up to date, one migration per transaction, except that the migrations
    /// up to the last one that rebuilds the rollups go in one transaction, rebuilt once (the
    /// rebuild fills the rollups this build keeps, so no earlier schema ever holds them half made).
    /// Refuses, changing nothing, a file that is not a ledger, a newer ledger, or one whose
    /// recorded migrations differ. `progress` hears how far a rebuild of the rollups has come.
    func migrate(_ writer: some DatabaseWriter, progress: (@Sendable (_ done: Int, _ of: Int) -> Void)? = nil) throws {
        while true {
            let applied: Bool = try writer.writeWithoutTransaction { db in
                var applied = false
                try db.inTransaction(.immediate) {
                    let recorded = try checkedRecord(db, creating: true)
                    let pending = migrations.filter { $0.version > (recorded.last?.version ?? 0) }
                    guard !pending.isEmpty else { return .commit }
                    let together = pending.lastIndex(where: \.rebuildsRollups).map { pending[...$0] } ?? pending.prefix(1)
                    for next in together {
                        try db.execute(sql: next.sql)
                        try db.execute(
                            sql: "INSERT INTO tally_migrations (version, name, sql, applied_at_ms) VALUES (?, ?, ?, ?)",
                            arguments: [next.version, next.name, next.sql, LedgerEntry.milliseconds(Date())]
                        )
                    }
                    if together.contains(where: \.rebuildsRollups) {
                        try SQLiteLedgerStorage.rebuildRollups(db, progress: progress)
                    }
                    applied = true
                    return .commit
                }
                return applied
            }
            if !applied { return }
        }
    }

    /// The recorded schema version; throws when the record is newer than, or differs from, the carried migrations.
    /// With `creating`, an empty database gets the record table; without, it is reported as version 0.
    func checkedRecord(_ db: Database, creating: Bool) throws -> [Migration] {
        let hasRecord = try db.tableExists("tally_migrations")
        if !hasRecord {
            let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
            if !tables.isEmpty {
                throw LedgerError(.notALedger, location: path, message: "a SQLite database that is not a Tally ledger (it has no tally_migrations table)")
            }
            if creating { try db.execute(sql: Self.createTable) }
            return []
        }
        let recorded = try Row.fetchAll(db, sql: "SELECT version, name, sql FROM tally_migrations ORDER BY version").map {
            Migration(version: $0["version"], name: $0["name"], sql: $0["sql"])
        }
        for (index, migration) in recorded.enumerated() {
            guard migration.version <= latestVersion else {
                throw LedgerError(
                    .newerSchema, location: path,
                    message: "ledger schema version \(recorded.last?.version ?? migration.version) is newer than this tally's (\(latestVersion)); upgrade tally to use this ledger"
                )
            }
            guard index < migrations.count, migrations[index] == migration else {
                throw LedgerError(
                    .migrationMismatch, location: path,
                    message: "recorded migration \(String(format: "%04d", migration.version))_\(migration.name) differs from the one this tally carries; the ledger was changed outside tally or by a different build"
                )
            }
        }
        return recorded
    }
}
