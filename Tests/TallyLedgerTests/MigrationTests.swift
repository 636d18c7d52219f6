import Foundation
import GRDB
import Synchronization
import Testing
@testable import TallyLedger

struct MigrationTests {
    let first = Migration.sqlite[0]
    /// The migrations this build carries, then one more, as a newer Tally would carry it.
    let current = Migration.sqlite
    let next = Migration(version: Migration.sqlite.count + 1, name: "add_notes", sql: "CREATE TABLE test_notes (seq INTEGER, note TEXT NOT NULL);\n")

    @Test func theBuildCarriesTheMigrationsFolderInOrder() {
        #expect(Migration.sqlite.map(\.version) == Array(1...Migration.sqlite.count))
        #expect(first.name == "ledger")
        #expect(first.sql.contains("CREATE TABLE ledger_rows"))
    }

    @Test func aFreshLedgerIsMigratedToTheLatestSchemaAndRecordsEachMigration() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let ledger = try Ledger(path: directory.ledgerPath)
        #expect(ledger.schemaVersion == Migration.sqlite.last?.version)
        let recorded = try rawDatabase(directory.ledgerPath).read { db in
            try Row.fetchAll(db, sql: "SELECT version, name, sql FROM tally_migrations").map { ($0["version"] as Int, $0["sql"] as String) }
        }
        #expect(recorded.map(\.0) == Migration.sqlite.map(\.version))
        #expect(recorded.map(\.1) == Migration.sqlite.map(\.sql))
    }

    @Test func connectionsOpeningOneNewLedgerAtOnceAllSucceed() throws {
        // Two connections switching a fresh file to WAL at the same moment: SQLite answers one
        // of them SQLITE_BUSY at once, without waiting. Every opener must still get the ledger.
        for _ in 0..<40 {
            let directory = try TemporaryDirectory()
            defer { directory.remove() }
            let failures = Mutex<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 6) { _ in
                do {
                    let ledger = try Ledger(path: directory.ledgerPath)
                    if ledger.schemaVersion != Migration.sqlite.last?.version { failures.withLock { $0.append("old schema") } }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
            #expect(failures.withLock { $0 } == [])
        }
    }

    @Test func aLedgerAtTheEarlierSchemaIsUpgradedKeepingItsRows() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try writeOldLedger(directory.ledgerPath, migrations: [first], rows: [(id: "kept", tsMs: 1_746_093_600_000, inputTokens: 100, costNano: 1_000)])
        let upgraded = try Ledger(path: directory.ledgerPath, migrations: current + [next], prices: nil)
        #expect(upgraded.schemaVersion == next.version)
        let (versions, notes) = try await rawDatabase(directory.ledgerPath).read { db in
            (try Int.fetchAll(db, sql: "SELECT version FROM tally_migrations ORDER BY version"),
             try db.tableExists("test_notes"))
        }
        #expect(versions == Array(1...next.version))
        #expect(notes)
        var ids: [String] = []
        ids = try await upgraded.reader.entries().map(\.entry.id)
        #expect(ids == ["kept"])
    }

    /// Writes a ledger as a Tally whose last migration was 0002 left it, 400 rows over 25 days
    /// (tagged, attributed, some unpriced): its rollup grains only, and no tag rollups.
    private func writeSchemaTwoLedger(_ path: String) async throws {
        let start = utc("2025-03-01T00:00:00Z")
        var entries: [LedgerEntry] = []
        for index in 0..<400 {
            let tags: [String] = index % 3 == 0 ? ["t\(index % 4)"] : []
            let cost: Int64? = index % 7 == 0 ? nil : Int64(1_000 + index)
            let attribution = Attribution(project: "p\(index % 2)", user: "u\(index % 5)", tags: tags)
            let at = start.addingTimeInterval(Double(index) * 5_400 + 7)
            entries.append(sampleEntry(id: "r\(index)", at: at, model: "m\(index % 3)", cost: cost, attribution: attribution))
        }
        do {
            let ledger = try Ledger(path: path)
            try await ledger.append(contentsOf: entries)
        }
        try await rawDatabase(path).write { db in
            try db.execute(sql: """
                DROP TABLE ledger_instance; DROP TABLE ledger_origins;
                DROP VIEW ledger_requests; DROP TABLE ledger_tag_rollup; DELETE FROM ledger_rollup WHERE grain > 3;
                DELETE FROM tally_migrations WHERE version > 2
                """)
        }
    }

    @Test func aLedgerWithTheEarlierRollupsGainsOnesForEveryViewAndSaysHowFarTheRebuildIs() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await writeSchemaTwoLedger(directory.ledgerPath)
        let steps = Mutex<[(Int, Int)]>([])
        let migrated = try Ledger(
            path: directory.ledgerPath, migrations: Migration.sqlite, prices: nil,
            migrationProgress: { done, total in steps.withLock { $0.append((done, total)) } }
        )
        #expect(migrated.schemaVersion == Migration.sqlite.last?.version)
        let reported = steps.withLock { $0 }
        #expect(reported.count > 1)
        #expect(reported.last.map { $0.0 == $0.1 } == true)
        #expect(try await migrated.reader.verify().rollupMismatches.isEmpty)
        // A breakdown by tag in a quarter-hour zone is now read from the rollups, and agrees with the rows.
        let zone = try #require(TimeZone(identifier: "Asia/Kathmandu"))
        let month = utc("2025-02-28T18:15:00Z")..<utc("2025-03-31T18:15:00Z")
        let summary = try await migrated.reader.summary(range: month, groupBy: [.tag], timeZone: zone)
        #expect(summary.source == .rollup)
        let counted = try await migrated.reader.summary(
            ReportPlan(range: month, groupBy: [.tag], timeZone: zone, filter: Report.Filter(), fromRowsOnly: true)
        )
        #expect(summary.rows == counted.rows)
        #expect(summary.total == counted.total)
    }

    @Test func aMigrationKilledHalfwayLeavesTheLedgerAsItWasAndTheNextOpenFinishesIt() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await writeSchemaTwoLedger(directory.ledgerPath)
        let child = try startChild(["--ledger", directory.ledgerPath, "--prefix", "m", "--hold-while-migrating"])
        try waitForLine("migrating", from: child.output)
        kill(child.process.processIdentifier, SIGKILL)
        child.process.waitUntilExit()
        #expect(child.process.terminationReason == .uncaughtSignal)

        // Killed inside the migration's transaction: nothing of it stayed, the rows are all there.
        let (version, tagTables, rows, rollups) = try await rawDatabase(directory.ledgerPath).read { db in
            (
                try Int.fetchOne(db, sql: "SELECT MAX(version) FROM tally_migrations"),
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sqlite_master WHERE name = 'ledger_tag_rollup'"),
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ledger_rows"),
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ledger_rollup WHERE grain > 3")
            )
        }
        #expect(version == 2)
        #expect(tagTables == 0)
        #expect(rows == 400)
        #expect(rollups == 0)

        let migrated = try Ledger(path: directory.ledgerPath)
        #expect(migrated.schemaVersion == Migration.sqlite.last?.version)
        #expect(try await migrated.reader.verify().rollupMismatches.isEmpty)
        #expect(try await migrated.reader.entries().count == 400)
    }

    @Test func aLedgerFromANewerTallyIsRefusedAndLeftUnchanged() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try Ledger(path: directory.ledgerPath, migrations: current + [next], prices: nil)
        try checkpoint(directory.ledgerPath)
        let before = try Data(contentsOf: URL(fileURLWithPath: directory.ledgerPath))
        #expect {
            _ = try Ledger(path: directory.ledgerPath, migrations: current, prices: nil)
        } throws: { error in
            guard let error = error as? LedgerError else { return false }
            return error.code == .newerSchema && error.description.hasPrefix(directory.ledgerPath)
                && error.message.contains("newer")
        }
        await #expect(throws: LedgerError.self) { _ = try await LedgerReader.info(path: directory.ledgerPath) }
        try checkpoint(directory.ledgerPath)
        let after = try Data(contentsOf: URL(fileURLWithPath: directory.ledgerPath))
        #expect(before == after)
        let versions = try await rawDatabase(directory.ledgerPath).read { db in
            try Int.fetchAll(db, sql: "SELECT version FROM tally_migrations ORDER BY version")
        }
        #expect(versions == Array(1...next.version))
    }

    @Test func aRecordedMigrationThatDiffersFromTheCarriedOneIsRefused() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try Ledger(path: directory.ledgerPath, migrations: current, prices: nil)
        var edited = current
        edited[0].sql += "\n-- edited by hand\n"
        #expect {
            _ = try Ledger(path: directory.ledgerPath, migrations: edited, prices: nil)
        } throws: { error in
            (error as? LedgerError)?.code == .migrationMismatch
        }
        // The same mismatch, found the other way round: the file's record was tampered with.
        try rawDatabase(directory.ledgerPath).write { db in
            try db.execute(sql: "UPDATE tally_migrations SET sql = sql || ' ' WHERE version = 1")
        }
        #expect {
            _ = try Ledger(path: directory.ledgerPath, migrations: current, prices: nil)
        } throws: { error in
            (error as? LedgerError)?.code == .migrationMismatch
        }
    }

    @Test func aSQLiteDatabaseOfAnotherApplicationIsRefusedWithoutBeingTouched() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try rawDatabase(directory.ledgerPath).write { db in
            try db.execute(sql: "CREATE TABLE contacts (name TEXT)")
        }
        #expect {
            _ = try Ledger(path: directory.ledgerPath)
        } throws: { error in
            (error as? LedgerError)?.code == .notALedger
        }
        let tables = try rawDatabase(directory.ledgerPath).read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        #expect(tables == ["contacts"])
        let journalMode = try rawDatabase(directory.ledgerPath).read { db in
            try String.fetchOne(db, sql: "PRAGMA journal_mode")
        }
        #expect(journalMode == "delete")
    }

    @Test func readingALedgerWhoseSchemaIsOlderAsksForAMigration() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try await rawDatabase(directory.ledgerPath).write { db in
            try db.execute(sql: Migrator.createTable)
        }
        #expect {
            _ = try LedgerReader(path: directory.ledgerPath)
        } throws: { error in
            (error as? LedgerError)?.code == .needsMigration
        }
        #expect(try await LedgerReader.info(path: directory.ledgerPath).schemaVersion == 0)
    }

    /// Moves everything in the write-ahead log into the file, so its bytes show every committed change.
    private func checkpoint(_ path: String) throws {
        try rawDatabase(path).writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
        }
    }
}
