import Foundation
import Testing
import TallyLedger
import TallyPricing

struct BudgetPeriodTests {
    let bangkok = TimeZone(identifier: "Asia/Bangkok")!

    @Test func aMonthInANonUTCZoneBeginsAtItsOwnMidnight() {
        // 2026-11-01T00:00+07:00 is 2026-10-31T17:00Z.
        let month = BudgetPeriod(.month, in: bangkok)
        #expect(month.range(containing: utc("2026-10-31T17:00:00Z")) == utc("2026-10-31T17:00:00Z")..<utc("2026-11-30T17:00:00Z"))
        #expect(month.range(containing: utc("2026-10-31T16:59:59Z")) == utc("2026-09-30T17:00:00Z")..<utc("2026-10-31T17:00:00Z"))
        #expect(BudgetPeriod(.month).range(containing: utc("2026-10-31T17:00:00Z")) == utc("2026-10-01T00:00:00Z")..<utc("2026-11-01T00:00:00Z"))
    }

    @Test func aDayFollowsDaylightSavingTime() {
        // Berlin leaves summer time on 2026-10-25: that day has 25 hours.
        let day = BudgetPeriod(.day, in: TimeZone(identifier: "Europe/Berlin")!).range(containing: utc("2026-10-25T12:00:00Z"))
        #expect(day.upperBound.timeIntervalSince(day.lowerBound) == 25 * 3_600)
    }

    @Test func aZoneIsAnIANANameOrUTC() {
        #expect(BudgetPeriod.timeZone(named: "UTC") == BudgetPeriod.utc)
        #expect(BudgetPeriod.timeZone(named: "Asia/Bangkok") == bangkok)
        #expect(BudgetPeriod.timeZone(named: "Mars/Olympus") == nil)
        #expect(BudgetPeriod.timeZone(named: "") == nil)
    }
}

struct BudgetTests {
    @Test func aBudgetIsSpentFromItsLimitOn() {
        let budget = Budget(name: "a", limit: Money(nanoUSD: 1_000))
        #expect(!budget.isSpent(by: Money(nanoUSD: 999)))
        #expect(budget.isSpent(by: Money(nanoUSD: 1_000)))
        let month = utc("2026-11-01T00:00:00Z")..<utc("2026-12-01T00:00:00Z")
        let now = utc("2026-11-15T00:00:00Z")
        #expect(BudgetStanding(budget: budget, spend: Money(nanoUSD: 1_000), period: month, now: now).verdict == .spent)
        #expect(BudgetStanding(budget: budget, spend: Money(nanoUSD: 999), period: month, now: now).verdict == .warning)
        #expect(BudgetStanding(budget: budget, spend: Money(nanoUSD: 799), period: month, now: now).verdict == .ok)
    }

    @Test func aBudgetCoversOnlyItsProjectAndUser() {
        let budget = Budget(name: "a", limit: Money(nanoUSD: 1), project: "alpha", user: "ann")
        #expect(budget.covers(Attribution(project: "alpha", user: "ann", tags: ["x"])))
        #expect(!budget.covers(Attribution(project: "alpha", user: "bob")))
        #expect(!budget.covers(Attribution(project: nil, user: "ann")))
        #expect(Budget(name: "all", limit: Money(nanoUSD: 1)).covers(.none))
    }

    @Test func aStandingSumsThePeriodInTheBudgetsOwnZone() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let ledger = try Ledger(path: directory.ledgerPath)
        // The first instant of November in Bangkok, still October in UTC.
        try await ledger.append(sampleEntry(at: utc("2026-10-31T17:00:00Z"), cost: 5_000, attribution: Attribution(project: "alpha")))
        try await ledger.append(sampleEntry(at: utc("2026-10-31T16:59:59Z"), cost: 7_000, attribution: Attribution(project: "alpha")))
        let now = utc("2026-11-02T00:00:00Z")
        let inBangkok = Budget(name: "b", limit: Money(nanoUSD: 5_000), period: BudgetPeriod(.month, in: TimeZone(identifier: "Asia/Bangkok")!), project: "alpha")
        let standing = try await ledger.reader.standing(of: inBangkok, at: now)
        #expect(standing.spend == Money(nanoUSD: 5_000))
        #expect(standing.verdict == .spent)
        let inUTC = try await ledger.reader.standing(of: Budget(name: "u", limit: Money(nanoUSD: 5_000), project: "alpha"), at: now)
        #expect(inUTC.spend == .zero)
        #expect(inUTC.verdict == .ok)
    }
}

struct BudgetFileTests {
    func problems(_ json: String) throws -> [String] {
        try #require(throws: BudgetFileError.self) { try BudgetFile.load(Array(json.utf8), file: "b.json") }.problems
    }

    @Test func readsEveryFieldWithTheZoneOfABudgetThatNamesNoneFromTheCaller() throws {
        let json = """
            { "listen": "ignored", "budgets": [
                { "name": "a", "limit": "12.50", "warn": "90", "period": "day", "tz": "Asia/Bangkok", "project": "p", "user": "u", "forecast": true },
                { "project": "team-b", "limit": "100" } ] }
            """
        let berlin = TimeZone(identifier: "Europe/Berlin")!
        let budgets = try BudgetFile.load(Array(json.utf8), file: "b.json", defaultZone: berlin)
        #expect(budgets == [
            Budget(name: "a", limit: Money(decimalUSD: "12.50")!, warnPermille: 900, period: BudgetPeriod(.day, in: TimeZone(identifier: "Asia/Bangkok")!),
                   project: "p", user: "u", forecast: true),
            // The older server form: a project's budget without a name is named by its project.
            Budget(name: "team-b", limit: Money(decimalUSD: "100")!, period: BudgetPeriod(.month, in: berlin), project: "team-b"),
        ])
    }

    @Test func namesTheFileAndPathOfEveryProblem() throws {
        #expect(try problems(#"{ "budgets": [ { "name": "a", "limit": "5", "tz": "Mars/Olympus" }, { "project": "p", "limit": 100 } ] }"#) == [
            "b.json: $.budgets[0].tz: \"Mars/Olympus\" is not a time zone: use an IANA name such as Europe/Berlin, or UTC",
            "b.json: $.budgets[1].limit: must be a string such as \"100\", found the JSON number 100",
        ])
        #expect(try problems(#"{ "budgets": [ { "project": "p", "limit": "1" }, { "project": "p", "limit": "2" } ] }"#) == [
            "b.json: $.budgets[1].name: \"p\" names two budgets",
        ])
        #expect(try problems(#"{ "budgets": [] }"#) == ["b.json: $.budgets: no budgets"])
        #expect(try problems("[]") == ["b.json: $: expected an object with a \"budgets\" array"])
    }
}
