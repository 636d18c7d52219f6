import Foundation
import GRDB
import Testing
@testable import TallyLedger
import TallyPricing
import TallyUsage

/// The rollups' sums: exact in 128 bits, never wrapped, and blind to rows whose usage is implausible.
struct RollupTests {
    let month = utc("2026-08-01T00:00:00Z")..<utc("2026-09-01T00:00:00Z")

    @Test func rowsWithAbsurdTokenCountsAreCountedButLeftOutOfEverySum() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let ledger = try Ledger(path: directory.ledgerPath)
        // What an upstream reporting 10^15 and negative tokens left in a ledger before prices refused
        // them: saturated and negative costs on the rows themselves.
        let absurd = Usage(input: 1_000_000_000_000_000, output: 1_000_000_000_000_000)
        try await ledger.append(sampleEntry(at: utc("2026-08-20T10:00:00Z"), usage: absurd, cost: .max, listCost: .max))
        try await ledger.append(sampleEntry(at: utc("2026-08-20T10:05:00Z"), usage: absurd, cost: .max, listCost: .max))
        try await ledger.append(sampleEntry(at: utc("2026-08-20T10:06:00Z"), usage: Usage(input: -1_000, output: -5), cost: -2_040_000, listCost: -2_040_000))
        try await ledger.append(sampleEntry(at: utc("2026-08-20T10:10:00Z"), usage: Usage(input: 100, output: 50), cost: 1_000, listCost: 1_500))

        for tz in ["UTC", "Asia/Kolkata"] {  // rollups, and the rows themselves
            let summary = try await ledger.reader.summary(range: month, groupBy: [.model], timeZone: TimeZone(identifier: tz)!)
            #expect(summary.total.requests == 4)
            #expect(summary.total.implausibleRows == 3)
            #expect(summary.total.unpricedRows == 3)
            #expect(summary.total.cost == Money(nanoUSD: 1_000))
            #expect(summary.total.listCost == Money(nanoUSD: 1_500))
            #expect(summary.total.usage.input == 100)
            #expect(summary.total.usage.output == 50)
            #expect(summary.rows.map(\.totals) == [summary.total])
        }
        let verification = try await ledger.reader.verify()
        #expect(verification.rollupMismatches.isEmpty)
        #expect(verification.isConsistent)
        let flags = try await allEntries(directory.ledgerPath).map { $0.entry.usage.flags.contains(.implausible) }
        #expect(flags == [true, true, true, false])
    }

    @Test(arguments: LedgerBackend.allCases)
    func amountsPastInt64SumExactlyInTheRollupsAndAReportSaysItCannotShowThem(_ backend: LedgerBackend) async throws {
        let fresh = try FreshLedger(backend)
        defer { fresh.remove() }
        try await withLedger(fresh) { ledger in
            // Plausible usage with the largest amounts a row can hold: eight of them pass Int64 twice over.
            let big = Int64.max - 12_345
            for minute in 0..<8 {
                try await ledger.append(sampleEntry(at: utc("2026-08-20T10:00:00Z").addingTimeInterval(Double(minute) * 60), cost: big, listCost: big))
            }
            let stored = try fresh.query("""
                SELECT cost_nano_high, cost_nano_low FROM ledger_rollup
                UNION ALL SELECT cost_nano_high, cost_nano_low FROM ledger_tag_rollup
                """)
                .map { line in
                    let parts = line.split(separator: "|").compactMap { Int128(String($0)) }
                    return parts.count == 2 ? parts[0] << 32 + parts[1] : 0
                }
            // One rollup row per grain, each holding the exact sum.
            #expect(stored == Array(repeating: Int128(big) * 8, count: RollupGrain.allCases.count))
            #expect(try await ledger.reader.verify().rollupMismatches.isEmpty)
            for tz in ["UTC", "Asia/Kolkata"] {
                await #expect {
                    try await ledger.reader.summary(range: month, timeZone: TimeZone(identifier: tz)!)
                } throws: { error in
                    guard let error = error as? LedgerError else { return false }
                    return error.code == .sumOutOfRange && !error.message.contains("\n")
                }
            }
        }
    }

    @Test func aLedgerWrittenBeforeExactRollupsIsRecountedWhenMigrated() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // Rows an earlier Tally wrote: one with 10^15 tokens and the saturated cost it was given.
        try writeOldLedger(directory.ledgerPath, migrations: [Migration.sqlite[0]], rows: [
            (id: "absurd", tsMs: 1_787_220_000_000, inputTokens: 1_000_000_000_000_000, costNano: .max),
            (id: "normal", tsMs: 1_787_306_400_000, inputTokens: 100, costNano: 1_000),
        ])
        let migrated = try Ledger(path: directory.ledgerPath)
        #expect(migrated.schemaVersion == Migration.sqlite.last?.version)
        let summary = try await migrated.reader.summary(range: month)
        #expect(summary.total.requests == 2)
        #expect(summary.total.implausibleRows == 1)
        #expect(summary.total.cost == Money(nanoUSD: 1_000))
        #expect(summary.total.usage.input == 100)
        #expect(try await migrated.reader.verify().rollupMismatches.isEmpty)
    }

    @Test func theSQLPlausibilityRuleIsTheSwiftOne() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let ledger = try Ledger(path: directory.ledgerPath)
        let edge = Usage.plausibleMaximum
        let usages = [
            Usage(input: edge, cachedInput: edge, cacheWrite: edge, cacheWrite1h: edge, output: edge, reasoning: edge),
            Usage(input: edge + 1), Usage(cachedInput: -1), Usage(cacheWrite: edge + 1), Usage(cacheWrite1h: -1),
            Usage(output: .max), Usage(reasoning: .min), Usage(),
        ]
        for (offset, usage) in usages.enumerated() {
            try await ledger.append(sampleEntry(at: utc("2026-08-20T10:00:00Z").addingTimeInterval(Double(offset)), usage: usage))
        }
        let inSQL = try await rawDatabase(directory.ledgerPath).read { db in
            try Bool.fetchAll(db, sql: "SELECT \(SQLiteLedgerStorage.plausibleRowSQL) FROM ledger_rows AS l ORDER BY seq")
        }
        #expect(inSQL == usages.map(\.isPlausible))
        #expect(inSQL == [true, false, false, false, false, false, false, true])
    }
}
