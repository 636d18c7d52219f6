import TallyDemo
import Foundation
import TallyLedger
import TallyPricing
import TallyTestSupport
import TallyUsage

/// Deterministic synthetic ledger rows of a realistic shape: a dozen providers (officials and
/// relays), 40 models, 30 projects, 200 users belonging to projects, a few tags, skewed so a
/// few models, projects and users carry most of the traffic, spread evenly over a year.
struct SyntheticLedger {
    private var generator: SeededGenerator
    let start: Date
    let span: TimeInterval

    static let providers = ["openai", "anthropic", "google", "deepseek", "mistral", "xai",
                            "relay-a", "relay-b", "relay-c", "relay-d", "openrouter", "together"]
    static let models: [(provider: Int, name: String, inputNano: Int64, outputNano: Int64)] = (0..<40).map { index in
        let provider = index % providers.count
        return (provider, "model-\(index)", Int64(100 + (index * 37) % 2900), Int64(400 + (index * 91) % 14600))
    }
    static let projects = (0..<30).map { "project-\($0)" }
    static let users = (0..<200).map { "user-\($0)" }
    static let tags = ["batch", "eval", "chat", "agent", "prod", "staging"]

    init(seed: UInt64 = 42, start: Date = Date(timeIntervalSince1970: 1_735_689_600), span: TimeInterval = 365 * 86_400) {
        self.generator = SeededGenerator(seed: seed)
        self.start = start
        self.span = span
    }

    mutating func next() -> UInt64 { generator.next() }

    /// An index below `count`, skewed towards 0.
    mutating func skewed(_ count: Int) -> Int {
        let u = Double(next() >> 11) / Double(1 << 53)
        return min(count - 1, Int(u * u * u * Double(count)))
    }

    mutating func uniform(_ count: Int) -> Int { Int(next() % UInt64(count)) }

    /// Row `index` of `total`, at its place in the year.
    mutating func entry(_ index: Int, of total: Int) -> LedgerEntry {
        let model = Self.models[skewed(Self.models.count)]
        let user = skewed(Self.users.count)
        let project = user % Self.projects.count
        let input = Int64(50 + uniform(8000))
        let cached = uniform(3) == 0 ? Int64(uniform(4000)) : 0
        let output = Int64(20 + uniform(1500))
        let reasoning = uniform(5) == 0 ? Int64(uniform(2000)) : 0
        let usage = Usage(input: input, cachedInput: cached, output: output, reasoning: reasoning)
        let offset = span * Double(index) / Double(max(total, 1))
        var tags: [String] = []
        if uniform(3) == 0 { tags.append(Self.tags[uniform(Self.tags.count)]) }
        var entry = LedgerEntry(
            id: "req-\(index)",
            timestamp: start.addingTimeInterval(offset),
            provider: Self.providers[model.provider],
            modelRequested: model.name,
            modelReturned: model.name + "-2025",
            endpoint: "chat/completions",
            streamed: uniform(2) == 0,
            httpStatus: 200,
            usage: usage,
            pricing: nil,
            latencyMs: Int64(200 + uniform(5000)),
            firstTokenMs: Int64(100 + uniform(800)),
            attribution: Attribution(project: Self.projects[project], user: Self.users[user], tags: tags)
        )
        if uniform(50) != 0 {
            let cost = input * model.inputNano + cached * model.inputNano / 4 + (output + reasoning) * model.outputNano
            entry.cost = Money(nanoUSD: cost / 1000)
            entry.priceEntry = PriceEntryRef(provider: entry.provider, table: "relays/\(entry.provider).json", model: model.name, from: "2025-01-01")
            if uniform(10) != 0 {
                entry.listCost = Money(nanoUSD: cost * 7 / 5000)
                entry.listPriceEntry = PriceEntryRef(provider: "openai", table: "official/openai.json", model: model.name, from: "2025-01-01")
            }
        }
        // One row in 4,999 as a broken upstream reports it, with the saturated cost older Tallies wrote:
        // rollups and reports must leave it out of every sum.
        if index % 4_999 == 4_998 {
            entry.usage.output = 1_000_000_000_000_000
            entry.cost = Money(nanoUSD: .max)
            entry.listCost = Money(nanoUSD: .max)
        }
        return entry
    }
}
