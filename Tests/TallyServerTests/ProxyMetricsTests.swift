import Foundation
import Testing
import TallyLedger
import TallyPricing
@testable import TallyServer
import TallyUsage

struct ProxyMetricsTests {
    func row(_ usage: Usage, cost: Int64?) -> LedgerEntry {
        var entry = LedgerEntry(timestamp: Date(), provider: "openai", modelRequested: "gpt-4.1", endpoint: "chat/completions", usage: usage, pricing: nil)
        entry.cost = cost.map(Money.init(nanoUSD:))
        entry.listCost = cost.map(Money.init(nanoUSD:))
        return entry
    }

    /// The value of the one sample line starting with `prefix`, or nil.
    func sample(_ text: String, _ prefix: String) -> String? {
        text.split(separator: "\n").first { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
    }

    @Test func countersSaturateInsteadOfWrappingOnAbsurdAmounts() {
        let metrics = ProxyMetrics()
        let absurd = Usage(input: 1_000_000_000_000_000, cacheWrite: .max, cacheWrite1h: .max, output: .max)
        metrics.record(row(absurd, cost: .max))
        metrics.record(row(absurd, cost: .max))
        metrics.record(row(Usage(input: 5, output: 5), cost: 7))
        let text = String(decoding: metrics.render(), as: UTF8.self)
        let labels = #"{provider="openai",model="gpt-4.1""#
        #expect(sample(text, "tally_tokens_total\(labels),class=\"output\"} ") == "9223372036854775807")
        #expect(sample(text, "tally_tokens_total\(labels),class=\"cache_write\"} ") == "9223372036854775807")
        #expect(sample(text, "tally_tokens_total\(labels),class=\"input\"} ") == "2000000000000005")
        #expect(sample(text, "tally_cost_nano_usd_total\(labels)} ") == "9223372036854775807")
        #expect(sample(text, "tally_list_cost_nano_usd_total\(labels)} ") == "9223372036854775807")
        #expect(sample(text, "tally_requests_total\(labels),outcome=\"ok\"} ") == "3")
    }

    @Test func negativeAmountsNeverLowerACounter() {
        let metrics = ProxyMetrics()
        metrics.record(row(Usage(input: 1000, cacheWrite: 50, cacheWrite1h: 10, output: 10), cost: 500))
        metrics.record(row(Usage(input: -1000, cacheWrite: 20, cacheWrite1h: -30, output: -5), cost: -2_040_000))
        let text = String(decoding: metrics.render(), as: UTF8.self)
        let labels = #"{provider="openai",model="gpt-4.1""#
        #expect(sample(text, "tally_tokens_total\(labels),class=\"input\"} ") == "1000")
        #expect(sample(text, "tally_tokens_total\(labels),class=\"output\"} ") == "10")
        #expect(sample(text, "tally_tokens_total\(labels),class=\"cache_write\"} ") == "80")
        #expect(sample(text, "tally_cost_nano_usd_total\(labels)} ") == "500")
    }
}
