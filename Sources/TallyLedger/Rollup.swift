import TallyPricing

/// The rollup grains kept in `ledger_rollup` (see migrations/0001_ledger.sql).
enum RollupGrain: Int64, CaseIterable, Sendable {
    /// UTC hour × provider × model × project × user.
    case hourFull = 0
    /// UTC hour × provider × model.
    case hourModel = 1
    /// UTC day × provider × model.
    case dayModel = 2
    /// UTC day × provider × model × project × user.
    case dayFull = 3

    static let millisecondsPerHour: Int64 = 3_600_000
    static let millisecondsPerDay: Int64 = 86_400_000

    var isDay: Bool { self == .dayModel || self == .dayFull }
    var isFull: Bool { self == .hourFull || self == .dayFull }
    var bucketMilliseconds: Int64 { isDay ? Self.millisecondsPerDay : Self.millisecondsPerHour }

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
    var provider: String
    var model: String
    var project: String
    var user: String
}

/// The sums one rollup row holds.
struct RollupTotals: Sendable, Hashable {
    var requests: Int64 = 0
    var adjustments: Int64 = 0
    var estimated: Int64 = 0
    var unpriced: Int64 = 0
    var withoutListPrice: Int64 = 0
    var input: Int64 = 0
    var cachedInput: Int64 = 0
    var cacheWrite: Int64 = 0
    var cacheWrite1h: Int64 = 0
    var output: Int64 = 0
    var reasoning: Int64 = 0
    var cost: Int64 = 0
    var listCost: Int64 = 0
    var listedCost: Int64 = 0

    mutating func add(_ entry: LedgerEntry) {
        if entry.kind == .request { requests += 1 } else { adjustments += 1 }
        if entry.usageSource == .estimated { estimated += 1 }
        input &+= entry.usage.input
        cachedInput &+= entry.usage.cachedInput
        cacheWrite &+= entry.usage.cacheWrite
        cacheWrite1h &+= entry.usage.cacheWrite1h
        output &+= entry.usage.output
        reasoning &+= entry.usage.reasoning
        if let cost = entry.cost { self.cost &+= cost.nanoUSD } else { unpriced += 1 }
        if entry.listCost == nil { withoutListPrice += 1 }
        if let list = entry.listCost, let cost = entry.cost {
            listCost &+= list.nanoUSD
            listedCost &+= cost.nanoUSD
        }
    }
}

/// Rollup deltas gathered over a batch, written once per key when the batch commits.
struct RollupAccumulator {
    private(set) var deltas: [RollupKey: RollupTotals] = [:]

    mutating func add(_ entry: LedgerEntry) {
        let project = entry.attribution.project ?? ""
        let user = entry.attribution.user ?? ""
        for grain in RollupGrain.allCases {
            let key = RollupKey(
                grain: grain,
                bucket: grain.bucket(ofMilliseconds: entry.timestampMs),
                provider: entry.provider,
                model: entry.modelRequested,
                project: grain.isFull ? project : "",
                user: grain.isFull ? user : ""
            )
            deltas[key, default: RollupTotals()].add(entry)
        }
    }

    var isEmpty: Bool { deltas.isEmpty }
}
