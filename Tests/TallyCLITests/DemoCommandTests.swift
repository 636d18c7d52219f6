import Foundation
import Testing

struct DemoCommandTests {
    @Test func theDemoMetersSimulatedTrafficIntoAFreshLedgerAndPrintsTheMonthsSavings() throws {
        let folder = try TallyProcess.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let ledger = folder.appending(path: "demo.sqlite").path
        let result = try TallyProcess.run(["demo", "--ledger", ledger])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Simulated provider on http://127.0.0.1:"))
        #expect(result.stdout.contains("Sent 40 requests"))
        #expect(result.stdout.contains("Ledger rows: 36 ok, 3 error, 1 cancelled."))
        for model in ["gpt-4.1", "claude-sonnet-4.5", "deepseek-v3.2", "gpt-4.1-mini"] {
            #expect(result.stdout.contains(model))
        }
        #expect(result.stdout.contains("saved ("))

        // The demo's columns mean what the report's do: the same input and cached totals.
        let total = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("total ") })
        let cells = total.split(separator: " ").map(String.init)
        let report = try TallyProcess.run(["report", "--tz", "UTC", "--ledger", ledger, "--format", "json"])
        let object = try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any]
        let tokens = try #require((object?["total"] as? [String: Any])?["tokens"] as? [String: Any])
        #expect(cells.count == 9, "\(total)")
        #expect(cells.dropFirst(2).first == (tokens["input"] as? Int).map { MoneyFormatTests.grouped($0) })
        #expect(cells.dropFirst(3).first == (tokens["cached_input"] as? Int).map { MoneyFormatTests.grouped($0) })

        let info = try TallyProcess.run(["ledger", "info", "--ledger", ledger, "--format", "json"])
        #expect(info.stdout.contains(#""rows":40"#))
        #expect(info.stdout.contains(#""in_flight":0"#))

        let again = try TallyProcess.run(["demo", "--ledger", ledger])
        #expect(again.status == 64)
        #expect(again.stderr.contains("already exists"))
    }
}
