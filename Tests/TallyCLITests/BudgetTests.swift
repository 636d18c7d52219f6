import ArgumentParser
import Foundation
import Testing
import TallyLedger
import TallyPricing
@testable import tally

struct BudgetTests {
    let month = Date(timeIntervalSince1970: 1_761_955_200)..<Date(timeIntervalSince1970: 1_764_547_200)  // 30 days

    func result(spend: String, limit: String = "500", forecast: Bool = false, daysElapsed: Double = 15) -> BudgetStanding {
        let budget = Budget(name: nil, limit: Money(decimalUSD: limit) ?? .zero, forecast: forecast)
        return BudgetStanding(
            budget: budget, spend: Money(decimalUSD: spend) ?? .zero, period: month,
            now: month.lowerBound.addingTimeInterval(daysElapsed * 86_400)
        )
    }

    @Test func isOkBelowTheWarningShare() {
        let check = result(spend: "399.99")
        #expect(check.status == .ok)
        #expect(check.summary == "month spend $399.99 of $500.00 (80.0%)")
    }

    @Test func warnsAtTheWarningShare() {
        let check = result(spend: "412.50")
        #expect(check.status == .warning)
        #expect(check.summary == "month spend $412.50 of $500.00 (82.5%)")
        #expect(check.perfdata == "spend=412.50;400.00;500.00;0")
    }

    @Test func isCriticalFromTheLimitOnAsTheServerRefusesFromIt() {
        // One rule with `tally serve`: a budget is spent when the spend reaches its limit.
        #expect(result(spend: "499.999999999").status == .warning)
        #expect(result(spend: "500.00").status == .critical)
        #expect(result(spend: "500.000000001").status == .critical)
    }

    @Test func warnsWhenTheForecastExceedsTheLimit() {
        // $300 in 15 of 30 days burns to $600.
        let check = result(spend: "300", forecast: true)
        #expect(check.forecast == Money(decimalUSD: "600"))
        #expect(check.status == .warning)
        #expect(check.perfdata == "spend=300.00;400.00;500.00;0 forecast=600.00;;500.00;0")
        // $240 in 15 days burns to $480: OK.
        #expect(result(spend: "240", forecast: true).status == .ok)
    }

    @Test func readsABudgetFileAndNamesEveryBadLine() throws {
        let good = """
            { "budgets": [ { "name": "team a", "limit": "500", "warn": "90", "project": "a", "forecast": true },
                           { "name": "daily", "limit": "20", "period": "day" } ] }
            """
        let budgets = try BudgetFile.load(Array(good.utf8), file: "b.json")
        #expect(budgets.map(\.warnPermille) == [900, 800])
        #expect(budgets.last?.limit == Money(decimalUSD: "20"))
        #expect(budgets.last?.period == BudgetPeriod(.day, in: BudgetPeriod.utc))
        #expect(BudgetStanding.perfLabel("team a") == "'team a'")

        let bad = """
            { "budgets": [ { "name": "x", "limit": "-5", "warn": "120", "period": "week", "limt": 3 }, { "limit": "1" } ] }
            """
        let failure = try #require(throws: BudgetFileError.self) { try BudgetFile.load(Array(bad.utf8), file: "b.json") }
        #expect(failure.problems == [
            "b.json: $.budgets[0].limt: unknown field \"limt\" (known: name, limit, warn, period, tz, project, user, forecast)",
            "b.json: $.budgets[0].limit: \"-5\" must be more than zero",
            "b.json: $.budgets[0].warn: \"120\" must be a percentage from 0 to 100 such as \"80\"",
            "b.json: $.budgets[0].period: \"week\" must be month or day",
            "b.json: $.budgets[1].name: missing: every budget in a file has a name (or a project, which then names it)",
        ])
    }
}

extension BudgetTests {
    @Test func perfdataIsExactSoASpendJustOverTheLimitDoesNotReadAsAtIt() {
        let over = result(spend: "0.2401", limit: "0.24")
        #expect(over.status == .critical)
        #expect(over.perfdata == "spend=0.2401;0.192;0.24;0")
        #expect(result(spend: "0.004", limit: "0.01").perfdata == "spend=0.004;0.008;0.01;0")
    }

    @Test func aBudgetFileRefusesNumbersEmptyValuesAndNamesThatBreakPerfdata() throws {
        let bad = """
            { "budgets": [ { "name": "a", "limit": 20, "warn": 90 }, { "name": "b", "limit": "5", "project": "", "user": "" },
                           { "name": "c|d", "limit": "5" }, { "name": "e=f", "limit": "5" }, { "name": "it's", "limit": "5" },
                           { "name": "", "limit": "5" } ] }
            """
        let failure = try #require(throws: BudgetFileError.self) { try BudgetFile.load(Array(bad.utf8), file: "b.json") }
        #expect(failure.problems == [
            "b.json: $.budgets[0].limit: must be a string such as \"20\", found the JSON number 20",
            "b.json: $.budgets[0].warn: must be a string such as \"90\", found the JSON number 90",
            "b.json: $.budgets[1].project: is empty: leave the field out, or give a value",
            "b.json: $.budgets[1].user: is empty: leave the field out, or give a value",
            "b.json: $.budgets[2].name: \"c|d\" cannot hold =, ' or | (they break the perfdata line)",
            "b.json: $.budgets[3].name: \"e=f\" cannot hold =, ' or | (they break the perfdata line)",
            "b.json: $.budgets[4].name: \"it's\" cannot hold =, ' or | (they break the perfdata line)",
            "b.json: $.budgets[5].name: is empty: every budget in a file has a name",
        ])
        // A name with a space is quoted, as the guidelines ask.
        #expect(BudgetStanding.perfLabel("team a") == "'team a'")
    }
}

extension BudgetTests {
    @Test func eachBadLimitSaysWhyOnOneUnknownLine() throws {
        let folder = try TallyProcess.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let ledger = folder.appending(path: "ledger.sqlite").path
        for (limit, reason) in [
            ("-1", "must be more than zero"), ("0", "must be more than zero"),
            ("99999999999999999999", "is above the largest amount Tally holds (9223372036.854775807 USD)"),
            ("0.0000000001", "has more than 9 decimal places (amounts are exact to the nano-USD)"),
            ("lots", "is not a decimal amount of USD such as 500 or 12.50"),
        ] {
            let run = try TallyProcess.run(["budget", "check", "--limit", limit, "--ledger", ledger])
            #expect(run.status == 3, "\(limit)")
            #expect(run.stdout == "TALLY UNKNOWN - --limit \(limit): \(reason)\n", "\(limit)")
        }
    }

    @Test func aLedgerOrBudgetFileErrorNamesThePathOnce() throws {
        let folder = try TallyProcess.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let directory = folder.path
        let onLedger = try TallyProcess.run(["budget", "check", "--limit", "5", "--ledger", directory])
        #expect(onLedger.status == 3)
        #expect(onLedger.stdout == "TALLY UNKNOWN - \(directory): is a directory, not a ledger file\n")
        let onConfig = try TallyProcess.run(["budget", "check", "--config", directory, "--ledger", directory + "/l.sqlite"])
        #expect(onConfig.stdout == "TALLY UNKNOWN - \(directory): cannot read the budget file: is a directory\n")
    }
}

struct PeriodOptionsTests {
    func period(_ arguments: [String], now: Date = Date()) throws -> Period {
        try PeriodOptions.parse(arguments).resolve(now: now)
    }

    @Test func takesMonthBoundariesInTheGivenZone() throws {
        let bangkok = try period(["--month", "2026-11", "--tz", "Asia/Bangkok"])
        // 2026-11-01T00:00+07:00 is 2026-10-31T17:00Z.
        #expect(bangkok.range.lowerBound == ISO8601DateFormatter().date(from: "2026-10-31T17:00:00Z"))
        #expect(bangkok.range.upperBound == ISO8601DateFormatter().date(from: "2026-11-30T17:00:00Z"))
    }

    @Test func followsDaylightSavingTime() throws {
        // Berlin leaves summer time on 2026-10-25: October has 31 days and one extra hour.
        let october = try period(["--month", "2026-10", "--tz", "Europe/Berlin"])
        #expect(october.range.upperBound.timeIntervalSince(october.range.lowerBound) == 31 * 86_400 + 3_600)
    }

    @Test func includesTheUntilDay() throws {
        let days = try period(["--since", "2026-11-01", "--until", "2026-11-02", "--tz", "UTC"])
        #expect(days.range.upperBound.timeIntervalSince(days.range.lowerBound) == 2 * 86_400)
    }

    @Test func refusesBadPeriods() {
        for arguments in [["--month", "2026-13"], ["--month", "26-11"], ["--since", "2026-02-30"], ["--tz", "Mars/Olympus"],
                          ["--since", "2026-11-05", "--until", "2026-11-01"]] {
            #expect(throws: Failure.self, "\(arguments)") { try period(arguments) }
        }
    }
}
