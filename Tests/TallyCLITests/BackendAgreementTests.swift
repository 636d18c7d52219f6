import Foundation
import TallyDemo
import TallyLedger
import TallyPricing
import TallyTestSupport
import TallyUsage
import Testing

/// The same rows in a SQLite file and in a PostgreSQL database read the same: every report
/// view and format, budget checks, export, verify and a re-pricing dry run print byte for byte
/// the same through the real `tally` binary, and a copy back to a file holds the same rows.
@Suite(.serialized) struct BackendAgreementTests {
    /// Three months of varied traffic up to now: relays and official providers, an unpriced
    /// model, estimated rows, projects, users and tags, times on odd minutes, and adjustments.
    static func writeLedger(_ path: String, now: Date) async throws -> Int {
        let book = try PriceBook()
        let ledger = try Ledger(path: path)
        var generator = SeededGenerator(seed: 20_261_204)
        let models: [(String, String)] = [
            ("openai", "gpt-4.1"), ("openai", "gpt-4o-mini"), ("anthropic", "claude-sonnet-4-5"),
            ("holysheep", "gpt-4.1"), ("holysheep", "claude-sonnet-4.5"), ("openai", "mystery-model"),
        ]
        let projects: [String?] = ["alpha", "beta", "search", nil]
        let users: [String?] = ["ann", "bob", nil]
        let tagSets: [[String]] = [[], ["batch"], ["batch", "eval"], ["eval"]]
        let start = ReportFixture.instant("2026-10-01T00:00:00Z").timeIntervalSince1970
        let span = now.timeIntervalSince1970 - 60 - start
        var entries: [LedgerEntry] = []
        for index in 0..<2_400 {
            let (provider, model) = models[Int.random(in: 0..<models.count, using: &generator)]
            // Whole milliseconds anywhere in the span: quarter-hour ends of every zone get rows.
            let date = Date(timeIntervalSince1970: (start + Double.random(in: 0..<span, using: &generator)).rounded(.down))
            let usage = Usage(
                input: Int64.random(in: 0..<60_000, using: &generator), cachedInput: Int64.random(in: 0..<4_000, using: &generator),
                output: Int64.random(in: 0..<6_000, using: &generator), reasoning: Int64.random(in: 0..<500, using: &generator)
            )
            entries.append(LedgerEntry(
                id: "row-\(index)", timestamp: date, provider: provider, modelRequested: model, endpoint: "/v1/chat/completions",
                streamed: index % 3 == 0, usage: usage, usageSource: index % 11 == 0 ? .estimated : .reported,
                pricing: book.charge(provider: provider, requestedModel: model, at: date, usage: usage),
                latencyMs: Int64(index % 900),
                attribution: Attribution(
                    project: projects[index % projects.count], user: users[index % users.count], tags: tagSets[index % tagSets.count]
                )
            ))
        }
        let seqs = try await ledger.append(contentsOf: entries)
        for (offset, seq) in seqs.prefix(40).enumerated() where offset % 4 == 0 {
            let original = entries[offset]
            try await ledger.append(LedgerEntry.adjustment(
                of: seq, timestamp: original.timestamp, provider: original.provider, model: original.modelRequested,
                cost: Money(nanoUSD: -1_234_567), listCost: Money(nanoUSD: 0), attribution: original.attribution
            ))
        }
        return entries.count + 10
    }

    static let commands: [[String]] = [
        ["report", "--month", "2026-11", "--tz", "UTC"],
        ["report", "--month", "2026-11", "--tz", "Asia/Kolkata", "--format", "json"],
        ["report", "--since", "2026-10-01", "--until", "2026-12-03", "--tz", "Asia/Ho_Chi_Minh", "--by", "model,project", "--format", "csv"],
        ["report", "--since", "2026-10-03T10:07:00Z", "--until", "2026-11-19T05:53:00Z", "--tz", "UTC", "--by", "provider"],
        ["report", "daily", "--month", "2026-11", "--tz", "Europe/Paris"],
        ["report", "daily", "--month", "2026-10", "--tz", "Asia/Kathmandu", "--format", "json"],
        ["report", "daily", "--month", "2026-11", "--tz", "UTC", "--chart"],
        ["report", "models", "--month", "2026-10", "--tz", "UTC", "--format", "csv"],
        ["report", "projects", "--since", "2026-10-15", "--until", "2026-11-20", "--tz", "Australia/Adelaide"],
        ["report", "users", "--month", "2026-11", "--tz", "America/New_York", "--by", "tag", "--format", "json"],
        ["report", "--month", "2026-11", "--tz", "UTC", "--by", "tag", "--project", "alpha"],
        ["report", "--month", "2026-11", "--tz", "Asia/Bangkok", "--by", "provider,model,user", "--provider", "openai", "--format", "csv"],
        ["report", "whatif", "--provider", "openai", "--month", "2026-11", "--tz", "UTC", "--format", "json"],
        ["budget", "check", "--limit", "5", "--tz", "UTC"],
        ["budget", "check", "--limit", "100000", "--period", "day", "--forecast", "--project", "beta", "--tz", "Asia/Kolkata"],
        ["ledger", "export", "--format", "csv"],
        ["ledger", "export", "--format", "jsonl", "--since", "2026-11-01T00:00:00Z", "--until", "2026-11-15T00:00:00Z"],
        ["ledger", "verify"],
        ["ledger", "reprice", "--dry-run", "--month", "2026-11", "--tz", "UTC", "--format", "json"],
    ]

    @Test func everyReadingCommandPrintsTheSameBytesFromAFileAndFromPostgreSQL() async throws {
        let folder = try TallyProcess.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appending(path: "ledger.sqlite").path
        let rows = try await Self.writeLedger(file, now: Date())
        let (server, url) = try PostgresServer.sharedDatabase()
        let shown = try LedgerLocation(url, environment: [:]).description
        #expect(!shown.contains(server.password))

        let copied = try TallyProcess.run(["ledger", "copy", file, url])
        #expect(copied.status == 0, "\(copied.stderr)")
        #expect(copied.stdout.hasPrefix("\(shown): copied \(rows) row(s), 0 already there; \(rows) row(s) in 3 month(s) match \(file)"), "\(copied.stdout)")

        for command in Self.commands {
            let fromFile = try TallyProcess.run(command + ["--ledger", file])
            let fromServer = try TallyProcess.run(command + ["--ledger", url])
            #expect(fromFile.status == fromServer.status, "\(command)")
            #expect(!fromFile.stdout.isEmpty, "\(command): \(fromFile.stderr)")
            #expect(
                fromServer.stdout.replacingOccurrences(of: shown, with: "LEDGER") == fromFile.stdout.replacingOccurrences(of: file, with: "LEDGER"),
                "\(command): \(fromServer.stderr)"
            )
            #expect(fromServer.stderr.replacingOccurrences(of: shown, with: "LEDGER") == fromFile.stderr.replacingOccurrences(of: file, with: "LEDGER"), "\(command)")
            #expect(!fromServer.stdout.contains(server.password) && !fromServer.stderr.contains(server.password))
        }

        // Back to a new file: the same rows, under the same numbers; a second run copies nothing.
        let back = folder.appending(path: "back.sqlite").path
        let home = try TallyProcess.run(["ledger", "copy", url, back])
        #expect(home.status == 0, "\(home.stderr)")
        #expect(home.stdout.hasPrefix("\(back): copied \(rows) row(s), 0 already there; "), "\(home.stdout)")
        let again = try TallyProcess.run(["ledger", "copy", url, back])
        #expect(again.stdout.hasPrefix("\(back): copied 0 row(s), \(rows) already there; "), "\(again.stdout)")
        let original = try TallyProcess.run(["ledger", "export", "--format", "jsonl", "--ledger", file])
        let returned = try TallyProcess.run(["ledger", "export", "--format", "jsonl", "--ledger", back])
        #expect(returned.stdout == original.stdout)
        #expect(original.stdout.split(separator: "\n").count == rows)
        #expect(try TallyProcess.run(["ledger", "verify", "--ledger", back]).status == 0)

        // A target holding other rows is refused, and left as it was.
        let other = folder.appending(path: "other.sqlite").path
        let otherLedger = try Ledger(path: other)
        try await otherLedger.append(LedgerEntry(
            id: "stranger", timestamp: Date(), provider: "openai", modelRequested: "gpt-4.1", endpoint: "/v1/chat/completions",
            usage: Usage(input: 1), pricing: nil
        ))
        let refused = try TallyProcess.run(["ledger", "copy", url, other])
        #expect(refused.status == 65, "\(refused.stderr)")
        #expect(refused.stderr.contains("copy into an empty"), "\(refused.stderr)")
        #expect(try await LedgerReader(path: other).entries().map(\.entry.id) == ["stranger"])
        let same = try TallyProcess.run(["ledger", "copy", url, url])
        #expect(same.status == 64)
    }
}
