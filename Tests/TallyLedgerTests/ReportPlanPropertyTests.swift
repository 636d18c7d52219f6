import Foundation
import Testing
@testable import TallyLedger
import TallyDemo
import TallyPricing
import TallyUsage

/// For random ledgers, zones, periods, views and filters, a report read from the rollups equals
/// the same report read from the rows alone, and the rows it reads are only the sliver no
/// bucket of its family covers.
struct ReportPlanPropertyTests {
    /// The one seeded generator, so a failure names a case that can be run again.
    struct Generator {
        var seeded: SeededGenerator
        init(state: UInt64) { seeded = SeededGenerator(seed: state) }
        mutating func below(_ bound: Int) -> Int { Int(seeded.next() % UInt64(bound)) }
        mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
    }

    static let zones = [
        "UTC", "Asia/Ho_Chi_Minh", "Asia/Kolkata", "Asia/Kathmandu", "America/New_York", "Australia/Lord_Howe",
        "Europe/Paris", "Pacific/Chatham", "America/St_Johns", "Australia/Adelaide",
    ]

    /// Instants rows cluster around: DST changes (US, EU, Lord Howe's half hour, Adelaide,
    /// Chatham) and month ends in several zones.
    static let hotSpots = [
        "2025-03-09T07:00:00Z", "2025-03-30T01:00:00Z", "2025-04-05T15:00:00Z", "2025-04-05T16:30:00Z",
        "2025-10-04T15:30:00Z", "2025-10-05T16:30:00Z", "2025-09-27T14:00:00Z", "2025-11-02T06:00:00Z",
        "2025-03-31T18:30:00Z", "2025-04-30T18:15:00Z", "2025-05-31T17:00:00Z", "2025-06-30T14:00:00Z",
        "2025-09-30T22:00:00Z", "2025-12-31T13:00:00Z",
    ].map(utc)

    static func entries(seed: UInt64, count: Int) -> [LedgerEntry] {
        var random = Generator(state: seed)
        let tags = ["a", "b", "c", "d"]
        return (0..<count).map { index in
            let spot = hotSpots[random.below(hotSpots.count)]
            // Within ± 3 days of a hot spot, to the second.
            let at = spot.addingTimeInterval(Double(random.below(6 * 86_400)) - 3 * 86_400)
            var rowTags: [String] = []
            if random.chance(40) { rowTags.append(tags[random.below(tags.count)]) }
            if random.chance(15) { rowTags.append(tags[random.below(tags.count)]) }
            return sampleEntry(
                id: "r\(index)", at: at,
                provider: ["openai", "relay", "anthropic"][random.below(3)], model: "m\(random.below(5))",
                usage: Usage(input: Int64(random.below(5_000)), cachedInput: Int64(random.below(50)), output: Int64(random.below(900))),
                cost: random.chance(10) ? nil : Int64(random.below(90_000_000)),
                listCost: random.chance(15) ? nil : Int64(random.below(120_000_000)),
                usageSource: random.chance(10) ? .estimated : .reported,
                attribution: Attribution(
                    project: random.chance(20) ? nil : "p\(random.below(4))", user: random.chance(10) ? nil : "u\(random.below(6))",
                    tags: rowTags
                )
            )
        }
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func everyReportReadFromTheRollupsEqualsTheSameReportReadFromTheRows(seed: UInt64) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let ledger = try Ledger(path: directory.ledgerPath)
        let entries = Self.entries(seed: seed, count: 1_200)
        // Appended in a few batches and singly, as live traffic and imports write them.
        try await ledger.append(contentsOf: Array(entries[0..<700]))
        for entry in entries[700..<760] { try await ledger.append(entry) }
        try await ledger.append(contentsOf: Array(entries[760...]))
        #expect(try await ledger.reader.verify().rollupMismatches.isEmpty)

        var random = Generator(state: seed &* 7_919)
        let year = utc("2025-01-01T00:00:00Z")
        let dimensionChoices: [Report.Dimension] = [.provider, .model, .project, .user, .tag]
        for round in 0..<60 {
            let zoneName = Self.zones[random.below(Self.zones.count)]
            let zone = try #require(TimeZone(identifier: zoneName))
            // A range on whole minutes within the year, or a whole local month or two.
            let range: Range<Date>
            if random.chance(50) {
                let lower = year.addingTimeInterval(Double(random.below(365 * 24 * 60)) * 60)
                range = lower..<lower.addingTimeInterval(Double(1 + random.below(60 * 24 * 60)) * 60)
            } else {
                var calendar = Calendar(identifier: .gregorian)
                calendar.timeZone = zone
                let start = try #require(calendar.date(from: DateComponents(year: 2025, month: 1 + random.below(12), day: 1)))
                range = start..<(try #require(calendar.date(byAdding: .month, value: 1 + random.below(2), to: start)))
            }
            var groupBy: [Report.Dimension] = random.chance(40) ? [.month] : random.chance(40) ? [.day] : []
            for dimension in dimensionChoices where random.chance(25) { groupBy.append(dimension) }
            var filter = Report.Filter()
            switch random.below(8) {
            case 0: filter.project = "p\(random.below(4))"
            case 1: filter.user = "u\(random.below(6))"
            case 2: filter.tag = ["a", "b", "c", "d"][random.below(4)]
            case 3: filter.model = "m\(random.below(5))"
            case 4: filter.provider = "relay"
            default: break
            }
            let label = "seed \(seed) round \(round): \(zoneName) \(range) by \(groupBy.map(\.rawValue)) \(filter)"

            let plan = ReportPlan(range: range, groupBy: groupBy, timeZone: zone, filter: filter)
            let fromRows = ReportPlan(range: range, groupBy: groupBy, timeZone: zone, filter: filter, fromRowsOnly: true)
            let rolledUp = try await ledger.reader.summary(plan)
            let counted = try await ledger.reader.summary(fromRows)
            #expect(rolledUp.rows == counted.rows, "\(label)")
            #expect(rolledUp.total == counted.total, "\(label)")
            #expect(rolledUp.unpriced == counted.unpriced, "\(label)")

            // The rows read are only what the family's finest grain cannot cover: less than a
            // bucket at each end of a period, or less than two where no whole bucket fits. (A
            // breakdown by tag filtered by a tag, or a tag with project or user, which no family
            // keeps, is read from the rows by design.)
            let readsRowsByDesign = groupBy.contains(.tag) && filter.tag != nil
            for reading in readsRowsByDesign ? [plan.totals] : [plan.breakdown, plan.totals] {
                guard let family = reading.family else { continue }
                let finest = try #require(family.grains.last).bucketMilliseconds
                for span in reading.rows {
                    #expect(span.upperMs - span.lowerMs < 2 * finest, "\(label): \(span) read from the rows")
                }
            }
        }
    }

    @Test func everyPeriodOfAQuarterHourZoneIsReadFromBucketsAlone() {
        // Kathmandu is UTC+5:45: a local month is whole days, hours and quarter-hours.
        let zone = TimeZone(identifier: "Asia/Kathmandu")!
        let month = utc("2025-05-31T18:15:00Z")..<utc("2025-06-30T18:15:00Z")
        for groupBy in [[Report.Dimension.month], [.day]] {
            let plan = ReportPlan(range: month, groupBy: groupBy, timeZone: zone, filter: Report.Filter())
            #expect(plan.breakdown.family == .total)
            #expect(plan.breakdown.rows.isEmpty)
            #expect(plan.totals.family == .model)
            // The model family has no quarter-hour grain: 18:15–19:00 and 18:00–18:15 UTC are read from the rows.
            #expect(plan.totals.rows.map { $0.upperMs - $0.lowerMs } == [2_700_000, 900_000])
        }
        let projects = ReportPlan(range: month, groupBy: [.project], timeZone: zone, filter: Report.Filter())
        #expect(projects.breakdown.family == .projectUser)
        let tagModel = ReportPlan(range: month, groupBy: [.tag, .model], timeZone: zone, filter: Report.Filter())
        #expect(tagModel.breakdown.family == .tagModel)
        #expect(tagModel.totals.family == .model)
        // No family keeps a tag with a project: the breakdown reads the rows, the total the rollups.
        let tagged = ReportPlan(range: month, groupBy: [.tag], timeZone: zone, filter: Report.Filter(project: "p"))
        #expect(tagged.breakdown.family == nil)
        #expect(tagged.breakdown.buckets.isEmpty)
        #expect(tagged.totals.family == .modelProject)
    }
}
