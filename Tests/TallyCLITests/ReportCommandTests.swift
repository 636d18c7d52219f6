import Foundation
import Testing
import TallyLedger
import TallyPricing
import TallyUsage

struct ReportCommandTests {
    @Test func rowsWithAbsurdCountsNeitherTrapNorCountInAnyReportBudgetOrWhatIf() async throws {
        let folder = try TallyProcess.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appending(path: "ledger.sqlite").path
        let ledger = try Ledger(path: path)
        let book = try PriceBook()
        let date = Date()  // this month, which `budget check` reads
        // Two rows as an older Tally wrote them for an upstream reporting 10^15 tokens (the saturated
        // cost), one with negative counts, and one ordinary request.
        for usage in [Usage(input: 1_000_000_000_000_000, output: 1_000_000_000_000_000), Usage(input: 1_000_000_000_000_000), Usage(input: -1_000, output: -5)] {
            var entry = LedgerEntry(timestamp: date, provider: "openai", modelRequested: "gpt-4.1", endpoint: "/v1/chat/completions", usage: usage, pricing: nil)
            entry.cost = Money(nanoUSD: usage.input < 0 ? -2_040_000 : .max)
            entry.listCost = entry.cost
            try await ledger.append(entry)
        }
        let usage = Usage(input: 1_000_000, output: 100_000)
        try await ledger.append(LedgerEntry(
            timestamp: date, provider: "openai", modelRequested: "gpt-4.1", endpoint: "/v1/chat/completions",
            usage: usage, pricing: book.charge(provider: "openai", requestedModel: "gpt-4.1", at: date, usage: usage)
        ))
        let report = try TallyProcess.run(["report", "--tz", "UTC", "--ledger", path, "--format", "json"])
        #expect(report.status == 0, "\(report.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
        let total = try #require(json["total"] as? [String: Any])
        // 1M × $2 + 100k × $8 per million tokens.
        #expect((total["cost"] as? [String: Any])?["usd"] as? String == "2.80")
        #expect(total["requests"] as? Int == 4)
        #expect(total["implausible_rows"] as? Int == 3)
        #expect((total["tokens"] as? [String: Any])?["input"] as? Int == 1_000_000)
        let table = try TallyProcess.run(["report", "--tz", "UTC", "--ledger", path])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("3 of the unpriced rows report a token count below 0 or above 1,000,000,000"))
        let budget = try TallyProcess.run(["budget", "check", "--limit", "100", "--period", "month", "--tz", "UTC", "--ledger", path])
        #expect(budget.status == 0, "\(budget.stdout)\(budget.stderr)")
        #expect(budget.stdout.contains("$2.80"), "\(budget.stdout)")
        let whatIf = try TallyProcess.run(["report", "whatif", "--provider", "holysheep", "--tz", "UTC", "--ledger", path, "--format", "json"])
        #expect(whatIf.status == 0, "\(whatIf.stderr)")
        #expect(try TallyProcess.run(["ledger", "verify", "--ledger", path]).status == 0)
    }

    @Test func writesTheGoldenCSVByModel() async throws {
        let fixture = try await ReportFixture()
        defer { fixture.remove() }
        let result = try TallyProcess.run(["report", "models", "--month", "2026-11", "--tz", "UTC", "--ledger", fixture.path, "--format", "csv"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == """
            model,requests,adjustments,input,cached_input,cache_write,cache_write_1h,output,reasoning,cost_usd,list_cost_usd,savings_usd,savings_percent,estimated_rows,unpriced_rows
            claude-sonnet-4-5,1,0,100000,0,0,0,10000,0,0.45,0.45,0.00,0.0,0,0
            claude-sonnet-4.5,1,0,10000,0,0,0,1000,0,0.006327,0.045,0.038673,85.9,0,0
            gpt-4.1,3,0,1501000,500000,0,0,150000,0,2.04568,4.452,2.40632,54.1,1,0
            mystery-model,1,0,1000,0,0,0,0,0,,,,,0,1
            TOTAL,6,0,1612000,500000,0,0,161000,0,2.502007,4.947,2.444993,49.4,1,1

            """)
    }

    @Test func totalsEqualAnIndependentRecountOfTheRows() async throws {
        let fixture = try await ReportFixture()
        defer { fixture.remove() }
        let result = try TallyProcess.run(["report", "--month", "2026-11", "--tz", "UTC", "--ledger", fixture.path, "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let total = try #require(json["total"] as? [String: Any])
        let cost = fixture.entries.compactMap(\.cost).reduce(Money.zero, +)
        let listed = fixture.entries.filter { $0.listCost != nil }
        let list = listed.compactMap(\.listCost).reduce(Money.zero, +)
        let listedCost = listed.compactMap(\.cost).reduce(Money.zero, +)
        #expect((total["cost"] as? [String: Any])?["nano_usd"] as? Int64 == cost.nanoUSD)
        #expect((total["list_cost"] as? [String: Any])?["nano_usd"] as? Int64 == list.nanoUSD)
        #expect((total["savings"] as? [String: Any])?["nano_usd"] as? Int64 == (list - listedCost).nanoUSD)
        #expect(total["requests"] as? Int == fixture.entries.count)
        #expect((total["tokens"] as? [String: Any])?["input"] as? Int64 == fixture.entries.reduce(0) { $0 + $1.usage.input })
        #expect((json["unpriced_models"] as? [[String: Any]])?.first?["model"] as? String == "mystery-model")
        #expect(json["group_by"] as? [String] == ["month"])
    }

    @Test func takesMonthBoundariesInTheAskedTimeZone() async throws {
        let fixture = try await ReportFixture()
        defer { fixture.remove() }
        func requests(_ month: String, _ zone: String) throws -> Int? {
            let result = try TallyProcess.run(["report", "--month", month, "--tz", zone, "--ledger", fixture.path, "--format", "json"])
            let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            return (json?["total"] as? [String: Any])?["requests"] as? Int
        }
        #expect(try requests("2026-11", "UTC") == 6)
        #expect(try requests("2026-11", "Asia/Bangkok") == 5)
        #expect(try requests("2026-12", "Asia/Bangkok") == 1)
        #expect(try requests("2026-12", "UTC") == 0)
    }

    @Test func printsATableWithUnknownCostsAndFootnotes() async throws {
        let fixture = try await ReportFixture()
        defer { fixture.remove() }
        let result = try TallyProcess.run(["report", "models", "--month", "2026-11", "--tz", "UTC", "--ledger", fixture.path, "--by", "project"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "Period 2026-11 (UTC)")
        #expect(lines.contains { $0.hasPrefix("mystery-model") && $0.contains("unknown") && !$0.contains("$0.00") })
        #expect(lines.contains { $0.hasPrefix("claude-sonnet-4.5") && $0.contains("$0.0063") && $0.contains("85.9%") })
        #expect(lines.contains { $0.hasPrefix("TOTAL") && $0.contains("$2.50*") && $0.contains("$4.95") })
        #expect(lines.contains("* 1 unpriced rows, cost unknown and not included: openai/mystery-model (1). Add their prices with --pricing or fix the model names."))
        #expect(lines.contains("1 rows have estimated usage (the provider reported none; counted by the tokenizer)."))
        #expect(!result.stdout.contains("\u{1B}["))  // not a terminal: no colour
    }

    @Test func drawsADailyChart() async throws {
        let fixture = try await ReportFixture()
        defer { fixture.remove() }
        let result = try TallyProcess.run(["report", "daily", "--chart", "--month", "2026-11", "--tz", "UTC", "--ledger", fixture.path])
        #expect(result.status == 0, "\(result.stderr)")
        let day3 = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("2026-11-03") })
        // The list cost of the 3rd ($4.45) is the chart's largest bar: 40 blocks.
        #expect(day3.contains(String(repeating: "█", count: 40)))
        #expect(day3.contains("$2.04"))
    }

    @Test func repricesTheMonthUnderAnotherProvider() async throws {
        let fixture = try await ReportFixture()
        defer { fixture.remove() }
        let result = try TallyProcess.run(["report", "whatif", "--provider", "holysheep", "--month", "2026-11", "--tz", "UTC", "--ledger", fixture.path, "--format", "csv"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        // openai gpt-4.1: (1,651,000 → 0.5M in, 0.5M cached, 50k out) + 1k in: $1.652 at openai,
        // the same tokens at holysheep × 0.1406 = $0.2322712.
        #expect(lines.contains("openai,gpt-4.1,gpt-4.1,2,1.652,0,0.2322712,-1.4197288"))
        // Anthropic's claude-sonnet-4-5 is the official model of holysheep's claude-sonnet-4.5: $0.45 × 0.1406.
        #expect(lines.contains("anthropic,claude-sonnet-4-5,claude-sonnet-4.5,1,0.45,0,0.06327,-0.38673"))
        #expect(lines.contains("openai,mystery-model,,1,0.00,1,,"))
    }

    @Test func refusesBadPeriodsAndFormats() async throws {
        let fixture = try await ReportFixture()
        defer { fixture.remove() }
        for (arguments, status) in [
            (["--month", "2026-13"], Int32(64)), (["--since", "2026-11-05", "--until", "2026-11-01"], 64),
            (["--tz", "Nowhere/City"], 64), (["--format", "yaml"], 64), (["--by", "colour"], 64),
        ] {
            let result = try TallyProcess.run(["report"] + arguments + ["--ledger", fixture.path])
            #expect(result.status == status, "\(arguments): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count >= 1)
        }
        let missing = try TallyProcess.run(["report", "--ledger", fixture.folder.appending(path: "none.sqlite").path])
        #expect(missing.status == 74)
    }

    @Test func reportsAnEmptyLedgerAsZeros() async throws {
        let fixture = try await ReportFixture(requests: [])
        defer { fixture.remove() }
        let result = try TallyProcess.run(["report", "--month", "2026-11", "--tz", "UTC", "--ledger", fixture.path, "--format", "csv"])
        #expect(result.status == 0)
        // An empty period has zero of everything: list cost and savings too, not unknown.
        #expect(result.stdout.hasSuffix("TOTAL,0,0,0,0,0,0,0,0,0.00,0.00,0.00,,0,0\n"))
    }
}

struct BudgetCheckCommandTests {
    /// A ledger with $4.50 spent now (a prompt under claude-sonnet-4-5's 200k tier: $0.45 in, $4.05 out).
    func ledgerSpendingNow() async throws -> ReportFixture {
        let now = ISO8601DateFormatter().string(from: Date())
        return try await ReportFixture(requests: [
            (now, "anthropic", "claude-sonnet-4-5", Usage(input: 150_000, output: 270_000), "alpha", nil, .reported),
        ])
    }

    @Test func answersWithTheMonitoringPluginConvention() async throws {
        let fixture = try await ledgerSpendingNow()
        defer { fixture.remove() }
        let ok = try TallyProcess.run(["budget", "check", "--limit", "10", "--tz", "UTC", "--ledger", fixture.path])
        #expect(ok.status == 0)
        #expect(ok.stdout == "TALLY OK - month spend $4.50 of $10.00 (45.0%) | spend=4.50;8.00;10.00;0\n")
        let warning = try TallyProcess.run(["budget", "check", "--limit", "5", "--tz", "UTC", "--ledger", fixture.path])
        #expect(warning.status == 1)
        #expect(warning.stdout == "TALLY WARNING - month spend $4.50 of $5.00 (90.0%) | spend=4.50;4.00;5.00;0\n")
        let critical = try TallyProcess.run(["budget", "check", "--limit", "4", "--period", "day", "--tz", "UTC", "--ledger", fixture.path])
        #expect(critical.status == 2)
        #expect(critical.stdout.hasPrefix("TALLY CRITICAL - day spend $4.50 of $4.00 (112.5%)"))
        let otherProject = try TallyProcess.run(["budget", "check", "--limit", "4", "--project", "beta", "--tz", "UTC", "--ledger", fixture.path])
        #expect(otherProject.status == 0)
    }

    @Test func checksManyBudgetsAndTheWorstWins() async throws {
        let fixture = try await ledgerSpendingNow()
        defer { fixture.remove() }
        let config = fixture.folder.appending(path: "budgets.json")
        try Data("""
            { "budgets": [ { "name": "all", "limit": "100" }, { "name": "alpha", "limit": "4", "project": "alpha" },
                           { "name": "beta", "limit": "1", "project": "beta" } ] }
            """.utf8).write(to: config)
        let result = try TallyProcess.run(["budget", "check", "--config", config.path, "--tz", "UTC", "--ledger", fixture.path])
        #expect(result.status == 2)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "TALLY CRITICAL - 3 budgets: 1 critical, 2 ok | all=4.50;80.00;100.00;0 alpha=4.50;3.20;4.00;0 beta=0.00;0.80;1.00;0")
        #expect(lines.dropFirst().first == "CRITICAL: alpha: project alpha month spend $4.50 of $4.00 (112.5%)")
    }

    @Test func answersUnknownForEverythingItCannotCheck() async throws {
        let fixture = try await ledgerSpendingNow()
        defer { fixture.remove() }
        let bad = fixture.folder.appending(path: "bad.json")
        try Data(#"{ "budgets": [ { "name": "x", "limit": "lots" } ] }"#.utf8).write(to: bad)
        for arguments in [
            ["--limit", "10", "--ledger", fixture.folder.appending(path: "none.sqlite").path],
            ["--limit", "-5", "--ledger", fixture.path],
            ["--limit", "10", "--warn", "150", "--ledger", fixture.path],
            ["--limit", "10", "--no-such-flag", "--ledger", fixture.path],
            ["--config", bad.path, "--ledger", fixture.path],
            ["--limit", "10", "--tz", "Nowhere/City", "--ledger", fixture.path],
        ] {
            let result = try TallyProcess.run(["budget", "check"] + arguments)
            #expect(result.status == 3, "\(arguments)")
            #expect(result.stdout.hasPrefix("TALLY UNKNOWN - "), "\(arguments): \(result.stdout)")
            #expect(result.stdout.split(separator: "\n").count == 1)
        }
    }
}

struct LedgerRepriceCommandTests {
    @Test func correctsAMonthAfterAPriceChangeWithAdjustmentsOnlyOnce() async throws {
        let fixture = try await ReportFixture()
        defer { fixture.remove() }
        // The relay raises its credit price from 0.1406 to 0.15 USD.
        let rate = fixture.folder.appending(path: "rate.json")
        try Data(#"{ "provider": "holysheep", "kind": "relay", "source": "t", "billing": { "credit_usd": "0.15" }, "models": {} }"#.utf8).write(to: rate)
        let common = ["--month", "2026-11", "--tz", "UTC", "--ledger", fixture.path]
        let before = try TallyProcess.run(["report", "models", "--format", "csv"] + common)
        #expect(before.stdout.contains("\nclaude-sonnet-4.5,1,0,10000,0,0,0,1000,0,0.006327,"))

        let dry = try TallyProcess.run(["ledger", "reprice", "--dry-run", "--pricing", rate.path, "--format", "json"] + common)
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("\"appended\" : 0"))
        #expect(dry.stdout.contains("\"changed\" : 2"))

        let first = try TallyProcess.run(["ledger", "reprice", "--pricing", rate.path] + common)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.hasPrefix("6 requests examined, 2 priced differently, 2 adjustment rows appended."))

        let after = try TallyProcess.run(["report", "models", "--format", "csv"] + common)
        // 0.045 credits × $0.15; the row and its adjustment together.
        #expect(after.stdout.contains("\nclaude-sonnet-4.5,1,1,10000,0,0,0,1000,0,0.00675,"))
        #expect(after.stdout.contains("\ngpt-4.1,3,1,1501000,500000,0,0,150000,0,2.072,"))

        let second = try TallyProcess.run(["ledger", "reprice", "--pricing", rate.path] + common)
        #expect(second.stdout.hasPrefix("6 requests examined, 0 priced differently, 0 adjustment rows appended."))
        let verify = try TallyProcess.run(["ledger", "verify", "--ledger", fixture.path])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
    }

    @Test func acceptsTheTimestampsLedgerExportWritesAsSinceAndUntil() async throws {
        let fixture = try await ReportFixture()
        defer { fixture.remove() }
        // Rows at 10:00 and 12:00 on the 3rd; the export's form, with milliseconds.
        let result = try TallyProcess.run([
            "report", "--since", "2026-11-03T10:00:00.000Z", "--until", "2026-11-03T11:59:59.999Z", "--tz", "UTC",
            "--ledger", fixture.path, "--format", "json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect((json?["total"] as? [String: Any])?["requests"] as? Int == 1)
    }

    @Test func anUnsetUserIsNullInJSONAndEmptyInCSVButNoneInTables() async throws {
        let fixture = try await ReportFixture()
        defer { fixture.remove() }
        let common = ["report", "users", "--month", "2026-11", "--tz", "UTC", "--ledger", fixture.path]
        let json = try TallyProcess.run(common + ["--format", "json"])
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let groups = try #require((object["rows"] as? [[String: Any]])?.compactMap { $0["group"] as? [String: Any] })
        #expect(groups.contains { $0["user"] is NSNull })
        #expect(!json.stdout.contains("(none)"))
        let csv = try TallyProcess.run(common + ["--format", "csv"])
        #expect(csv.stdout.split(separator: "\n").contains { $0.hasPrefix(",2,0,") })
        #expect(!csv.stdout.contains("(none)"))
        let table = try TallyProcess.run(common)
        #expect(table.stdout.split(separator: "\n").contains { $0.hasPrefix("(none)") })
    }

    @Test func whatIfJSONAndCSVHaveThePeriodAndATotalLikeEveryReport() async throws {
        let fixture = try await ReportFixture()
        defer { fixture.remove() }
        let common = ["report", "whatif", "--provider", "openai", "--month", "2026-11", "--tz", "UTC", "--ledger", fixture.path]
        let json = try TallyProcess.run(common + ["--format", "json"])
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect((object["period"] as? [String: Any])?["label"] as? String == "2026-11")
        #expect(object["provider"] as? String == "openai")
        #expect((object["rows"] as? [[String: Any]])?.isEmpty == false)
        let total = try #require(object["total"] as? [String: Any])
        #expect(total["requests"] as? Int == 6)
        // mystery-model is not sold at a known price: the what-if total is unknown, not a partial sum.
        #expect(total["whatif_cost"] is NSNull)
        let csv = try TallyProcess.run(common + ["--format", "csv"])
        #expect(csv.stdout.split(separator: "\n").last?.hasPrefix("TOTAL,,,6,2.502007,1,") == true)
    }

    @Test func anEmptyPeriodHasZeroOfEverythingNotUnknown() async throws {
        let fixture = try await ReportFixture()
        defer { fixture.remove() }
        let common = ["report", "--month", "2025-01", "--tz", "UTC", "--ledger", fixture.path]
        let table = try TallyProcess.run(common)
        #expect(table.status == 0, "\(table.stderr)")
        #expect(!table.stdout.contains("unknown"), "\(table.stdout)")
        #expect(table.stdout.contains("No requests in this period."))
        let json = try TallyProcess.run(common + ["--format", "json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let total = try #require(object?["total"] as? [String: Any])
        for field in ["cost", "list_cost", "savings"] {
            #expect((total[field] as? [String: Any])?["usd"] as? String == "0.00", "\(field)")
        }
        let csv = try TallyProcess.run(common + ["--format", "csv"])
        #expect(csv.stdout.split(separator: "\n").last?.hasSuffix(",0.00,0.00,0.00,,0,0") == true, "\(csv.stdout)")
    }
}
