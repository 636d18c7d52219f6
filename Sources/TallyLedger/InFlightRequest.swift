package import Foundation

/// What the in-flight journal keeps of a request sent upstream: enough to price it if it never finishes.
package struct InFlightRequest: Sendable, Hashable {
    /// The client's X-Request-ID, or a new UUID.
    package var id: String
    /// When the request was sent, in UTC milliseconds since 1970.
    package var timestampMs: Int64
    /// The provider the request goes to.
    package var provider: String
    /// The model asked for.
    package var model: String
    /// The API endpoint.
    package var endpoint: String
    /// Whether a stream was asked for.
    package var streamed: Bool
    /// The caller's estimate of the prompt's tokens, used when the request never finishes.
    package var estimatedInputTokens: Int64
    /// Project, user and tags.
    package var attribution: Attribution

    /// Creates an in-flight request.
    package init(
        id: String = UUID().uuidString,
        timestamp: Date,
        provider: String,
        model: String,
        endpoint: String,
        streamed: Bool = false,
        estimatedInputTokens: Int64,
        attribution: Attribution = .none
    ) {
        self.id = id
        self.timestampMs = LedgerEntry.milliseconds(timestamp)
        self.provider = provider
        self.model = model
        self.endpoint = endpoint
        self.streamed = streamed
        self.estimatedInputTokens = estimatedInputTokens
        self.attribution = attribution
    }

    /// When the request was sent.
    package var timestamp: Date { Date(timeIntervalSince1970: TimeInterval(timestampMs) / 1000) }
}

/// A request recorded in the journal; hand it to `Ledger.append(completing:with:)` to append its row.
package struct InFlightTicket: Sendable, Hashable {
    /// The journal row.
    let journalSeq: Int64
    /// The request as begun.
    package let request: InFlightRequest
}
