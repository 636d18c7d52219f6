/// The consumer's hold on one transfer. When the last copy of a response and its iterators are
/// gone, `deinit` cancels the transfer, so an abandoned stream never stays in the multi handle.
final class TransferHandle: Sendable {
    let state: TransferState
    /// Keeps the transport (and its curl thread) alive while a response is being read.
    let transport: Transport

    init(state: TransferState, transport: Transport) {
        self.state = state
        self.transport = transport
    }

    deinit {
        cancel()
    }

    func cancel() {
        if state.cancel() {
            transport.loop.enqueue(.cancel(state.id))
        }
    }

    func releaseBody() {
        if state.releaseBody() {
            transport.loop.enqueue(.releaseBody(state.id))
        }
    }

    func head() async throws -> TransferState.Head {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                state.awaitHead(continuation)
            }
        } onCancel: {
            cancel()
        }
    }

    func nextChunk() async throws -> [UInt8]? {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                if state.nextChunk(continuation) {
                    transport.loop.enqueue(.resume(state.id))
                }
            }
        } onCancel: {
            cancel()
        }
    }
}
