import Foundation
import GRDB
import TallyTestSupport
import Testing

/// Runs the built `tally` binary against ledgers in temporary directories.
struct LedgerCommandTests {
    struct Run {
        var status: Int32
        var output: String
        var error: String
    }

    static func executable(_ name: String) throws -> URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        var candidates: [URL] = []
        for _ in 0..<4 {
            candidates.append(directory.appendingPathComponent(name))
            directory = directory.deletingLastPathComponent()
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug/\(name)"))
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw CLIFailure(description: "\(name) is not built")
        }
        return found
    }

    struct CLIFailure: Error, CustomStringConvertible { var description: String }

    static func run(_ arguments: [String], program name: String = "tally", executable path: String? = nil, environment: [String: String] = [:]) throws -> Run {
        let process = Process()
        process.executableURL = try path.map { URL(fileURLWithPath: $0) } ?? executable(name)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
                   error: String(decoding: errorData, as: UTF8.self))
    }

    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "tally-cli-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func verifyPassesOnASoundLedgerAndFailsWith65OnATamperedRollup() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let ledger = directory + "/ledger.sqlite"
        #expect(try Self.run(["ledger", "migrate", "--ledger", ledger]).status == 0)
        #expect(try Self.run(["--ledger", ledger, "--prefix", "c", "--append", "5"], program: "tally-ledger-child").status == 0)
        let sound = try Self.run(["ledger", "verify"], environment: ["TALLY_LEDGER": ledger])
        #expect(sound.status == 0)
        #expect(sound.output.contains("rollups: match a recount of 5 rows"))
        try DatabaseQueue(path: ledger).write { db in
            try db.execute(sql: "UPDATE ledger_rollup SET output_tokens = output_tokens + 1 WHERE grain = 1")
        }
        let tampered = try Self.run(["ledger", "verify", "--ledger", ledger])
        #expect(tampered.status == 65)
        #expect(tampered.error.contains("rollup hourModel"))
    }

    @Test func exportWritesEveryRowAsCSVOrJSONLinesWithinTheRange() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let ledger = directory + "/ledger.sqlite"
        #expect(try Self.run(["--ledger", ledger, "--prefix", "e", "--append", "3"], program: "tally-ledger-child").status == 0)
        let csv = try Self.run(["ledger", "export", "--ledger", ledger])
        let lines = csv.output.split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines.first?.hasPrefix("seq,id,kind,timestamp,") == true)
        #expect(lines.dropFirst().allSatisfy { $0.contains(",e-row-") })
        let jsonl = try Self.run(["ledger", "export", "--ledger", ledger, "--format", "jsonl", "--since", "2026-01-01", "--until", "2026-01-02"])
        let objects = try jsonl.output.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(objects.count == 3)
        #expect(objects.first??["project"] as? String == "e")
        let empty = try Self.run(["ledger", "export", "--ledger", ledger, "--format", "jsonl", "--since", "2026-01-02"])
        #expect(empty.status == 0)
        #expect(empty.output.isEmpty)
        #expect(try Self.run(["ledger", "export", "--ledger", ledger, "--since", "soon"]).status == 64)
    }

    @Test func badLedgerPathsExitWith74Or65AndOneLineNamingThePath() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let notADatabase = directory + "/notes.sqlite"
        try Data(String(repeating: "hello ", count: 1000).utf8).write(to: URL(fileURLWithPath: notADatabase))
        for (arguments, status, path) in [
            (["ledger", "info", "--ledger", directory], Int32(74), directory),
            (["ledger", "verify", "--ledger", directory + "/missing.sqlite"], 74, directory + "/missing.sqlite"),
            (["ledger", "migrate", "--ledger", notADatabase], 65, notADatabase),
            (["ledger", "export", "--ledger", notADatabase], 65, notADatabase),
        ] {
            let run = try Self.run(arguments)
            #expect(run.status == status, "\(arguments)")
            #expect(run.error.hasPrefix("tally: \(path):"), "\(arguments)")
            #expect(run.error.split(separator: "\n").count == 1, "\(arguments)")
        }
    }

    @Test func aBadLedgerURLExits64WithOneLineThatNeverShowsThePassword() throws {
        let unknown = try Self.run(["report", "--ledger", "mysql://root:hunter2@db/spend"])
        #expect(unknown.status == 64)
        #expect(unknown.error == "tally: mysql://root:***@db/spend: unknown scheme 'mysql': a ledger is a file path or a postgres:// URL\n")
        let badPort = try Self.run(["ledger", "info"], environment: ["TALLY_LEDGER": "postgres://u:hunter2@db:0/spend"])
        #expect(badPort.status == 64)
        #expect(badPort.error.contains("port '0'"))
        #expect(!badPort.error.contains("hunter2"))
        // A well-formed URL names the server without its password, and is refused until the store lands.
        let notYet = try Self.run(["budget", "check", "--limit", "1", "--ledger", "postgres://u:hunter2@db/spend"])
        #expect(notYet.status == 3)
        #expect(notYet.output.hasPrefix("TALLY UNKNOWN - postgres://u@db:5432/spend: "))
        #expect(!notYet.output.contains("hunter2"))
    }

    @Test func migrateAndInfoTakeAPostgreSQLURLAndExitAsDocumentedWhenTheServerSaysNo() throws {
        let server = try PostgresServer()
        defer { server.stop() }
        try server.createDatabase("spend")
        let url = server.url(database: "spend")
        let shown = "postgres://\(server.superuser)@127.0.0.1:\(server.port)/spend?sslmode=disable"
        let latest = try FileManager.default.contentsOfDirectory(atPath: URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("migrations/postgres").path)
            .filter { $0.hasSuffix(".sql") }.count
        let created = try Self.run(["ledger", "migrate", "--ledger", url])
        #expect(created.status == 0, "\(created.error)")
        #expect(created.output == "\(shown): schema version \(latest) (created)\n")
        let again = try Self.run(["ledger", "migrate"], environment: ["TALLY_LEDGER": url])
        #expect(again.output == "\(shown): schema version \(latest) (up to date)\n")
        let info = try Self.run(["ledger", "info", "--format", "json", "--ledger", url])
        #expect(info.status == 0, "\(info.error)")
        let object = try JSONSerialization.jsonObject(with: Data(info.output.utf8)) as? [String: Any]
        #expect(object?["location"] as? String == shown)
        #expect(object?["rows"] as? Int == 0)
        #expect(!info.output.contains(server.password))

        let wrongPassword = try Self.run(["ledger", "info", "--ledger", server.url(database: "spend", password: "guess")])
        #expect(wrongPassword.status == 77, "\(wrongPassword.error)")
        #expect(!wrongPassword.error.contains("guess"))
        #expect(wrongPassword.error.split(separator: "\n").count == 1)
        let closed = try ClosedPort()
        let refused = try Self.run(["ledger", "migrate", "--ledger", "postgres://tally:pw@127.0.0.1:\(closed.port)/spend?sslmode=disable"])
        #expect(refused.status == 69, "\(refused.error)")
        #expect(refused.error.contains("connection refused"))
        // A SQLite ledger copied in, twice: the second run finds nothing left to copy.
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/ledger.sqlite"
        #expect(try Self.run(["--ledger", file, "--prefix", "c", "--append", "5"], program: "tally-ledger-child").status == 0)
        let copied = try Self.run(["ledger", "copy", file, url])
        #expect(copied.status == 0, "\(copied.error)")
        #expect(copied.output.hasPrefix("\(shown): copied 5 row(s), 0 already there; 5 row(s) in "), "\(copied.output)")
        let nothingLeft = try Self.run(["ledger", "copy", file, url])
        #expect(nothingLeft.output.hasPrefix("\(shown): copied 0 row(s), 5 already there; "), "\(nothingLeft.output)")
        #expect(try Self.run(["ledger", "info", "--format", "json", "--ledger", url]).output.contains("\"rows\":5"))
        let report = try Self.run(["report", "--month", "2026-01", "--tz", "UTC", "--format", "csv", "--ledger", url])
        #expect(report.status == 0, "\(report.error)")
        #expect(report.output == (try Self.run(["report", "--month", "2026-01", "--tz", "UTC", "--format", "csv", "--ledger", file]).output))

        // A database without a ledger yet: readers say to migrate it, exit 65.
        try server.createDatabase("empty")
        let empty = try Self.run(["report", "--ledger", server.url(database: "empty")])
        #expect(empty.status == 65, "\(empty.error)")
        #expect(empty.error.contains("run `tally ledger migrate`"), "\(empty.error)")
        #expect(!empty.error.contains(server.password))
    }

    @Test func twoSpoolsShipIntoOnePostgreSQLLedgerOnceEachAndStatusShowsTheBacklog() throws {
        let (server, url) = try PostgresServer.sharedDatabase()
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let spools = [directory + "/a.sqlite", directory + "/b.sqlite"]
        for (index, spool) in spools.enumerated() {
            let written = try Self.run(["--ledger", spool, "--prefix", "s\(index)", "--append", "\(4 + index)"], program: "tally-ledger-child")
            #expect(written.status == 0, "\(written.error)")
        }
        #expect(try Self.run(["ledger", "migrate", "--ledger", url]).status == 0)
        let before = try Self.run(["ledger", "status", "--spool", spools[0], "--ledger", url, "--format", "json"])
        #expect(before.status == 0, "\(before.error)")
        let waiting = try JSONSerialization.jsonObject(with: Data(before.output.utf8)) as? [String: Any]
        #expect(waiting?["unshipped_rows"] as? Int == 4)
        #expect(waiting?["instance"] is NSNull)
        #expect((waiting?["oldest_unshipped_age_seconds"] as? Int).map { $0 >= 0 } == true)

        for spool in spools {
            let shipped = try Self.run(["ledger", "ship", "--spool", spool, "--ledger", url, "--batch", "3"])
            #expect(shipped.status == 0, "\(shipped.error)")
            #expect(shipped.output.contains(": shipped \(spool.hasSuffix("a.sqlite") ? 4 : 5) row(s) of spool \(spool) (instance "), "\(shipped.output)")
            #expect(!shipped.output.contains(server.password) && !shipped.error.contains(server.password))
            let again = try Self.run(["ledger", "ship", "--spool", spool, "--ledger", url])
            #expect(again.output.contains(": shipped 0 row(s)"), "\(again.output)")
        }
        let after = try Self.run(["ledger", "status", "--spool", spools[1], "--ledger", url])
        #expect(after.output.contains("unshipped rows                0\n"), "\(after.output)")
        #expect(after.output.contains("shipped through               5\n"), "\(after.output)")
        let info = try Self.run(["ledger", "info", "--format", "json", "--ledger", url])
        #expect(info.output.contains("\"rows\":9"), "\(info.output)")
        let verified = try Self.run(["ledger", "verify", "--ledger", url])
        #expect(verified.status == 0, "\(verified.output)")

        let missing = try Self.run(["ledger", "ship", "--spool", directory + "/none.sqlite", "--ledger", url])
        #expect(missing.status == 74)
        #expect(missing.error == "tally: \(directory)/none.sqlite: no spool here to ship from\n")
        let fromServer = try Self.run(["ledger", "ship", "--spool", url, "--ledger", url])
        #expect(fromServer.status == 64)
        #expect(fromServer.error.split(separator: "\n").count == 1 && fromServer.error.contains("a spool is a SQLite file"))
        #expect(!fromServer.error.contains(server.password))
    }

    @Test func infoDescribesTheLedger() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let ledger = directory + "/data/tally/ledger.sqlite"
        #expect(try Self.run(["ledger", "migrate"], environment: ["TALLY_LEDGER": "", "XDG_DATA_HOME": directory + "/data"]).status == 0)
        let info = try Self.run(["ledger", "info", "--format", "json", "--ledger", ledger])
        #expect(info.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(info.output.utf8)) as? [String: Any]
        #expect(object?["rows"] as? Int == 0)
        // The number of the last file in migrations/sqlite/.
        let migrations = try FileManager.default.contentsOfDirectory(atPath: URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("migrations/sqlite").path)
        #expect(object?["schema_version"] as? Int == migrations.filter { $0.hasSuffix(".sql") }.count)
        #expect(object?["location"] as? String == ledger)
    }

    /// The files beside a ledger that a read must not create.
    static func sideFiles(of ledger: String) -> [String] {
        ["-wal", "-shm"].map { ledger + $0 }.filter { FileManager.default.fileExists(atPath: $0) }
    }

    @Test func readingACleanlyClosedLedgerLeavesNoWalOrShmFilesBehind() async throws {
        let fixture = try await ReportFixture()
        defer { fixture.remove() }
        try #require(Self.sideFiles(of: fixture.path).isEmpty)
        for arguments in [
            ["report", "--month", "2026-11", "--format", "json"],
            ["budget", "check", "--limit", "1000"],
            ["ledger", "export"],
            ["ledger", "info"],
            ["ledger", "verify"],
            ["ledger", "reprice", "--month", "2026-11", "--dry-run"],
        ] {
            let run = try Self.run(arguments + ["--ledger", fixture.path])
            #expect(run.status == 0, "\(arguments): \(run.error)\(run.output)")
            #expect(Self.sideFiles(of: fixture.path).isEmpty, "\(arguments) left \(Self.sideFiles(of: fixture.path))")
        }
    }

    @Test(.enabled(if: geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"), "needs root to drop to nobody"))
    func anotherUserReadsALedgerInAFolderItCannotWrite() async throws {
        let fixture = try await ReportFixture()
        defer { fixture.remove() }
        // The folder and the file belong to root; nobody may read them and write neither.
        chmod(fixture.folder.path, 0o755)
        chmod(fixture.path, 0o644)
        let tally = try Self.executable("tally").path
        for (arguments, status, output) in [
            (["report", "--month", "2026-11", "--tz", "UTC", "--format", "csv"], Int32(0), "TOTAL"),
            (["budget", "check", "--limit", "1000"], 0, "TALLY OK"),
            (["ledger", "reprice", "--month", "2026-11", "--dry-run"], 0, "dry run"),
            (["ledger", "export", "--format", "jsonl"], 0, "\"seq\":6"),
        ] {
            let run = try Self.run(
                ["--reuid=nobody", "--regid=nogroup", "--clear-groups", tally] + arguments + ["--ledger", fixture.path],
                executable: "/usr/bin/setpriv"
            )
            #expect(run.status == status, "\(arguments): \(run.error)\(run.output)")
            #expect(run.output.contains(output), "\(arguments): \(run.output)")
        }
        #expect(Self.sideFiles(of: fixture.path).isEmpty)
    }

    @Test func exportTakesUntilAsReportDoesAndAcceptsItsOwnTimestamps() async throws {
        let fixture = try await ReportFixture()
        defer { fixture.remove() }
        func rows(_ arguments: [String]) throws -> [String] {
            let run = try Self.run(["ledger", "export", "--ledger", fixture.path, "--format", "jsonl"] + arguments)
            #expect(run.status == 0, "\(arguments): \(run.error)")
            return run.output.split(separator: "\n").map(String.init)
        }
        // A day alone is the whole day, for --until as for --since, as in `tally report`.
        #expect(try rows(["--since", "2026-11-03", "--until", "2026-11-03"]).count == 2)
        #expect(try rows(["--since", "2026-11-10", "--until", "2026-11-30"]).count == 4)
        // A time is exclusive for --until; fractional seconds as export writes them.
        let exported = try rows(["--since", "2026-11-03", "--until", "2026-11-03"])
        let stamp = try #require(exported.last.flatMap { $0.range(of: #"20\d\d-[^"]*Z"#, options: .regularExpression).map { String(exported.last![$0]) } })
        #expect(stamp == "2026-11-03T12:00:00.000Z")
        #expect(try rows(["--since", stamp]).count == 5)
        #expect(try rows(["--since", "2026-11-03", "--until", stamp]).count == 1)
    }
}
