import ArgumentParser
import Foundation
import TallyLedger
import TallyPricing
import TallyUsage

/// `tally-ledger-child`: a worker process for the ledger's multi-process tests (TallyLedgerTests,
/// TallyCLITests). A test helper, never installed.
///
/// Begins `--begin` journaled requests (ids PREFIX-0…), prints "begun" once they are durable,
/// then appends `--append` rows (to a ledger file or a `postgres://` URL) one awaited append at a time (ids PREFIX-row-0…), finishing the
/// begun requests along the way. With `--forever` it keeps appending batches of 500 rows (printing
/// "appending" after the first) and finishing one begun request per batch, leaving half of them
/// in flight, until it is killed. With `--hold` it waits, requests in flight, until killed.
/// With `--hold-while-migrating` it opens a ledger that needs a migration, prints "migrating"
/// once the first stretch of rollups is rebuilt, and waits there, inside the migration's
/// transaction, until killed.
@main
struct LedgerChild: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tally-ledger-child",
        abstract: "A ledger worker process for Tally's tests."
    )

    @Option var ledger: String
    @Option var prefix: String
    @Option var begin: Int = 0
    @Option var append: Int = 0
    @Flag var forever = false
    @Flag var hold = false
    @Flag var holdWhileMigrating = false

    func run() async throws {
        if holdWhileMigrating {
            _ = try Ledger(path: self.ledger, migrations: Migration.sqlite, prices: nil, migrationProgress: { done, total in
                guard done >= 1, done < total else { return }
                FileHandle.standardOutput.write(Data("migrating\n".utf8))
                while true { sleep(3600) }
            })
            throw ValidationError("the migration ended before it could be held: the ledger needs one of at least two stretches")
        }
        // A file or a postgres:// URL: the multi-process tests run on both stores.
        let ledger = try await Ledger.open(try LedgerLocation(self.ledger, environment: ProcessInfo.processInfo.environment))
        try await ledger.whileRunning {
            let at = Date(timeIntervalSince1970: 1_767_225_600)
            var tickets: [InFlightTicket] = []
            for index in 0..<begin {
                tickets.append(try await ledger.begin(InFlightRequest(
                    id: "\(prefix)-\(index)", timestamp: at, provider: "openai", model: "gpt-4.1",
                    endpoint: "chat/completions", estimatedInputTokens: 1000,
                    attribution: Attribution(project: "child", tags: ["killed"])
                )))
            }
            FileHandle.standardOutput.write(Data("begun\n".utf8))
            while hold { try await Task.sleep(for: .seconds(3600)) }
            func row(_ id: String) -> LedgerEntry {
                LedgerEntry(
                    id: id, timestamp: at, provider: "openai", modelRequested: "gpt-4.1", endpoint: "chat/completions",
                    usage: Usage(input: 10, output: 5), pricing: nil,
                    attribution: Attribution(project: prefix)
                )
            }
            for index in 0..<append {
                try await ledger.append(row("\(prefix)-row-\(index)"))
                if let ticket = tickets.popLast() {
                    var entry = row(ticket.request.id)
                    entry.attribution = ticket.request.attribution
                    try await ledger.append(completing: ticket, with: entry)
                }
            }
            var batch = 0
            while forever {
                try await ledger.append(contentsOf: (0..<500).map { row("\(prefix)-batch-\(batch)-\($0)") })
                if batch == 0 { FileHandle.standardOutput.write(Data("appending\n".utf8)) }
                if tickets.count > begin / 2, let ticket = tickets.popLast() {
                    var entry = row(ticket.request.id)
                    entry.attribution = ticket.request.attribution
                    try await ledger.append(completing: ticket, with: entry)
                }
                batch += 1
            }
        }
    }
}
