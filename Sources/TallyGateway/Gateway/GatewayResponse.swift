public import HTTPTypes
public import TallyLedger
public import TallyPricing
public import TallyUsage

/// The answer to a non-streamed request, with what it was metered as.
public struct GatewayResponse: Sendable {
    /// The upstream's HTTP status (below 400).
    public var status: Int
    /// The upstream's response header fields.
    public var headers: HTTPFields
    /// The response body, unchanged.
    public var body: [UInt8]
    /// The usage written to the ledger.
    public var usage: Usage
    /// Whether ``usage`` was reported by the provider or estimated.
    public var usageSource: LedgerEntry.UsageSource
    /// The cost and list cost; nil when the model has no price (unknown, not zero).
    public var charge: Charge?
    /// The model the provider said answered, when it said.
    public var modelReturned: String?
    /// How many times the request was sent upstream.
    public var attempts: Int
    /// The request's ID, as in the ledger row.
    public var requestID: String
    /// The ledger row's sequence number.
    public var ledgerSequence: Int64
}
