import Dispatch
import Synchronization
import TallyPricing
import TallyUsage

/// The dimensions a family of rollups keeps: every report is read from the smallest family
/// that holds the dimensions it groups and filters by (see migrations/sqlite/0003_rollups_for_every_view.sql).
///
/// A family without `tag` counts each row once; a family with `tag` counts a row once per tag
/// (an untagged row once, under the tag ''), so it serves only reports that group or filter by tag.
/// The set is a trade: each family's rows are updated by every append, and the large ones
/// (hundreds of thousands of rows per 10M ledger rows and up) cost the append path most.
enum RollupFamily: Int, CaseIterable, Sendable {
    /// No dimension: one sum per bucket (monthly and daily totals).
    case total
    /// Each tag.
    case tag
    /// Provider × model.
    case model
    /// Project × user.
    case projectUser
    /// Tag × provider × model.
    case tagModel
    /// Provider × model × project.
    case modelProject
    /// Provider × model × project × user.
    case full

    /// Whether it keeps `dimension` in its key. A switch, not a set: the append path asks it for
    /// every row and grain.
    func keeps(_ dimension: Report.Dimension) -> Bool {
        switch dimension {
        case .provider, .model: self == .model || self == .tagModel || self == .modelProject || self == .full
        case .project: self == .projectUser || self == .modelProject || self == .full
        case .user: self == .projectUser || self == .full
        case .tag: self == .tag || self == .tagModel
        case .month, .day: false
        }
    }

    /// The dimensions its rows are keyed by.
    var dimensions: Set<Report.Dimension> { Set(Report.Dimension.allCases.filter(keeps)) }

    /// Whether its rows are in `ledger_tag_rollup` (keyed by tag too) rather than `ledger_rollup`.
    var isTagged: Bool { keeps(.tag) }

    /// Its grains, coarsest first. The large families have no sub-day grain (per hour they would
    /// be nearly as many rows as the ledger and make every append much costlier): the ragged
    /// hours at a period's ends are read from the rows.
    var grains: [RollupGrain] {
        RollupGrain.allCases.filter { $0.family == self }.sorted { $0.bucketMilliseconds > $1.bucketMilliseconds }
    }

    /// The smallest family holding every dimension in `needed` that counts each row once when
    /// `needed` has no tag (the families are in order of size, ``allCases``); nil for a tag with
    /// project or user, which no family keeps: such a report reads the rows.
    static func smallest(holding needed: Set<Report.Dimension>) -> RollupFamily? {
        allCases.first { $0.dimensions.isSuperset(of: needed) && $0.isTagged == needed.contains(.tag) }
    }
}

/// The length of a rollup bucket: every time zone's offset is a whole number of quarter-hours,
/// so every local day and month starts on a UTC quarter-hour.
enum RollupUnit: Int64, Sendable {
    case quarterHour = 900_000
    case hour = 3_600_000
    case day = 86_400_000

    var milliseconds: Int64 { rawValue }
}

/// The rollup grains: a family at a bucket length, by the number stored in the `grain` column.
/// Grains 1–3 keep the numbers the earlier schema gave them.
enum RollupGrain: Int64, CaseIterable, Sendable {
    /// UTC hour × provider × model.
    case hourModel = 1
    /// UTC day × provider × model.
    case dayModel = 2
    /// UTC day × provider × model × project × user.
    case dayFull = 3
    /// UTC quarter-hour total.
    case quarterHourTotal = 4
    /// UTC day total.
    case dayTotal = 5
    /// UTC hour × project × user.
    case hourProjectUser = 6
    /// UTC day × project × user.
    case dayProjectUser = 7
    /// UTC day × provider × model × project.
    case dayModelProject = 8
    /// UTC hour × tag.
    case hourTag = 9
    /// UTC day × tag.
    case dayTag = 10
    /// UTC day × tag × provider × model.
    case dayTagModel = 11

    var family: RollupFamily {
        switch self {
        case .quarterHourTotal, .dayTotal: .total
        case .hourTag, .dayTag: .tag
        case .hourModel, .dayModel: .model
        case .hourProjectUser, .dayProjectUser: .projectUser
        case .dayTagModel: .tagModel
        case .dayModelProject: .modelProject
        case .dayFull: .full
        }
    }

    var unit: RollupUnit {
        switch self {
        case .quarterHourTotal: .quarterHour
        case .hourModel, .hourProjectUser, .hourTag: .hour
        case .dayModel, .dayFull, .dayTotal, .dayProjectUser, .dayModelProject, .dayTag, .dayTagModel: .day
        }
    }

    var bucketMilliseconds: Int64 { unit.milliseconds }

    func bucket(ofMilliseconds ms: Int64) -> Int64 { floorDivide(ms, bucketMilliseconds) }
}

/// Floor division, right for negative numerators too.
func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}

/// One rollup row's key.
struct RollupKey: Hashable, Sendable {
    var grain: RollupGrain
    var bucket: Int64
    /// '' in the families without tags, and for an untagged row in those with them.
    var tag: String
    var provider: String
    var model: String
    var project: String
    var user: String
}

/// An amount summed the way `ledger_rollup` stores it: `high` = Σ (amount >> 32) and
/// `low` = Σ (amount & 0xFFFF_FFFF), each row split on its own, so that the Swift sums of a batch
/// and SQL's recount of its rows hold the same two numbers. The exact sum is high × 2³² + low.
struct SplitSum: Sendable, Hashable {
    var high: Int128 = 0
    var low: Int128 = 0

    mutating func add(_ amount: Money) {
        high += Int128(amount.nanoUSD >> 32)
        low += Int128(amount.nanoUSD & 0xFFFF_FFFF)
    }

    mutating func add(_ other: SplitSum) {
        high += other.high
        low += other.low
    }

    /// The exact sum.
    var total: MoneySum { MoneySum(nanoUSD: high << 32 + low) }
}

/// The sums one rollup row holds, and the sums a report adds up from them.
///
/// A row whose usage is implausible (``Usage/isPlausible``) counts as a request, as unpriced and
/// as implausible, and adds nothing else: its tokens and amounts are left out of every sum, so one
/// absurd count from an upstream can neither wrap a sum nor make a total negative.
///
/// Amounts are summed exactly in 128 bits. `ledger_rollup` stores each as two columns that cannot
/// overflow, `high` = Σ (amount >> 32) and `low` = Σ (amount & 0xFFFF_FFFF), so that the sum is
/// high × 2³² + low: each term of `high` is below 2³¹ in magnitude and each term of `low` below
/// 2³², so neither column overflows before 2³¹ rows in a bucket. SQL sums rows the same way
/// (`SQLiteLedgerStorage.rowMetrics`).
struct RollupTotals: Sendable, Hashable {
    var requests: Int64 = 0
    var adjustments: Int64 = 0
    var estimated: Int64 = 0
    var unpriced: Int64 = 0
    var withoutListPrice: Int64 = 0
    var implausible: Int64 = 0
    var input: Int64 = 0
    var cachedInput: Int64 = 0
    var cacheWrite: Int64 = 0
    var cacheWrite1h: Int64 = 0
    var output: Int64 = 0
    var reasoning: Int64 = 0
    var cost = SplitSum()
    var listCost = SplitSum()
    var listedCost = SplitSum()

    /// How many values a rollup row holds after its key, in `ledger_rollup`'s column order.
    static let columnCount = 18

    init() {}

    /// Adds one ledger row. The counts of a plausible row are at most 10⁹ each, so a batch's
    /// token sums cannot overflow.
    mutating func add(_ entry: LedgerEntry) {
        add(
            isRequest: entry.kind == .request, isEstimated: entry.usageSource == .estimated, usage: entry.usage,
            costNano: entry.cost?.nanoUSD, listCostNano: entry.listCost?.nanoUSD
        )
    }

    /// Adds one ledger row given by its stored fields: the one rule by which a row counts, which
    /// the append path and a report read from the rows both apply (``ledger verify`` recounts it in SQL).
    mutating func add(isRequest: Bool, isEstimated: Bool, usage: Usage, costNano: Int64?, listCostNano: Int64?) {
        if isRequest { requests += 1 } else { adjustments += 1 }
        if isEstimated { estimated += 1 }
        guard usage.isPlausible else {
            implausible += 1
            unpriced += 1
            withoutListPrice += 1
            return
        }
        input += usage.input
        cachedInput += usage.cachedInput
        cacheWrite += usage.cacheWrite
        cacheWrite1h += usage.cacheWrite1h
        output += usage.output
        reasoning += usage.reasoning
        if let costNano { cost.add(Money(nanoUSD: costNano)) } else { unpriced += 1 }
        if listCostNano == nil { withoutListPrice += 1 }
        if let listCostNano, let costNano {
            listCost.add(Money(nanoUSD: listCostNano))
            listedCost.add(Money(nanoUSD: costNano))
        }
    }

    /// These sums plus another's; nil when a count or token sum passes `Int64` (amounts cannot).
    func adding(_ other: RollupTotals) -> RollupTotals? {
        var sum = self
        return sum.formSum(other) ? sum : nil
    }

    /// Adds another's sums in place, without allocating; false, leaving a count partly added,
    /// when a count or token sum passes `Int64` (amounts are 128-bit and cannot).
    mutating func formSum(_ other: RollupTotals) -> Bool {
        func add(_ a: inout Int64, _ b: Int64) -> Bool {
            let (sum, overflow) = a.addingReportingOverflow(b)
            a = sum
            return !overflow
        }
        guard add(&requests, other.requests), add(&adjustments, other.adjustments), add(&estimated, other.estimated),
              add(&unpriced, other.unpriced), add(&withoutListPrice, other.withoutListPrice), add(&implausible, other.implausible),
              add(&input, other.input), add(&cachedInput, other.cachedInput), add(&cacheWrite, other.cacheWrite),
              add(&cacheWrite1h, other.cacheWrite1h), add(&output, other.output), add(&reasoning, other.reasoning)
        else { return false }
        cost.add(other.cost)
        listCost.add(other.listCost)
        listedCost.add(other.listedCost)
        return true
    }

    /// The values in `ledger_rollup`'s column order after the key: the counts, then each amount
    /// as its high and low column.
    var values: [Int64] {
        var values = [
            requests, adjustments, estimated, unpriced, withoutListPrice, implausible, input, cachedInput,
            cacheWrite, cacheWrite1h, output, reasoning,
        ]
        for amount in [cost, listCost, listedCost] {
            // A batch has fewer than 2³¹ rows, so both of its parts fit.
            values.append(Int64(amount.high))
            values.append(Int64(amount.low))
        }
        return values
    }

    /// Sums read back in `ledger_rollup`'s column order after the key: `column(i)` is the value
    /// of column `i`, for `i` in `0..<columnCount`.
    init(column: (Int) -> Int64) {
        requests = column(0)
        adjustments = column(1)
        estimated = column(2)
        unpriced = column(3)
        withoutListPrice = column(4)
        implausible = column(5)
        input = column(6)
        cachedInput = column(7)
        cacheWrite = column(8)
        cacheWrite1h = column(9)
        output = column(10)
        reasoning = column(11)
        func amount(_ high: Int) -> SplitSum { SplitSum(high: Int128(column(high)), low: Int128(column(high + 1))) }
        cost = amount(12)
        listCost = amount(14)
        listedCost = amount(16)
    }

    /// Sums of rollup rows in the same column order as a server adds them up, exact and wider
    /// than `Int64`; nil when a count or token sum passes `Int64` (amount parts are 128-bit).
    init?(sums column: (Int) -> Int128) {
        func count(_ index: Int) -> Int64? { Int64(exactly: column(index)) }
        guard let requests = count(0), let adjustments = count(1), let estimated = count(2), let unpriced = count(3),
              let withoutListPrice = count(4), let implausible = count(5), let input = count(6), let cachedInput = count(7),
              let cacheWrite = count(8), let cacheWrite1h = count(9), let output = count(10), let reasoning = count(11)
        else { return nil }
        (self.requests, self.adjustments, self.estimated) = (requests, adjustments, estimated)
        (self.unpriced, self.withoutListPrice, self.implausible) = (unpriced, withoutListPrice, implausible)
        (self.input, self.cachedInput, self.cacheWrite, self.cacheWrite1h) = (input, cachedInput, cacheWrite, cacheWrite1h)
        (self.output, self.reasoning) = (output, reasoning)
        cost = SplitSum(high: column(12), low: column(13))
        listCost = SplitSum(high: column(14), low: column(15))
        listedCost = SplitSum(high: column(16), low: column(17))
    }
}

/// Rollup deltas gathered over a batch, written once per key when the batch commits.
///
/// Names are interned per batch, so each row hashes its names once rather than once per grain.
struct RollupAccumulator: Sendable {
    struct Key: Hashable, Sendable {
        var grain: RollupGrain
        var bucket: Int64
        var tag: Int32
        var provider: Int32
        var model: Int32
        var project: Int32
        var user: Int32
    }

    private var deltas: [Key: RollupTotals] = [:]
    private var names: [String] = [""]
    private var ids: [String: Int32] = ["": 0]

    /// What a grain keeps, worked out once rather than for every row.
    private struct GrainKey {
        var grain: RollupGrain
        var provider: Bool
        var model: Bool
        var project: Bool
        var user: Bool

        init(_ grain: RollupGrain) {
            self.grain = grain
            let family = grain.family
            (provider, model, project, user) = (family.keeps(.provider), family.keeps(.model), family.keeps(.project), family.keeps(.user))
        }
    }

    private static let untaggedGrains = RollupGrain.allCases.filter { !$0.family.isTagged }.map(GrainKey.init)
    private static let taggedGrains = RollupGrain.allCases.filter { $0.family.isTagged }.map(GrainKey.init)

    private mutating func id(_ name: String) -> Int32 {
        if let id = ids[name] { return id }
        let id = Int32(names.count)
        names.append(name)
        ids[name] = id
        return id
    }

    init() {}

    /// The sums of `entries`.
    init(summing entries: [LedgerEntry]) {
        for index in entries.indices { add(entries[index]) }
    }

    mutating func add(_ entry: LedgerEntry) {
        let provider = id(entry.provider)
        let model = id(entry.modelRequested)
        let project = id(entry.attribution.project ?? "")
        let user = id(entry.attribution.user ?? "")
        func add(_ grain: GrainKey, tag: Int32) {
            let key = Key(
                grain: grain.grain,
                bucket: grain.grain.bucket(ofMilliseconds: entry.timestampMs),
                tag: tag,
                provider: grain.provider ? provider : 0,
                model: grain.model ? model : 0,
                project: grain.project ? project : 0,
                user: grain.user ? user : 0
            )
            deltas[key, default: RollupTotals()].add(entry)
        }
        for grain in Self.untaggedGrains { add(grain, tag: 0) }
        let tags = entry.attribution.tags
        if tags.isEmpty {
            for grain in Self.taggedGrains { add(grain, tag: 0) }
        } else {
            for tag in tags {
                let tagID = id(tag)
                for grain in Self.taggedGrains { add(grain, tag: tagID) }
            }
        }
    }

    /// Adds another batch's sums. Both come from one transaction's rows, fewer than 2³¹ of
    /// plausible size, so no count or token sum can pass `Int64`.
    mutating func add(_ other: RollupAccumulator) {
        for (key, totals) in other.deltas {
            func local(_ id: Int32) -> Int32 { id == 0 ? 0 : self.id(other.names[Int(id)]) }
            let mapped = Key(
                grain: key.grain, bucket: key.bucket, tag: local(key.tag), provider: local(key.provider),
                model: local(key.model), project: local(key.project), user: local(key.user)
            )
            _ = deltas[mapped, default: RollupTotals()].formSum(totals)
        }
    }

    /// Every key touched, with its names, and the sums to add to it.
    func forEach(_ body: (RollupKey, RollupTotals) throws -> Void) rethrows {
        for (key, totals) in deltas {
            try body(
                RollupKey(
                    grain: key.grain, bucket: key.bucket, tag: names[Int(key.tag)], provider: names[Int(key.provider)],
                    model: names[Int(key.model)], project: names[Int(key.project)], user: names[Int(key.user)]
                ),
                totals
            )
        }
    }
}

/// The rollup sums of one large batch, added up on another thread while the writer inserts the
/// batch's rows: on two cores the sums then cost the append almost nothing.
final class ConcurrentRollupSum: Sendable {
    /// Batches smaller than this are summed on the writer's thread: a hand-off costs more.
    static let minimumRows = 2048

    private let result = Mutex<RollupAccumulator?>(nil)
    private let done = DispatchGroup()

    /// Starts summing `entries`.
    init(_ entries: [LedgerEntry]) {
        done.enter()
        DispatchQueue.global(qos: .userInitiated).async { [self] in
            var sums = RollupAccumulator()
            for index in entries.indices { sums.add(entries[index]) }
            result.withLock { $0 = sums }
            done.leave()
        }
    }

    /// Waits for the sums.
    func wait() -> RollupAccumulator {
        done.wait()
        return result.withLock { $0 ?? RollupAccumulator() }
    }
}
