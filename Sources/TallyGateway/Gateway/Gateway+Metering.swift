import Foundation
import TallyLedger
import TallyPricing
import TallyUsage

/// One request between its journal row and its ledger row.
struct MeteredRequest: Sendable {
    let ticket: InFlightTicket
    let url: String
    let startedAt: Date
    let startInstant: ContinuousClock.Instant
    let estimatedInputTokens: Int64

    var request: InFlightRequest { ticket.request }

    /// A ledger row for the request with zero usage, reported; the caller fills in the rest.
    func row(outcome: LedgerEntry.Outcome, status: Int?, attempts: Int) -> LedgerEntry {
        var row = LedgerEntry(
            id: request.id, timestamp: startedAt, provider: request.provider, modelRequested: request.model,
            endpoint: request.endpoint, streamed: request.streamed, outcome: outcome, httpStatus: status,
            attempts: attempts, usage: Usage(), usageSource: .reported, pricing: nil, attribution: request.attribution)
        row.latencyMs = milliseconds(to: .now)
        return row
    }

    /// Whole milliseconds from sending to `instant`.
    func milliseconds(to instant: ContinuousClock.Instant) -> Int64 {
        let elapsed = startInstant.duration(to: instant).components
        return max(0, elapsed.seconds * 1000 + elapsed.attoseconds / 1_000_000_000_000_000)
    }
}

extension Gateway {
    /// Journals `prepared` and sends it, retrying as the policy says; returns its meter and the
    /// response (a failed request is recorded and thrown).
    ///
    /// The first attempt starts before the journal row is written, with its body held back: the
    /// connection is made and the request head sent while the row commits, and the body follows
    /// once the row is durable. An upstream cannot act on a request whose body never came, so a
    /// crash, or a journal that fails (the attempt is then cancelled), leaves nothing billed
    /// unrecorded.
    func journalAndSend(_ prepared: PreparedRequest, attribution: Attribution) async throws(GatewayError) -> (MeteredRequest, Transport.RetriedResponse) {
        let first = transport.start(prepared.transportRequest, holdingBody: true)
        let meter: MeteredRequest
        do {
            meter = try await begin(prepared, attribution: attribution)
        } catch {
            first.cancel()
            throw error
        }
        first.releaseBody()
        do {
            return (meter, try await transport.send(prepared.transportRequest, retrying: retry, firstAttempt: first))
        } catch {
            throw await record(error, of: prepared, meter: meter)
        }
    }

    /// Writes the journal row of a prepared request, before its body is sent upstream.
    func begin(_ prepared: PreparedRequest, attribution: Attribution) async throws(GatewayError) -> MeteredRequest {
        let estimated = parsedBodyEstimator?.inputTokens(
            ofRequest: prepared.parsedBody, bytes: prepared.originalBody, endpoint: prepared.endpoint, model: prepared.model)
            ?? estimator.inputTokens(ofRequest: prepared.originalBody, endpoint: prepared.endpoint, model: prepared.model)
        return try await begin(
            id: prepared.id, provider: upstream.provider, model: prepared.model, endpoint: prepared.endpoint,
            streamed: prepared.streamed, estimatedInputTokens: estimated, attribution: attribution, url: prepared.url)
    }

    func begin(
        id: String, provider: String, model: String, endpoint: Endpoint, streamed: Bool,
        estimatedInputTokens: Int64, attribution: Attribution, url: String
    ) async throws(GatewayError) -> MeteredRequest {
        let startedAt = Date()
        let request = InFlightRequest(
            id: id, timestamp: startedAt, provider: provider, model: model, endpoint: endpoint.path,
            streamed: streamed, estimatedInputTokens: estimatedInputTokens, attribution: attribution)
        do {
            let ticket = try await ledger.begin(request)
            return MeteredRequest(
                ticket: ticket, url: url, startedAt: startedAt, startInstant: .now,
                estimatedInputTokens: estimatedInputTokens)
        } catch {
            throw GatewayError(
                code: .ledger,
                message: "request \(id) for \(url) was not sent: the ledger \(ledger.location) could not journal it: \(error)",
                requestID: id, underlying: error)
        }
    }

    /// Prices `row` (``PriceBook/charge(provider:requestedModel:returnedModel:at:usage:)`` at the
    /// time the request started) and appends it, removing the journal row; returns its sequence
    /// and charge.
    func priceAndAppend(_ row: LedgerEntry, for meter: MeteredRequest) async throws(GatewayError) -> (Int64, Charge?) {
        var row = row
        let pricing = prices.charge(
            provider: row.provider, requestedModel: row.modelRequested, returnedModel: row.modelReturned,
            at: meter.startedAt, usage: row.usage
        )
        row.apply(pricing)
        do {
            let sequence = try await ledger.append(completing: meter.ticket, with: row)
            observer?(row)
            return (sequence, pricing.charge)
        } catch {
            throw GatewayError(
                code: .ledger,
                message: "request \(row.id) to \(meter.url) ended, but the ledger \(ledger.location) could not record it "
                    + "(its journal row stays and becomes an interrupted row when the ledger is next opened): \(error)",
                requestID: row.id, underlying: error)
        }
    }

    /// Writes the row of a failed request and returns the error to throw, naming the row.
    func write(_ row: LedgerEntry, failure: GatewayError, meter: MeteredRequest) async -> GatewayError {
        do {
            let (sequence, _) = try await priceAndAppend(row, for: meter)
            var failure = failure
            failure.ledgerSequence = sequence
            return failure
        } catch {
            return error
        }
    }

    /// Records a request that failed before its response could be read (after any retries).
    func record(_ failure: RetryFailure, of prepared: PreparedRequest, meter: MeteredRequest) async -> GatewayError {
        let error: GatewayError
        var row: LedgerEntry
        switch failure.cause {
        case .upstream(let upstreamError):
            // The provider refused the request: it bills nothing for it.
            row = meter.row(outcome: .error, status: upstreamError.status, attempts: failure.attempts)
            row.usageSource = .estimated
            error = GatewayError(
                code: .upstreamStatus,
                message: "\(upstreamError) (request \(prepared.id), \(Self.attempts(failure.attempts)))",
                requestID: prepared.id, upstream: upstreamError)
        case .transport(let transportError):
            let cancelled = transportError.code == .cancelled
            row = meter.row(outcome: cancelled ? .cancelled : .error, status: nil, attempts: failure.attempts)
            row.usageSource = .estimated
            if !Self.neverReachedUpstream(transportError) {
                // The request may have reached the provider, which may bill its prompt.
                row.usage = Usage(input: meter.estimatedInputTokens)
            }
            error = GatewayError(
                code: cancelled ? .cancelled : .transport,
                message: cancelled
                    ? "request \(prepared.id) to \(prepared.url) was cancelled"
                    : "request \(prepared.id) to \(prepared.url) failed: \(transportError) (\(Self.attempts(failure.attempts)))",
                requestID: prepared.id, transport: transportError)
        }
        return await write(row, failure: error, meter: meter)
    }

    /// Records a response whose body is not the endpoint's JSON object (an HTML page, plain
    /// text, an array) as an `error` row, and returns the ``GatewayError/Code/invalidResponse``
    /// to throw: a success status does not make it an answer.
    func recordUnreadableBody(_ error: any Error, prepared: PreparedRequest, meter: MeteredRequest, retried: Transport.RetriedResponse) async -> GatewayError {
        let status = retried.response.status
        var row = meter.row(outcome: .error, status: status, attempts: retried.attempts)
        row.usage = Usage(input: meter.estimatedInputTokens)
        row.usageSource = .estimated
        let failure = GatewayError(
            code: .invalidResponse,
            message: "\(prepared.url) answered \(status) to request \(prepared.id) with a body that is not a JSON response: \(error)",
            requestID: prepared.id,
            reason: "the upstream answered \(status) with a body that is not a JSON response")
        return await write(row, failure: failure, meter: meter)
    }

    /// The error for a response body that could not be read.
    func bodyFailure(_ error: any Error, prepared: PreparedRequest) -> GatewayError {
        guard let error = error as? TransportError else {
            return GatewayError(code: .cancelled, message: "request \(prepared.id) to \(prepared.url) was cancelled", requestID: prepared.id)
        }
        let code: GatewayError.Code = switch error.code {
        case .cancelled: .cancelled
        case .invalidResponse: .invalidResponse
        default: .transport
        }
        return GatewayError(
            code: code, message: "reading the response of request \(prepared.id) from \(prepared.url) failed: \(error)",
            requestID: prepared.id, transport: error)
    }

    /// Whether a transport failure happened before the request could reach the provider.
    static func neverReachedUpstream(_ error: TransportError) -> Bool {
        [.couldNotResolve, .couldNotConnect, .connectTimeout, .tls, .invalidRequest, .shutdown].contains(error.code)
    }

    static func attempts(_ count: Int) -> String {
        count == 1 ? "1 attempt" : "\(count) attempts"
    }
}
