public import Foundation
public import TallyPricing
public import TallyUsage

/// One ledger row: a metered request, or an adjustment of an earlier row. Never holds a key or a prompt.
public struct LedgerEntry: Sendable, Hashable {
    /// Whether the row is a request or a correction of one.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// A request that went through Tally.
        case request
        /// A correction of an earlier row; its amounts and tokens add to the totals.
        case adjustment
    }

    /// How a request ended.
    public enum Outcome: String, Sendable, Hashable, CaseIterable {
        /// The provider answered in full.
        case ok
        /// The provider or the transport failed.
        case error
        /// The caller cancelled.
        case cancelled
        /// The process ended while the request was in flight; recovered from the journal.
        case interrupted
    }

    /// Where the token counts come from.
    public enum UsageSource: String, Sendable, Hashable, CaseIterable {
        /// Reported by the provider.
        case reported
        /// Estimated by the tokenizer.
        case estimated
    }

    /// The client's X-Request-ID, or a new UUID.
    public var id: String
    /// Request or adjustment.
    public var kind: Kind
    /// When the request was sent, in UTC milliseconds since 1970.
    public var timestampMs: Int64
    /// The provider (price table) the request went to.
    public var provider: String
    /// The model the caller asked for.
    public var modelRequested: String
    /// The model the provider says answered, when it said.
    public var modelReturned: String?
    /// The API endpoint ("chat/completions", "messages").
    public var endpoint: String
    /// Whether the response was streamed.
    public var streamed: Bool
    /// How the request ended.
    public var outcome: Outcome
    /// The final HTTP status, when there was one.
    public var httpStatus: Int?
    /// How many times the request was sent upstream.
    public var attempts: Int
    /// Tokens per class; `flags` marks inconsistent reports.
    public var usage: Usage
    /// Whether the usage was reported or estimated.
    public var usageSource: UsageSource
    /// What the caller pays; nil when unpriced (unknown, never zero).
    public var cost: Money?
    /// The same usage at the official price; nil when unknown.
    public var listCost: Money?
    /// The price entry `cost` came from.
    public var priceEntry: PriceEntryRef?
    /// The official price entry `listCost` came from.
    public var listPriceEntry: PriceEntryRef?
    /// Milliseconds from sending to the last byte.
    public var latencyMs: Int64?
    /// Milliseconds from sending to the first byte of the answer.
    public var firstTokenMs: Int64?
    /// Project, user and tags.
    public var attribution: Attribution
    /// For an adjustment: the `seq` of the row it corrects.
    public var adjusts: Int64?

    /// Creates a request row.
    public init(
        id: String = UUID().uuidString,
        timestamp: Date,
        provider: String,
        modelRequested: String,
        modelReturned: String? = nil,
        endpoint: String,
        streamed: Bool = false,
        outcome: Outcome = .ok,
        httpStatus: Int? = nil,
        attempts: Int = 1,
        usage: Usage,
        usageSource: UsageSource = .reported,
        pricing: PricingResult?,
        latencyMs: Int64? = nil,
        firstTokenMs: Int64? = nil,
        attribution: Attribution = .none
    ) {
        self.id = id
        self.kind = .request
        self.timestampMs = Self.milliseconds(timestamp)
        self.provider = provider
        self.modelRequested = modelRequested
        self.modelReturned = modelReturned
        self.endpoint = endpoint
        self.streamed = streamed
        self.outcome = outcome
        self.httpStatus = httpStatus
        self.attempts = attempts
        self.usage = usage
        self.usageSource = usageSource
        self.latencyMs = latencyMs
        self.firstTokenMs = firstTokenMs
        self.attribution = attribution
        self.adjusts = nil
        self.apply(pricing)
    }

    /// Sets cost, list cost and their entries from a pricing result (nil or unpriced clears them).
    public mutating func apply(_ pricing: PricingResult?) {
        let charge = pricing?.charge
        cost = charge?.cost
        listCost = charge?.listCost
        priceEntry = charge?.entry
        listPriceEntry = charge?.listEntry
    }

    /// Creates an adjustment of row `seq`: its tokens and amounts are added to the totals.
    public static func adjustment(
        of seq: Int64,
        id: String = UUID().uuidString,
        timestamp: Date,
        provider: String,
        model: String,
        usage: Usage = Usage(),
        cost: Money?,
        listCost: Money?,
        attribution: Attribution = .none
    ) -> LedgerEntry {
        var entry = LedgerEntry(
            id: id, timestamp: timestamp, provider: provider, modelRequested: model, endpoint: "adjustment",
            usage: usage, pricing: nil, attribution: attribution
        )
        entry.kind = .adjustment
        entry.adjusts = seq
        entry.cost = cost
        entry.listCost = listCost
        return entry
    }

    /// When the request was sent.
    public var timestamp: Date { Date(timeIntervalSince1970: TimeInterval(timestampMs) / 1000) }

    /// A date as whole UTC milliseconds since 1970, rounded down.
    static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }
}

/// A row as read back from the ledger: its append sequence number and its contents.
public struct StoredLedgerEntry: Sendable, Hashable {
    /// The row's position in append order; adjustments refer to it.
    public var seq: Int64
    /// The row.
    public var entry: LedgerEntry
}
