import Foundation
public import TallyLedger
public import TallyPricing
import TallyStream
public import TallyUsage

/// Sends LLM API requests to one upstream and meters each of them: whatever happens to a call,
/// it leaves exactly one priced row in the ledger.
///
/// ```swift
/// let ledger = try Ledger(path: "ledger.sqlite", prices: PriceBook())
/// let gateway = try Gateway(upstream: .openAI(apiKey: key), ledger: ledger)
/// let reply = try await gateway.send(GatewayRequest(endpoint: .chatCompletions, json: body))
/// ```
///
/// Streamed, with the spend attributed to a project:
///
/// ```swift
/// let answer = try await gateway.stream(GatewayRequest(endpoint: .chatCompletions, json: body),
///                                       attribution: Attribution(project: "search")) { stream in
///     var text = ""
///     for try await event in stream.events { if case .text(let piece, _) = event { text += piece } }
///     return text
/// }
/// ```
///
/// One `Gateway` per upstream; several may share a ``Transport`` and a `Ledger`.
public final class Gateway: Sendable {
    /// Where requests go, and the price table they are priced with.
    public let upstream: Upstream
    /// Where every request is recorded.
    public let ledger: Ledger
    /// The prices rows are costed with.
    public let prices: PriceBook
    /// The HTTP client.
    public let transport: Transport
    /// When failed attempts are retried.
    public let retry: RetryPolicy
    /// Estimates usage the provider did not report.
    public let estimator: any UsageEstimator
    /// ``estimator`` when it counts the parse the adapter made, so a body is parsed once.
    let parsedBodyEstimator: (any ParsedBodyEstimator)?
    /// Called with every ledger row the gateway writes, priced (the proxy's metrics).
    package let observer: (@Sendable (LedgerEntry) -> Void)?

    /// The largest non-streamed response body read (64 MiB).
    public static let maximumResponseBytes = 64 << 20

    /// Creates a gateway to `upstream`, recording into `ledger` at `prices`. Without a
    /// `transport`, it makes its own.
    public convenience init(
        upstream: Upstream,
        ledger: Ledger,
        prices: PriceBook,
        transport: Transport? = nil,
        retry: RetryPolicy = .standard,
        estimator: any UsageEstimator = TokenizerEstimator()
    ) throws(TransportError) {
        try self.init(upstream: upstream, ledger: ledger, prices: prices, transport: transport, retry: retry, estimator: estimator, observer: nil)
    }

    /// Creates a gateway to `upstream` that prices with the ledger's price tables (the bundled
    /// ones when the ledger was opened without any).
    ///
    /// - Throws: ``TransportError`` when no transport can be made, `PriceTableError` when the
    ///   bundled tables must be loaded and cannot be.
    public convenience init(upstream: Upstream, ledger: Ledger, transport: Transport? = nil, retry: RetryPolicy = .standard) throws {
        let prices = try ledger.prices ?? PriceBook()
        try self.init(upstream: upstream, ledger: ledger, prices: prices, transport: transport, retry: retry, observer: nil)
    }

    /// A gateway whose written rows are also handed to `observer`.
    package init(
        upstream: Upstream,
        ledger: Ledger,
        prices: PriceBook,
        transport: Transport?,
        retry: RetryPolicy = .standard,
        estimator: any UsageEstimator = TokenizerEstimator(),
        observer: (@Sendable (LedgerEntry) -> Void)?
    ) throws(TransportError) {
        self.observer = observer
        self.upstream = upstream
        self.ledger = ledger
        self.prices = prices
        if let transport {
            self.transport = transport
        } else {
            self.transport = try Transport()
        }
        self.retry = retry
        self.estimator = estimator
        self.parsedBodyEstimator = estimator as? any ParsedBodyEstimator
    }

    // MARK: - Non-streamed

    /// Sends a non-streamed request and returns the upstream's answer once its ledger row is written.
    ///
    /// - Throws: ``GatewayError``; its ``GatewayError/ledgerSequence`` names the row written for
    ///   the failure (none for ``GatewayError/Code/invalidRequest``: nothing was sent).
    public func send(_ request: GatewayRequest, attribution: Attribution = .none) async throws(GatewayError) -> GatewayResponse {
        var prepared = try RequestAdapter.prepare(request, for: upstream, streaming: false)
        prepared.usageConvention = usageConvention(forModel: prepared.model)
        let (meter, retried) = try await journalAndSend(prepared, attribution: attribution)
        let body: [UInt8]
        do {
            body = try await retried.response.collectBody(upTo: Self.maximumResponseBytes)
        } catch {
            let failure = bodyFailure(error, prepared: prepared)
            var row = meter.row(outcome: failure.code == .cancelled ? .cancelled : .error, status: retried.response.status, attempts: retried.attempts)
            row.usage = Usage(input: meter.estimatedInputTokens)
            row.usageSource = .estimated
            throw await write(row, failure: failure, meter: meter)
        }
        let summary: ResponseSummary?
        do {
            summary = try ResponseSummary(decoding: body, format: prepared.endpoint.wireFormat, usageConvention: prepared.usageConvention)
        } catch {
            throw await recordUnreadableBody(error, prepared: prepared, meter: meter, retried: retried)
        }
        var row = meter.row(outcome: summary?.error == nil ? .ok : .error, status: retried.response.status, attempts: retried.attempts)
        row.modelReturned = summary?.model
        row.latencyMs = meter.milliseconds(to: .now)
        if let usage = summary?.usage {
            row.usage = usage
        } else {
            // No report: the prompt as counted before sending, the output re-counted from the
            // reply's text, as for a stream that ended without usage.
            let text = summary?.outputText ?? []
            row.usage = Usage(
                input: meter.estimatedInputTokens,
                output: estimator.outputTokens(ofText: text, model: summary?.model ?? prepared.model))
            row.usageSource = .estimated
        }
        if let error = summary?.error {
            let failure = GatewayError(
                code: .providerError,
                message: "\(prepared.url) answered \(retried.response.status) to request \(prepared.id) with an error: "
                    + (error.message.isEmpty ? (error.type ?? "no message") : error.message),
                requestID: prepared.id)
            throw await write(row, failure: failure, meter: meter)
        }
        let (sequence, charge) = try await priceAndAppend(row, for: meter)
        return GatewayResponse(
            status: retried.response.status, headers: retried.response.headers, body: body,
            usage: row.usage, usageSource: row.usageSource, charge: charge, modelReturned: row.modelReturned,
            attempts: retried.attempts, requestID: prepared.id, ledgerSequence: sequence)
    }

    // MARK: - Streamed

    /// Sends a streamed request and runs `body` with the stream; when `body` returns or throws,
    /// the stream is closed (its transfer cancelled if it was not read to the end) and its
    /// ledger row written. Returns what `body` returns.
    ///
    /// The body must ask for a stream (`"stream": true`). An OpenAI-dialect chat or completions
    /// stream that does not ask for usage gets `stream_options.include_usage` added, and the
    /// usage chunk is then kept from the caller (events and bytes alike).
    ///
    /// - Throws: ``GatewayError`` when the request is refused or fails before the stream starts,
    ///   else what `body` throws (iterating a failed stream throws ``GatewayError``).
    public func stream<R>(
        _ request: GatewayRequest,
        attribution: Attribution = .none,
        _ body: (GatewayStream) async throws -> R
    ) async throws -> R {
        let open = try await openStream(request, attribution: attribution)
        let result: Result<R, any Error>
        do {
            result = .success(try await body(open.stream))
        } catch {
            result = .failure(error)
        }
        try await open.close(callerTaskCancelled: Task.isCancelled)
        return try result.get()
    }

    /// Sends a streamed request and returns it open, for a caller that cannot hold a scope
    /// around the whole stream (an HTTP server writes the body after its handler returns).
    /// The caller must call ``OpenGatewayStream/close()`` when done with it.
    package func openStream(_ request: GatewayRequest, attribution: Attribution = .none) async throws(GatewayError) -> OpenGatewayStream {
        var prepared = try RequestAdapter.prepare(request, for: upstream, streaming: true)
        prepared.usageConvention = usageConvention(forModel: prepared.model)
        let (meter, retried) = try await journalAndSend(prepared, attribution: attribution)
        return OpenGatewayStream(gateway: self, prepared: prepared, meter: meter, retried: retried)
    }

    /// Writes the ledger row of a stream that has been closed.
    func endStream(_ session: StreamSession, prepared: PreparedRequest, meter: MeteredRequest, retried: Transport.RetriedResponse, callerTaskCancelled: Bool) async throws(GatewayError) {
        let summary = session.close(callerTaskCancelled: callerTaskCancelled)
        var row = meter.row(outcome: .ok, status: retried.response.status, attempts: retried.attempts)
        switch summary.outcome {
        case .ok: row.outcome = .ok
        case .error: row.outcome = .error
        case .cancelled: row.outcome = .cancelled
        }
        row.modelReturned = summary.modelReturned
        row.latencyMs = meter.milliseconds(to: summary.lastByteAt)
        row.firstTokenMs = summary.firstTokenAt.map(meter.milliseconds(to:))
        if let usage = summary.usage, summary.usageIsFinal {
            row.usage = usage
        } else {
            // No final report: the provider's own input counts when it sent them, else the
            // tokenizer's; the output re-counted from the text received.
            var counted = estimator.outputTokens(ofText: summary.outputText, model: summary.modelReturned ?? prepared.model)
            if summary.outputOverflowBytes > 0, !summary.outputText.isEmpty {
                // Past the first MiB, at the same tokens per byte.
                counted += counted * Int64(summary.outputOverflowBytes) / Int64(summary.outputText.count)
            }
            var usage = summary.usage ?? Usage(input: meter.estimatedInputTokens)
            usage.output = max(usage.output + usage.reasoning, counted)
            usage.reasoning = 0
            row.usage = usage
            row.usageSource = .estimated
        }
        _ = try await priceAndAppend(row, for: meter)
    }

    // MARK: - Metering a call made elsewhere

    /// Meters a call the application makes itself: `body` returns its result and the usage the
    /// provider reported (nil when it reported none). One ledger row is written either way:
    /// `ok` with that usage (zero and `estimated` when nil), or, when `body` throws, `error`
    /// (`cancelled` for a cancellation) with zero estimated usage, and the error is rethrown.
    public func meter<R>(
        provider: String? = nil,
        model: String,
        endpoint: Endpoint,
        id: String? = nil,
        streamed: Bool = false,
        attribution: Attribution = .none,
        _ body: () async throws -> (R, Usage?)
    ) async throws -> R {
        let id = id ?? RequestID.random()
        let meter = try await begin(
            id: id, provider: provider ?? upstream.provider, model: model, endpoint: endpoint,
            streamed: streamed, estimatedInputTokens: 0, attribution: attribution, url: "a call metered by the application")
        let result: Result<(R, Usage?), any Error>
        do {
            result = .success(try await body())
        } catch {
            result = .failure(error)
        }
        var row = meter.row(outcome: .ok, status: nil, attempts: 1)
        row.latencyMs = meter.milliseconds(to: .now)
        switch result {
        case .success((_, let usage?)):
            row.usage = usage
        case .success((_, nil)):
            row.usageSource = .estimated
        case .failure(let error):
            row.outcome = error is CancellationError || Task.isCancelled ? .cancelled : .error
            row.usageSource = .estimated
        }
        _ = try await priceAndAppend(row, for: meter)
        return try result.get().0
    }
}
