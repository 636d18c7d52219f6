/// Why a ``Gateway`` call failed. Switch on ``code``: new codes may be added without breaking callers.
///
/// The ``message`` says what failed and where (the URL, the status); it never holds an API key.
public struct GatewayError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as a value callers compare against the static members.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case upstreamStatus = "upstream error status"
            case transport = "transport failure"
            case invalidRequest = "invalid request"
            case invalidResponse = "invalid response"
            case streamTruncated = "stream truncated"
            case providerError = "provider error in the stream"
            case cancelled = "cancelled"
            case ledger = "ledger failure"
        }

        fileprivate var base: Base

        /// The upstream answered with an error status (after any retries); see ``GatewayError/upstream``.
        public static let upstreamStatus = Code(base: .upstreamStatus)
        /// The request or its response could not be exchanged (DNS, connect, TLS, reset, timeout);
        /// see ``GatewayError/transport``.
        public static let transport = Code(base: .transport)
        /// The request was refused before anything was sent: its body is not JSON, has no model,
        /// or does not fit the endpoint or the upstream. No ledger row is written for it.
        public static let invalidRequest = Code(base: .invalidRequest)
        /// The upstream's answer could not be read (an SSE event over the size limit, a body too
        /// large), or is not what the endpoint answers: a body that is not its JSON object, a
        /// stream with no event in its format.
        public static let invalidResponse = Code(base: .invalidResponse)
        /// The stream stopped before its end marker (`[DONE]`, `message_stop`, `response.completed`).
        public static let streamTruncated = Code(base: .streamTruncated)
        /// The provider reported an error inside the stream or the response body.
        public static let providerError = Code(base: .providerError)
        /// The caller cancelled.
        public static let cancelled = Code(base: .cancelled)
        /// The ledger could not record the request.
        public static let ledger = Code(base: .ledger)

        /// The code in words, e.g. "stream truncated".
        public var description: String { base.rawValue }
    }

    /// What went wrong.
    public var code: Code
    /// One sentence for a person: what failed and where.
    public var message: String
    /// The request's ID (the ledger row's `id`).
    public var requestID: String
    /// The upstream's error response, for code ``Code/upstreamStatus``.
    public var upstream: UpstreamError?
    /// The transport's error, for code ``Code/transport`` (and ``Code/cancelled`` when it came from there).
    public var transport: TransportError?
    /// The error the ledger threw, for code ``Code/ledger``.
    public var underlying: (any Error & Sendable)?
    /// What went wrong without the URL or any path, for a proxy to show its clients; nil when
    /// only ``code`` may be shown.
    package var reason: String?
    /// The ledger row written for the failed request; nil when none was (an invalid request,
    /// or an error met while a stream is read: its row is written when the stream's scope ends).
    public var ledgerSequence: Int64?

    package init(
        code: Code, message: String, requestID: String,
        upstream: UpstreamError? = nil, transport: TransportError? = nil, underlying: (any Error & Sendable)? = nil,
        reason: String? = nil
    ) {
        self.code = code
        self.message = message
        self.reason = reason
        self.requestID = requestID
        self.upstream = upstream
        self.transport = transport
        self.underlying = underlying
    }

    /// The HTTP status of an upstream error, when there was one.
    public var status: Int? { upstream?.status }

    /// The message.
    public var description: String { message }
}
