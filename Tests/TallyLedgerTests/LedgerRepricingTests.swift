import Foundation
import Testing
import TallyPricing
@testable import TallyLedger
import TallyUsage
import TallyTestSupport

struct LedgerRepricingTests {
    func table(_ input: String, _ output: String) throws -> PriceBook {
        let json = """
            { "provider": "acme", "kind": "official", "source": "test",
              "models": { "m": { "prices": [{ "input": "\(input)", "output": "\(output)" }] } } }
            """
        return try PriceBook(includingBundled: false, userTables: [PriceBook.Source(origin: "acme.json", bytes: Array(json.utf8))])
    }

    @Test(arguments: LedgerBackend.allCases)
    func appendsAdjustmentsThatBringTotalsToTheNewPricesAndOnlyOnce(_ backend: LedgerBackend) async throws {
        let fresh = try FreshLedger(backend)
        defer { fresh.remove() }
        try await withLedger(fresh) { ledger in
            let old = try table("1.00", "2.00")
            let new = try table("1.50", "2.00")
            let start = Date(timeIntervalSince1970: 1_780_000_000)
            var usages: [Usage] = []
            for index in 0..<25 {
                let usage = Usage(input: Int64(1000 * (index + 1)), output: Int64(7 * index))
                usages.append(usage)
                let date = start.addingTimeInterval(Double(index) * 3600)
                try await ledger.append(LedgerEntry(
                    timestamp: date, provider: "acme", modelRequested: "m", endpoint: "/v1/chat/completions",
                    usage: usage, pricing: old.charge(provider: "acme", requestedModel: "m", at: date, usage: usage)
                ))
            }
            let range = start..<start.addingTimeInterval(30 * 3600)
            let before = try await ledger.reader.summary(range: range)

            let dry = try await ledger.reprice(range: range, prices: new, dryRun: true)
            #expect(dry.changed == 25)
            #expect(dry.appended == 0)
            #expect(try await ledger.reader.summary(range: range) == before)

            let first = try await ledger.reprice(range: range, prices: new, batchSize: 10)
            #expect(first.examined == 25)
            #expect(first.appended == 25)
            // The total is now exactly a direct pricing of every request under the new table.
            let direct = usages.enumerated().reduce(Money.zero) { sum, item in
                sum + (new.charge(provider: "acme", requestedModel: "m", at: start.addingTimeInterval(Double(item.offset) * 3600), usage: item.element).charge?.cost ?? .zero)
            }
            let after = try await ledger.reader.summary(range: range)
            #expect(after.total.cost == direct)
            #expect(after.total.cost - before.total.cost == first.costDelta)
            #expect(after.total.requests == 25)
            #expect(after.total.adjustments == 25)
            // Tokens are not counted twice.
            #expect(after.total.usage == before.total.usage)

            let second = try await ledger.reprice(range: range, prices: new)
            #expect(second.changed == 0)
            #expect(second.appended == 0)
            #expect(try await ledger.reader.verify().isConsistent)

            // Back to the old prices: one more adjustment per row, and the totals return.
            let back = try await ledger.reprice(range: range, prices: old)
            #expect(back.appended == 25)
            #expect(try await ledger.reader.summary(range: range).total.cost == before.total.cost)
        }
    }

    @Test(arguments: LedgerBackend.allCases)
    func leavesRowsTheNewTablesCannotPrice(_ backend: LedgerBackend) async throws {
        let fresh = try FreshLedger(backend)
        defer { fresh.remove() }
        try await withLedger(fresh) { ledger in
            let date = Date(timeIntervalSince1970: 1_780_000_000)
            try await ledger.append(LedgerEntry(
                timestamp: date, provider: "other", modelRequested: "x", endpoint: "/v1/chat/completions",
                usage: Usage(input: 10), pricing: nil
            ))
            let summary = try await ledger.reprice(range: date..<date.addingTimeInterval(1), prices: try table("1", "1"))
            #expect(summary.unpriced == 1)
            #expect(summary.appended == 0)
        }
    }
}
