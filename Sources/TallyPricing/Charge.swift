import TallyUsage

/// Names the price entry a cost was computed from, as the ledger records it.
public struct PriceEntryRef: Sendable, Hashable, Codable {
    /// The provider whose table holds the entry ("openai", "holysheep").
    public var provider: String
    /// The table the entry was read from: a bundled path ("official/openai.json") or a user file's path.
    public var table: String
    /// The model's key in that table.
    public var model: String
    /// The entry's `from` date ("2025-06-10"), or nil for an entry in force from the beginning.
    public var from: String?
    /// The long-context tier applied (its prompt-token threshold), or nil for base prices.
    public var tierAbove: Int64?

    /// Creates a reference to a price entry.
    public init(provider: String, table: String, model: String, from: String?, tierAbove: Int64? = nil) {
        self.provider = provider
        self.table = table
        self.model = model
        self.from = from
        self.tierAbove = tierAbove
    }
}

/// What one request costs: what the caller pays, and what the official API would have charged.
public struct Charge: Sendable, Hashable {
    /// What the caller really pays, in USD: the provider's price times its credit rate.
    public var cost: Money
    /// The same usage at the official provider's price; nil when no official price is known.
    public var listCost: Money?
    /// The entry `cost` was computed from.
    public var entry: PriceEntryRef
    /// The official entry `listCost` was computed from.
    public var listEntry: PriceEntryRef?

    /// Creates a charge.
    public init(cost: Money, listCost: Money?, entry: PriceEntryRef, listEntry: PriceEntryRef?) {
        self.cost = cost
        self.listCost = listCost
        self.entry = entry
        self.listEntry = listEntry
    }

    /// List cost minus cost; nil when the list cost is unknown (never reported as zero).
    public var savings: Money? { listCost.map { $0 - cost } }
}

/// The result of pricing a usage: a charge, or the reason there is none.
public enum PricingResult: Sendable, Hashable {
    /// The usage was priced.
    case priced(Charge)
    /// No price applies; the request's cost is unknown, not zero.
    case unpriced(Unpriced)

    /// The charge, when priced.
    public var charge: Charge? {
        if case .priced(let charge) = self { return charge }
        return nil
    }
}

/// Why a usage could not be priced.
public enum Unpriced: Sendable, Hashable, CustomStringConvertible {
    /// No table for the provider.
    case unknownProvider(String)
    /// The provider's table has no model of that name, alias or snapshot.
    case unknownModel(provider: String, model: String)
    /// The model is known, but its first price entry starts after the request.
    case noPriceInForce(provider: String, model: String, at: String)
    /// A token class is negative or above ``Usage/plausibleMaximum``: the report is not believed.
    case implausibleUsage
    /// The exact cost does not fit the ledger's amounts (more than about $9.2 billion).
    case costOutOfRange(provider: String, model: String)

    /// One line for a person.
    public var description: String {
        switch self {
        case .unknownProvider(let provider):
            "no price table for provider '\(provider)'"
        case .unknownModel(let provider, let model):
            "provider '\(provider)' has no price for model '\(model)'"
        case .noPriceInForce(let provider, let model, let at):
            "provider '\(provider)' model '\(model)' has no price in force at \(at)"
        case .implausibleUsage:
            "the usage has a token count below 0 or above \(Usage.plausibleMaximum), so it is not priced"
        case .costOutOfRange(let provider, let model):
            "provider '\(provider)' model '\(model)': the cost exceeds \(Money(nanoUSD: .max)), the largest amount Tally records"
        }
    }
}
