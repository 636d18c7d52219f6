import Foundation
import GRDB
import Testing
import TallyLedger
import TallyPricing
import TallyUsage
import TallyTestSupport

struct LedgerReaderTests {
    let bangkok = TimeZone(secondsFromGMT: 7 * 3_600)!
    let newYork = TimeZone(identifier: "America/New_York")!

    @Test(arguments: LedgerBackend.allCases)
    func aRequestAt2330UTCOnTheLastDayOfAMonthFallsInTheNextMonthInUTCPlus7(_ backend: LedgerBackend) async throws {
        let fresh = try FreshLedger(backend)
        defer { fresh.remove() }
        try await withLedger(fresh) { ledger in
            try await ledger.append(sampleEntry(id: "late", at: utc("2025-01-31T23:30:00Z"), cost: 700))
            let range = utc("2024-12-01T00:00:00Z")..<utc("2025-04-01T00:00:00Z")

            let local = try await ledger.reader.summary(range: range, groupBy: [.month], timeZone: bangkok)
            #expect(local.source == .rollup)
            let february = try #require(local.rows.first)
            #expect(local.rows.count == 1)
            #expect(february.period?.start == utc("2025-01-31T17:00:00Z"))
            #expect(february.period?.end == utc("2025-02-28T17:00:00Z"))
            #expect(february.totals.cost == Money(nanoUSD: 700))

            let inUTC = try await ledger.reader.summary(range: range, groupBy: [.month], timeZone: TimeZone(identifier: "UTC")!)
            #expect(inUTC.rows.first?.period?.start == utc("2025-01-01T00:00:00Z"))
        }
    }

    @Test(arguments: LedgerBackend.allCases)
    func daysAcrossDaylightSavingChangesHave23And25HoursAndKeepTheirRows(_ backend: LedgerBackend) async throws {
        let fresh = try FreshLedger(backend)
        defer { fresh.remove() }
        try await withLedger(fresh) { ledger in
            let rows: [(String, String)] = [
                ("2025-03-09T04:30:00Z", "2025-03-08"),  // 23:30 EST
                ("2025-03-09T05:30:00Z", "2025-03-09"),  // 00:30 EST
                ("2025-03-10T03:30:00Z", "2025-03-09"),  // 23:30 EDT
                ("2025-03-10T04:30:00Z", "2025-03-10"),  // 00:30 EDT
                ("2025-11-02T04:30:00Z", "2025-11-02"),  // 00:30 EDT
                ("2025-11-03T04:30:00Z", "2025-11-02"),  // 23:30 EST
                ("2025-11-03T05:30:00Z", "2025-11-03"),  // 00:30 EST
            ]
            for (index, row) in rows.enumerated() {
                try await ledger.append(sampleEntry(id: "\(index)", at: utc(row.0), cost: 1 << index))
            }
            let summary = try await ledger.reader.summary(
                range: utc("2025-03-01T00:00:00Z")..<utc("2025-12-01T00:00:00Z"), groupBy: [.day], timeZone: newYork
            )
            #expect(summary.source == .rollup)
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = newYork
            let formatter = DateFormatter()
            formatter.calendar = calendar
            formatter.timeZone = newYork
            formatter.dateFormat = "yyyy-MM-dd"
            var costByDay: [String: Int64] = [:]
            var hoursByDay: [String: Double] = [:]
            for row in summary.rows {
                let interval = try #require(row.period)
                let day = formatter.string(from: interval.start)
                costByDay[day] = row.totals.cost.nanoUSD
                hoursByDay[day] = interval.duration / 3_600
            }
            var expected: [String: Int64] = [:]
            for (index, row) in rows.enumerated() { expected[row.1, default: 0] += 1 << index }
            #expect(costByDay == expected)
            #expect(hoursByDay["2025-03-09"] == 23)
            #expect(hoursByDay["2025-11-02"] == 25)
            #expect(hoursByDay["2025-03-08"] == 24)
        }
    }

    @Test(arguments: LedgerBackend.allCases)
    func rollupsAndRowsGiveTheSameBreakdownsInEveryKindOfTimeZone(_ backend: LedgerBackend) async throws {
        let fresh = try FreshLedger(backend)
        defer { fresh.remove() }
        try await withLedger(fresh) { ledger in
            var entries: [LedgerEntry] = []
            var seed: UInt64 = 7
            func random(_ bound: Int) -> Int {
                seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Int((seed >> 33) % UInt64(bound))
            }
            let start = utc("2025-01-01T00:00:00Z")
            for index in 0..<1_500 {
                entries.append(sampleEntry(
                    id: "\(index)", at: start.addingTimeInterval(Double(random(365 * 86_400))),
                    provider: ["openai", "relay"][random(2)], model: "m\(random(4))",
                    usage: Usage(input: Int64(random(5_000)), output: Int64(random(900))),
                    cost: random(9) == 0 ? nil : Int64(random(90_000_000)),
                    listCost: random(6) == 0 ? nil : Int64(random(120_000_000)),
                    usageSource: random(10) == 0 ? .estimated : .reported,
                    attribution: Attribution(project: random(5) == 0 ? nil : "p\(random(3))", user: "u\(random(4))",
                                             tags: random(2) == 0 ? ["t\(random(3))"] : [])
                ))
            }
            try await ledger.append(contentsOf: entries)
            let range = utc("2025-02-10T00:00:00Z")..<utc("2025-11-20T00:00:00Z")
            let zones = ["UTC", "Asia/Bangkok", "America/New_York", "Asia/Kolkata", "Australia/Adelaide", "Asia/Kathmandu"]
            for zoneName in zones {
                let zone = try #require(TimeZone(identifier: zoneName))
                for dimensions in [[Report.Dimension.month, .model], [.day, .provider], [.month, .project, .user], [.month, .tag]] {
                    let summary = try await ledger.reader.summary(range: range, groupBy: dimensions, timeZone: zone)
                    let expected = Self.expected(entries, range: range, dimensions: dimensions, zone: zone)
                    let actual = Dictionary(uniqueKeysWithValues: summary.rows.map {
                        (Key(period: $0.period?.start, provider: $0.provider, model: $0.model, project: $0.project, user: $0.user, tag: $0.tag),
                         [$0.totals.requests, $0.totals.cost.nanoUSD, $0.totals.listCost.nanoUSD, $0.totals.costWithListPrice.nanoUSD,
                          $0.totals.unpricedRows, $0.totals.estimatedRows, $0.totals.usage.input, $0.totals.usage.output])
                    })
                    #expect(actual == expected, "\(zoneName) \(dimensions)")
                    #expect(summary.source == .rollup, "\(zoneName) \(dimensions)")
                }
            }
        }
    }

    struct Key: Hashable {
        var period: Date?
        var provider: String?
        var model: String?
        var project: String?
        var user: String?
        var tag: String?
    }

    /// The breakdown computed in Swift from the entries themselves.
    static func expected(_ entries: [LedgerEntry], range: Range<Date>, dimensions: [Report.Dimension], zone: TimeZone) -> [Key: [Int64]] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        var result: [Key: [Int64]] = [:]
        for entry in entries where range.contains(entry.timestamp) {
            let unit: Calendar.Component = dimensions.contains(.day) ? .day : .month
            let start = calendar.dateInterval(of: unit, for: entry.timestamp).map { max($0.start, range.lowerBound) }
            let tags: [String?] = dimensions.contains(.tag) ? (entry.attribution.tags.isEmpty ? [nil] : entry.attribution.tags.map { Optional($0) }) : [nil]
            for tag in tags {
                let key = Key(
                    period: start,
                    provider: dimensions.contains(.provider) ? entry.provider : nil,
                    model: dimensions.contains(.model) ? entry.modelRequested : nil,
                    project: dimensions.contains(.project) ? entry.attribution.project : nil,
                    user: dimensions.contains(.user) ? entry.attribution.user : nil,
                    tag: tag
                )
                var sums = result[key] ?? Array(repeating: 0, count: 8)
                sums[0] += 1
                sums[1] += entry.cost?.nanoUSD ?? 0
                if let cost = entry.cost, let list = entry.listCost {
                    sums[2] += list.nanoUSD
                    sums[3] += cost.nanoUSD
                }
                sums[4] += entry.cost == nil ? 1 : 0
                sums[5] += entry.usageSource == .estimated ? 1 : 0
                sums[6] += entry.usage.input
                sums[7] += entry.usage.output
                result[key] = sums
            }
        }
        return result
    }

    @Test(arguments: LedgerBackend.allCases)
    func filtersNarrowTheTotalsAndUnpricedModelsAreListed(_ backend: LedgerBackend) async throws {
        let fresh = try FreshLedger(backend)
        defer { fresh.remove() }
        try await withLedger(fresh) { ledger in
            let at = utc("2025-06-01T12:00:00Z")
            try await ledger.append(contentsOf: [
                sampleEntry(at: at, model: "a", cost: 10, attribution: Attribution(project: "x", tags: ["blue"])),
                sampleEntry(at: at, model: "b", cost: nil, attribution: Attribution(project: "x")),
                sampleEntry(at: at, model: "b", cost: nil, attribution: Attribution(project: "y", tags: ["blue"])),
                sampleEntry(at: at, model: "c", cost: 30, listCost: nil, attribution: Attribution(project: "y")),
            ])
            let range = at..<at.addingTimeInterval(60)
            let all = try await ledger.reader.summary(range: range)
            #expect(all.unpriced.map { "\($0.provider)/\($0.model):\($0.rows)" } == ["openai/b:2"])
            #expect(all.total.rowsWithoutListPrice == 1)
            let projectX = try await ledger.reader.summary(range: range, filter: Report.Filter(project: "x"))
            #expect(projectX.total.requests == 2)
            #expect(projectX.total.cost == Money(nanoUSD: 10))
            let blue = try await ledger.reader.summary(range: range, filter: Report.Filter(tag: "blue"))
            #expect(blue.total.requests == 2)
            #expect(blue.source == .rows)
            let onlyC = try await ledger.reader.summary(range: range, filter: Report.Filter(model: "c"))
            #expect(onlyC.total.savings == nil)
        }
    }

    @Test(arguments: LedgerBackend.allCases)
    func verifyFindsARollupThatNoLongerMatchesTheRows(_ backend: LedgerBackend) async throws {
        let fresh = try FreshLedger(backend)
        defer { fresh.remove() }
        try await withLedger(fresh) { ledger in
            try await ledger.append(contentsOf: (0..<50).map {
                sampleEntry(at: utc("2025-06-01T00:00:00Z").addingTimeInterval(Double($0) * 1_000), attribution: Attribution(project: "p\($0 % 3)"))
            })
            #expect(try await ledger.reader.verify().isConsistent)
            try fresh.execute("UPDATE ledger_rollup SET cost_nano_low = cost_nano_low + 1 WHERE grain = 2")
            let verification = try await ledger.reader.verify()
            #expect(!verification.isConsistent)
            #expect(verification.integrity == ["ok"])
            #expect(verification.rollupMismatches.map(\.grain) == ["dayModel"])
        }
    }

    @Test func aReadWithoutLocksNoticesAWriterThatChangedTheFileAndAFreshReadSeesItsRows() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let range = utc("2025-06-01T00:00:00Z")..<utc("2025-07-01T00:00:00Z")
        do {
            let ledger = try Ledger(path: directory.ledgerPath)
            try await ledger.append(sampleEntry(id: "first", at: utc("2025-06-02T10:00:00Z"), cost: 100))
        }
        // The last connection checkpointed and removed its log: a reader now opens the file
        // immutable, taking no locks.
        #expect(!FileManager.default.fileExists(atPath: directory.ledgerPath + "-wal"))
        let reader = try LedgerReader(path: directory.ledgerPath)
        #expect(try await reader.summary(range: range, groupBy: []).total.cost == Money(nanoUSD: 100))

        do {
            let ledger = try Ledger(path: directory.ledgerPath)
            try await ledger.append(sampleEntry(id: "second", at: utc("2025-06-03T10:00:00Z"), cost: 20))
        }

        await #expect {
            _ = try await reader.summary(range: range, groupBy: [])
        } throws: { error in
            guard let error = error as? LedgerError else { return false }
            return error.code == .io && error.description.contains("run the command again") && !error.description.contains("\n")
        }
        #expect(try await LedgerReader(path: directory.ledgerPath).summary(range: range, groupBy: []).total.cost == Money(nanoUSD: 120))
    }

    @Test(arguments: LedgerBackend.allCases)
    func theRequestsViewShowsRealTimesExactDollarsAndTags(_ backend: LedgerBackend) async throws {
        let fresh = try FreshLedger(backend)
        defer { fresh.remove() }
        try await withLedger(fresh) { ledger in
            let at = Date(timeIntervalSince1970: 1_764_547_200.123)
            var tagged = sampleEntry(id: "a", at: at, cost: 1_234_567_891, listCost: 9, attribution: Attribution(project: "p", tags: ["zeta", "alpha"]))
            tagged.streamed = true
            try await ledger.append(contentsOf: [
                tagged,
                sampleEntry(id: "b", at: Date(timeIntervalSince1970: 1_764_547_199.999), cost: nil, listCost: 120_000_000_000),
            ])
            try await ledger.append(LedgerEntry.adjustment(
                of: 1, timestamp: at, provider: "openai", model: "gpt-4.1", cost: Money(nanoUSD: -5), listCost: nil
            ))
        }
        let lines = try fresh.query("SELECT id, kind, sent_at, streamed, cost_usd, list_cost_usd, project, adjusts, tags FROM ledger_requests ORDER BY seq")
        switch backend {
        case .sqlite:
            #expect(lines == [
                "a|request|2025-12-01T00:00:00.123Z|1|1.234567891|0.000000009|p||alpha,zeta",
                "b|request|2025-11-30T23:59:59.999Z|0||120.000000000|||",
                "\(try fresh.query("SELECT id FROM ledger_rows WHERE seq = 3")[0])|adjustment|2025-12-01T00:00:00.123Z|0|-0.000000005|||1|",
            ])
        case .postgres:
            #expect(lines == [
                "a|request|2025-12-01 00:00:00.123+00|t|1.234567891|0.000000009|p||alpha,zeta",
                "b|request|2025-11-30 23:59:59.999+00|f||120.000000000|||",
                "\(try fresh.query("SELECT id FROM ledger_rows WHERE seq = 3")[0])|adjustment|2025-12-01 00:00:00.123+00|f|-0.000000005|||1|",
            ])
        }
    }

}
