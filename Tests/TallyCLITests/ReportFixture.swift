import Foundation
import TallyLedger
import TallyPricing
import TallyUsage

/// A ledger with a fixed month of requests, priced by the bundled tables, for report tests.
struct ReportFixture {
    let folder: URL
    let path: String
    let entries: [LedgerEntry]

    static func instant(_ text: String) -> Date {
        ISO8601DateFormatter().date(from: text) ?? Date(timeIntervalSince1970: 0)
    }

    /// (time, provider, model, usage, project, user, source)
    static let requests: [(String, String, String, Usage, String?, String?, LedgerEntry.UsageSource)] = [
        ("2026-11-03T10:00:00Z", "holysheep", "gpt-4.1", Usage(input: 1_000_000, output: 100_000), "alpha", "ann", .reported),
        ("2026-11-03T12:00:00Z", "openai", "gpt-4.1", Usage(input: 500_000, cachedInput: 500_000, output: 50_000), "beta", "bob", .reported),
        ("2026-11-10T08:00:00Z", "anthropic", "claude-sonnet-4-5", Usage(input: 100_000, output: 10_000), "alpha", "ann", .reported),
        ("2026-11-15T09:00:00Z", "openai", "mystery-model", Usage(input: 1_000), "beta", nil, .reported),
        ("2026-11-20T09:00:00Z", "openai", "gpt-4.1", Usage(input: 1_000), "beta", "bob", .estimated),
        // 23:30 UTC on the month's last day: already December in UTC+7.
        ("2026-11-30T23:30:00Z", "holysheep", "claude-sonnet-4.5", Usage(input: 10_000, output: 1_000), "beta", nil, .reported),
    ]

    init(requests: [(String, String, String, Usage, String?, String?, LedgerEntry.UsageSource)] = Self.requests) async throws {
        folder = try TallyProcess.temporaryFolder()
        path = folder.appending(path: "ledger.sqlite").path
        let book = try PriceBook()
        let ledger = try Ledger(path: path)
        var entries: [LedgerEntry] = []
        for (time, provider, model, usage, project, user, source) in requests {
            let date = Self.instant(time)
            let entry = LedgerEntry(
                timestamp: date, provider: provider, modelRequested: model, endpoint: "/v1/chat/completions",
                usage: usage, usageSource: source, pricing: book.charge(provider: provider, requestedModel: model, at: date, usage: usage),
                attribution: Attribution(project: project, user: user)
            )
            try await ledger.append(entry)
            entries.append(entry)
        }
        self.entries = entries
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }
}
