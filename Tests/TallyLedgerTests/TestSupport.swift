import Foundation
import GRDB
@testable import TallyLedger
import TallyPricing
import TallyUsage
import TallyTestSupport

/// A fresh directory under the system's temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "tally-ledger-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    var ledgerPath: String { path + "/ledger.sqlite" }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Opens the ledger file directly with GRDB, for what the tests do behind the ledger's back.
func rawDatabase(_ path: String) throws -> DatabaseQueue {
    try DatabaseQueue(path: path)
}

/// Writes a ledger file as an earlier Tally left it: only `migrations` applied, and `rows` inserted
/// straight into `ledger_rows` (this build's append path speaks only the latest schema).
func writeOldLedger(
    _ path: String, migrations: [Migration],
    rows: [(id: String, tsMs: Int64, inputTokens: Int64, costNano: Int64?)]
) throws {
    let database = try DatabaseQueue(path: path)
    try Migrator(migrations: migrations, path: path).migrate(database)
    try database.write { db in
        for row in rows {
            try db.execute(sql: """
                INSERT INTO ledger_rows (id, kind, ts_ms, provider, model_requested, endpoint, streamed, outcome, attempts,
                    input_tokens, cached_input_tokens, cache_write_tokens, cache_write_1h_tokens, output_tokens, reasoning_tokens,
                    usage_source, usage_flags, cost_nano, list_cost_nano)
                VALUES (?, 'request', ?, 'openai', 'gpt-4.1', 'chat/completions', 0, 'ok', 1, ?, 0, 0, 0, 0, 0, 'reported', 0, ?, ?)
                """, arguments: [row.id, row.tsMs, row.inputTokens, row.costNano, row.costNano])
        }
    }
}

/// The built `tally-ledger-child` test helper, which the process tests run.
func ledgerChildExecutable() throws -> URL {
    var candidates: [URL] = []
    let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var directory = executable.deletingLastPathComponent()
    for _ in 0..<4 {
        candidates.append(directory.appendingPathComponent("tally-ledger-child"))
        directory = directory.deletingLastPathComponent()
    }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    candidates.append(root.appendingPathComponent(".build/debug/tally-ledger-child"))
    guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
        throw LedgerTestFailure("tally-ledger-child not built (looked in \(candidates.map(\.path)))")
    }
    return found
}

struct LedgerTestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Starts `tally-ledger-child` with the arguments; stdout is piped.
func startChild(_ arguments: [String]) throws -> (process: Process, output: Pipe) {
    let process = Process()
    process.executableURL = try ledgerChildExecutable()
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    return (process, output)
}

/// Reads the child's stdout until it prints `line`.
func waitForLine(_ line: String, from pipe: Pipe, timeout: TimeInterval = 30) throws {
    var text = ""
    let deadline = Date().addingTimeInterval(timeout)
    while !text.contains(line + "\n") {
        let data = pipe.fileHandleForReading.availableData
        if data.isEmpty { throw LedgerTestFailure("the child ended before printing '\(line)': \(text)") }
        text += String(decoding: data, as: UTF8.self)
        if Date() > deadline { throw LedgerTestFailure("the child did not print '\(line)' in time") }
    }
}

/// A request row with the given amounts, at `timestamp`.
func sampleEntry(
    id: String = UUID().uuidString,
    at timestamp: Date,
    provider: String = "openai",
    model: String = "gpt-4.1",
    usage: Usage = Usage(input: 100, cachedInput: 20, output: 50, reasoning: 5),
    cost: Int64? = 1_000,
    listCost: Int64? = 1_500,
    usageSource: LedgerEntry.UsageSource = .reported,
    attribution: Attribution = .none
) -> LedgerEntry {
    var entry = LedgerEntry(
        id: id, timestamp: timestamp, provider: provider, modelRequested: model, endpoint: "chat/completions",
        usage: usage, usageSource: usageSource, pricing: nil, attribution: attribution
    )
    entry.cost = cost.map(Money.init(nanoUSD:))
    entry.listCost = listCost.map(Money.init(nanoUSD:))
    if cost != nil { entry.priceEntry = PriceEntryRef(provider: provider, table: "official/\(provider).json", model: model, from: "2025-04-14") }
    return entry
}

/// Parses "2025-01-31T23:30:00Z".
func utc(_ text: String) -> Date {
    let formatter = ISO8601DateFormatter()
    guard let date = formatter.date(from: text) else { preconditionFailure("bad test date \(text)") }
    return date
}

/// Every row of the ledger, in append order.
func allEntries(_ path: String) async throws -> [StoredLedgerEntry] {
    var entries: [StoredLedgerEntry] = []
    entries = try await LedgerReader(path: path).entries()
    return entries
}

/// The two stores the ledger's tests run against.
enum LedgerBackend: String, CaseIterable, Sendable {
    case sqlite
    case postgres
}

/// A new, empty place for a ledger on a backend: a file in a temporary folder, or a database
/// of its own on the test process's shared PostgreSQL cluster.
struct FreshLedger: Sendable {
    let backend: LedgerBackend
    let location: LedgerLocation
    /// What `--ledger` takes for it: the path or the URL.
    let argument: String
    let server: PostgresServer?
    private let directory: TemporaryDirectory?

    init(_ backend: LedgerBackend) throws {
        self.backend = backend
        switch backend {
        case .sqlite:
            let directory = try TemporaryDirectory()
            self.directory = directory
            self.server = nil
            self.argument = directory.ledgerPath
        case .postgres:
            let (server, url) = try PostgresServer.sharedDatabase()
            self.directory = nil
            self.server = server
            self.argument = url
        }
        self.location = try LedgerLocation(argument, environment: [:])
    }

    func remove() { directory?.remove() }

    /// Runs SQL behind the ledger's back (GRDB on the file, psql on the database); throws when it is refused.
    func execute(_ sql: String) throws {
        switch location {
        case .file(let path): try rawDatabase(path).write { try $0.execute(sql: sql) }
        case .postgres(let address): try server?.psql(sql, database: address.database)
        }
    }

    /// Opens the ledger read-only.
    func reader() throws -> LedgerReader { try LedgerReader(location: location) }
}

/// Opens the ledger at `fresh` (migrating it) and runs `body` with what it needs running (a
/// database's pool) beside it.
func withLedger<Result: Sendable>(
    _ fresh: FreshLedger, prices: PriceBook? = nil, _ body: (Ledger) async throws -> Result
) async throws -> Result {
    let ledger = try await Ledger.open(fresh.location, prices: prices)
    return try await ledger.whileRunning { try await body(ledger) }
}

extension FreshLedger {
    /// What a SQL query returns, row by row, columns joined by `|` (NULL as ''): GRDB on the file,
    /// psql (in UTC) on the database.
    func query(_ sql: String) throws -> [String] {
        switch location {
        case .file(let path):
            return try rawDatabase(path).read { db in
                try Row.fetchAll(db, sql: sql).map { row in
                    row.databaseValues.map { value in value.isNull ? "" : (String.fromDatabaseValue(value) ?? value.description) }
                        .joined(separator: "|")
                }
            }
        case .postgres(let address):
            let output = try server?.psql("SET TIME ZONE 'UTC';\n" + sql, database: address.database) ?? ""
            return output.isEmpty ? [] : output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        }
    }
}
