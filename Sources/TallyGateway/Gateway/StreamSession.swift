import Synchronization
import TallyPricing
import TallyStream
import TallyUsage

/// The state of one streamed response while its scope is open: pulls the transport's body,
/// parses and decodes it, hides the usage chunk the caller did not ask for, and remembers what
/// the ledger row needs. Pull-based: nothing runs unless a reader asks for the next chunk, so a
/// slow reader pauses the transfer in libcurl.
final class StreamSession: Sendable {
    /// How a stream's reading ended, as the ledger row needs it.
    struct Summary: Sendable {
        var outcome: Outcome
        var usage: Usage?
        /// Whether `usage` is the provider's final count (not a partial Anthropic report).
        var usageIsFinal: Bool
        var modelReturned: String?
        /// Answer, reasoning and tool-argument text received (its first MiB), for estimating the output.
        var outputText: [UInt8]
        /// Bytes of output text received past ``outputText``.
        var outputOverflowBytes: Int
        var firstTokenAt: ContinuousClock.Instant?
        var lastByteAt: ContinuousClock.Instant
    }

    enum Outcome: Sendable {
        case ok
        case error(GatewayError)
        case cancelled
    }

    private enum Phase: Sendable {
        case reading
        /// The transport's body ended; the verdict is thrown or returned on the next pull.
        case bodyEnded
        case finished
        case failed(GatewayError)
        case closed
    }

    private struct State: Sendable {
        var phase = Phase.reading
        var readerActive = false
        /// Parses the body when the caller asked for usage: every byte goes on, nothing is held.
        var parser = SSEParser()
        /// Parses the body block by block when the usage chunk may need hiding; it holds an
        /// unfinished block's bytes until the block ends.
        var reader = SSEBlockReader()
        var decoder: StreamDecoder
        /// The first ``StreamSession/outputTextLimit`` bytes of output text, for an estimate.
        var outputText: [UInt8] = []
        /// Output text bytes past the limit: counted, not kept.
        var outputOverflowBytes = 0
        var firstTokenAt: ContinuousClock.Instant?
        var lastByteAt: ContinuousClock.Instant?
        var providerError: ProviderError?
        var hiddenEvents = 0
        /// Whether the caller has been handed the end marker (`.done`).
        var endDelivered = false
        /// Whether any event of the stream's format was decoded (an undecodable one does not count).
        var sawEvent = false
        /// Bytes received while ``sawEvent`` is false.
        var bytesBeforeEvent = 0
    }

    /// Output text kept for an estimate; beyond it, bytes are only counted, so memory stays
    /// flat however long the stream.
    static let outputTextLimit = 1 << 20

    /// The most bytes a stream may send before its first event: past it, or at its end with no
    /// event at all, the body is not an event stream (an HTML page, a JSON body, plain text).
    static let bytesBeforeFirstEventLimit = 1 << 20

    let response: Transport.Response
    let prepared: PreparedRequest
    private let state: Mutex<State>

    init(response: Transport.Response, prepared: PreparedRequest) {
        self.response = response
        self.prepared = prepared
        self.state = Mutex(State(decoder: StreamDecoder(format: prepared.endpoint.wireFormat, usageConvention: prepared.usageConvention)))
    }

    /// The usage reported so far, hidden chunk included.
    var usage: Usage? { state.withLock { $0.decoder.usage } }

    /// How many events were hidden from the caller.
    var hiddenEvents: Int { state.withLock { $0.hiddenEvents } }

    // MARK: - Reading

    /// Notes that the caller was handed the end marker, so leaving now is not a cancellation.
    func noteEndDelivered() {
        state.withLock { $0.endDelivered = true }
    }

    /// The next piece of the stream: the bytes to forward and the events they hold; nil at the
    /// end of a complete stream. Throws when the stream fails or ends without its end marker.
    func nextChunk() async throws(GatewayError) -> GatewayStream.Chunk? {
        while true {
            let canRead: Result<Bool, GatewayError> = state.withLock { state in
                switch state.phase {
                case .reading:
                    if state.readerActive {
                        return .failure(GatewayError(
                            code: .invalidRequest,
                            message: "stream \(prepared.id) from \(prepared.url) is already being read: iterate one view, from one task",
                            requestID: prepared.id))
                    }
                    state.readerActive = true
                    return .success(true)
                case .bodyEnded:
                    return verdict(&state).map { _ in false }
                case .finished: return .success(false)
                case .failed(let error): return .failure(error)
                case .closed:
                    return .failure(GatewayError(
                        code: .cancelled,
                        message: "stream \(prepared.id) from \(prepared.url) was read after its scope ended",
                        requestID: prepared.id))
                }
            }
            guard try canRead.get() else { return nil }

            let received: Result<[UInt8]?, GatewayError>
            do {
                received = .success(try await response.body.handle.nextChunk())
            } catch {
                received = .failure(readFailure(error))
            }
            let outcome: Result<GatewayStream.Chunk?, GatewayError> = state.withLock { state in
                state.readerActive = false
                state.lastByteAt = .now
                guard case .reading = state.phase else {
                    // Closed while this read was waiting.
                    return .failure(GatewayError(
                        code: .cancelled, message: "stream \(prepared.id) from \(prepared.url) was closed", requestID: prepared.id))
                }
                switch received {
                case .failure(let error):
                    state.phase = .failed(error)
                    return .failure(error)
                case .success(nil):
                    state.parser.finish()
                    let unfinished = state.reader.finish()
                    state.phase = .bodyEnded
                    if !unfinished.isEmpty {
                        // An unfinished last block, held while it might be the usage chunk: pass
                        // its bytes on as they came.
                        return .success(GatewayStream.Chunk(bytes: unfinished, events: []))
                    }
                    return .success(nil)
                case .success(let bytes?):
                    do throws(GatewayError) {
                        let chunk = try process(bytes, &state)
                        if !state.sawEvent {
                            state.bytesBeforeEvent += bytes.count
                            if state.bytesBeforeEvent > Self.bytesBeforeFirstEventLimit { throw notAnEventStream() }
                        }
                        return .success(chunk)
                    } catch {
                        state.phase = .failed(error)
                        return .failure(error)
                    }
                }
            }
            if let chunk = try outcome.get(), !(chunk.bytes.isEmpty && chunk.events.isEmpty) {
                return chunk
            }
            // An empty piece (a held partial block, a hidden event): read on, or give the verdict.
        }
    }

    /// At the end of the body: nothing when the stream ended as it should, else the error.
    private func verdict(_ state: inout State) -> Result<Void, GatewayError> {
        if let error = state.providerError {
            let failure = GatewayError(
                code: .providerError,
                message: "\(prepared.url) reported an error in the stream of request \(prepared.id): "
                    + (error.message.isEmpty ? (error.type ?? error.code ?? "no message") : error.message),
                requestID: prepared.id)
            state.phase = .failed(failure)
            return .failure(failure)
        }
        if !state.decoder.isDone, !state.sawEvent {
            let failure = notAnEventStream()
            state.phase = .failed(failure)
            return .failure(failure)
        }
        if !state.decoder.isDone {
            let failure = GatewayError(
                code: .streamTruncated,
                message: "the stream from \(prepared.url) for request \(prepared.id) ended without its end marker",
                requestID: prepared.id)
            state.phase = .failed(failure)
            return .failure(failure)
        }
        state.phase = .finished
        return .success(())
    }

    /// The error of a body that holds no event of the endpoint's stream format.
    private func notAnEventStream() -> GatewayError {
        let status = response.status
        return GatewayError(
            code: .invalidResponse,
            message: "\(prepared.url) answered \(status) to request \(prepared.id) with a body that is not an event stream",
            requestID: prepared.id,
            reason: "the upstream answered \(status) with a body that is not an event stream")
    }

    private func readFailure(_ error: any Error) -> GatewayError {
        guard let error = error as? TransportError else {
            return GatewayError(
                code: .cancelled, message: "reading the stream from \(prepared.url) was cancelled", requestID: prepared.id)
        }
        if error.code == .cancelled {
            return GatewayError(code: .cancelled, message: error.message, requestID: prepared.id, transport: error)
        }
        return GatewayError(
            code: .transport,
            message: "the stream from \(prepared.url) for request \(prepared.id) failed: \(error)",
            requestID: prepared.id, transport: error)
    }

    /// Parses and decodes one chunk of the body. When the gateway asked for the usage chunk on
    /// the caller's behalf, the body is read block by block and a block holding only that usage
    /// report is dropped; every other byte goes on as it came.
    private func process(_ bytes: [UInt8], _ state: inout State) throws(GatewayError) -> GatewayStream.Chunk {
        // Parsers and decoder are moved out of `state` while they run, so the callbacks may
        // update the rest of it without overlapping accesses.
        var parser = SSEParser()
        var reader = SSEBlockReader()
        var decoder = StreamDecoder(format: prepared.endpoint.wireFormat, usageConvention: prepared.usageConvention)
        swap(&parser, &state.parser)
        swap(&reader, &state.reader)
        swap(&decoder, &state.decoder)
        defer {
            swap(&parser, &state.parser)
            swap(&reader, &state.reader)
            swap(&decoder, &state.decoder)
        }
        func decode(_ event: SSEEvent, _ emit: (StreamEvent) -> Void) {
            decoder.decode(event) { decoded in
                Self.note(decoded, in: &state)
                emit(decoded)
            }
        }
        var events: [StreamEvent] = []
        do {
            if prepared.callerAskedForUsage {
                // Nothing to hide: the bytes go on unchanged.
                try parser.parse(bytes) { event in decode(event) { events.append($0) } }
                return GatewayStream.Chunk(bytes: bytes, events: events)
            }
            var forward: [UInt8] = []
            try reader.parse(bytes) { block in
                var blockEvents: [StreamEvent] = []
                if let event = block.event { decode(event) { blockEvents.append($0) } }
                if Self.isUsageOnly(blockEvents) {
                    state.hiddenEvents += 1
                } else {
                    forward.append(contentsOf: block.bytes)
                    events.append(contentsOf: blockEvents)
                }
            }
            return GatewayStream.Chunk(bytes: forward, events: events)
        } catch {
            throw GatewayError(
                code: .invalidResponse,
                message: "the stream from \(prepared.url) for request \(prepared.id) could not be read: \(error)",
                requestID: prepared.id, reason: "the upstream's stream could not be read: \(error)")
        }
    }

    /// Keeps what the ledger row needs from one event.
    private static func note(_ event: StreamEvent, in state: inout State) {
        if case .undecodable = event {} else { state.sawEvent = true }
        func keep(_ text: String) {
            let room = StreamSession.outputTextLimit - state.outputText.count
            if text.utf8.count <= room {
                state.outputText.append(contentsOf: text.utf8)
            } else {
                state.outputText.append(contentsOf: text.utf8.prefix(max(0, room)))
                state.outputOverflowBytes += text.utf8.count - max(0, room)
            }
        }
        switch event {
        case .text(let text, _), .reasoning(let text, _):
            keep(text)
            if state.firstTokenAt == nil { state.firstTokenAt = .now }
        case .toolCall(let call):
            if let name = call.name { keep(name) }
            keep(call.arguments)
            if state.firstTokenAt == nil { state.firstTokenAt = .now }
        case .providerError(let error):
            if state.providerError == nil { state.providerError = error }
        default:
            break
        }
    }

    /// Whether a block's events are only the usage report the gateway asked for: `.usage`, with
    /// at most an empty-delta role (OpenRouter sends one beside its usage).
    static func isUsageOnly(_ events: [StreamEvent]) -> Bool {
        var sawUsage = false
        for event in events {
            switch event {
            case .usage: sawUsage = true
            case .role, .started: continue
            default: return false
            }
        }
        return sawUsage
    }

    // MARK: - Closing

    /// Ends the session when its scope ends: cancels the transfer unless it was read to its end,
    /// and says how the stream ended.
    func close(callerTaskCancelled: Bool) -> Summary {
        let summary: Summary = state.withLock { state in
            let outcome: Outcome
            switch state.phase {
            case .finished:
                outcome = .ok
            case .failed(let error):
                outcome = error.code == .cancelled ? .cancelled : .error(error)
            case .bodyEnded, .reading, .closed:
                // Left before the verdict. Fine once the caller was handed the end marker; an
                // error when the stream had already failed; else the caller cancelled.
                let ended: Bool = { if case .bodyEnded = state.phase { true } else { false } }()
                if state.endDelivered, state.providerError == nil {
                    outcome = .ok
                } else if ended, !callerTaskCancelled, case .failure(let error) = verdict(&state) {
                    outcome = .error(error)
                } else {
                    outcome = .cancelled
                }
            }
            state.phase = .closed
            return Summary(
                outcome: outcome,
                usage: state.decoder.usage,
                usageIsFinal: state.decoder.isDone || prepared.endpoint.wireFormat != .anthropicMessages,
                modelReturned: state.decoder.model,
                outputText: state.outputText,
                outputOverflowBytes: state.outputOverflowBytes,
                firstTokenAt: state.firstTokenAt,
                lastByteAt: state.lastByteAt ?? .now)
        }
        response.body.handle.cancel()  // a no-op when the transfer already ended
        return summary
    }
}
