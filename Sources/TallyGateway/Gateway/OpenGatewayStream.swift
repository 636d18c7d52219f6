import Synchronization

/// A streamed request in progress, held open outside a scope: its stream, and `close()`, which
/// ends the transfer if it is still running and writes the request's one ledger row.
///
/// `Gateway.stream(_:attribution:_:)` closes it when its scope ends; a caller of
/// `Gateway.openStream` must call `close()` itself. Dropping it unclosed still closes it, on a
/// task of its own, so a request never leaves its journal row behind in a running process.
package final class OpenGatewayStream: Sendable {
    /// The stream: head, events, chunks.
    package let stream: GatewayStream
    private let gateway: Gateway
    private let prepared: PreparedRequest
    private let meter: MeteredRequest
    private let retried: Transport.RetriedResponse
    private let session: StreamSession
    private let closed = Atomic<Bool>(false)

    init(gateway: Gateway, prepared: PreparedRequest, meter: MeteredRequest, retried: Transport.RetriedResponse) {
        let session = StreamSession(response: retried.response, prepared: prepared)
        self.session = session
        self.stream = GatewayStream(session: session)
        self.gateway = gateway
        self.prepared = prepared
        self.meter = meter
        self.retried = retried
    }

    /// Ends the transfer if it is still running and writes the ledger row; the first call only.
    /// - Throws: ``GatewayError`` with code `ledger` when the row could not be written (its
    ///   journal row then becomes an interrupted row when the ledger is next opened).
    package func close(callerTaskCancelled: Bool) async throws(GatewayError) {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        try await gateway.endStream(session, prepared: prepared, meter: meter, retried: retried, callerTaskCancelled: callerTaskCancelled)
    }

    /// ``close(callerTaskCancelled:)``, for a caller that has nothing to do about a ledger failure but log it.
    package func close() async {
        try? await close(callerTaskCancelled: Task.isCancelled)
    }

    deinit {
        guard !closed.load(ordering: .acquiring) else { return }
        // Last resort for a server that dropped a response without writing it: the row must
        // still be written, and a deinit cannot wait for it.
        let gateway = gateway, session = session, prepared = prepared, meter = meter, retried = retried
        Task {
            try? await gateway.endStream(session, prepared: prepared, meter: meter, retried: retried, callerTaskCancelled: true)
        }
    }
}
