public import HTTPTypes
public import TallyStream
public import TallyUsage

/// A streamed response while its ``Gateway/stream(_:attribution:_:)`` scope is open: the
/// response head and two views of the body, of which you iterate one, once.
///
/// Iterating pulls the upstream's bytes as you go (a slow reader pauses the transfer). The
/// iteration ends normally exactly when the stream ended with its end marker (`[DONE]`,
/// `message_stop`, a terminal Responses event) and no provider error; otherwise it throws a
/// ``GatewayError`` (``GatewayError/Code/streamTruncated``, ``GatewayError/Code/providerError``,
/// ``GatewayError/Code/transport``, ``GatewayError/Code/cancelled``, …).
public struct GatewayStream: Sendable {
    /// A piece of the stream: the bytes to pass on to a client, and the events they hold.
    public struct Chunk: Sendable, Hashable {
        /// Bytes exactly as the upstream sent them, less the usage event the gateway asked for
        /// on the caller's behalf.
        public var bytes: [UInt8]
        /// The typed events those bytes hold.
        public var events: [StreamEvent]
    }

    let session: StreamSession

    /// The upstream's HTTP status (below 400).
    public var status: Int { session.response.status }
    /// The upstream's response header fields.
    public var headers: HTTPFields { session.response.headers }
    /// The request's ID, as in the ledger row.
    public var requestID: String { session.prepared.id }
    /// The model the request asked for.
    public var model: String { session.prepared.model }
    /// The usage the provider reported so far (also when its chunk was hidden from the caller).
    public var usage: Usage? { session.usage }

    /// The typed events of the stream.
    public var events: Events { Events(session: session) }
    /// The stream as chunks of bytes to forward, each with its events (for a proxy).
    public var chunks: Chunks { Chunks(session: session) }

    /// The typed events of a stream.
    public struct Events: AsyncSequence, Sendable {
        /// A typed event.
        public typealias Element = StreamEvent
        /// Iteration throws only ``GatewayError``.
        public typealias Failure = GatewayError

        let session: StreamSession

        /// An iterator that pulls the stream as it goes.
        public func makeAsyncIterator() -> Iterator {
            Iterator(session: session)
        }

        /// Pulls the stream's events.
        public struct Iterator: AsyncIteratorProtocol, Sendable {
            /// A typed event.
            public typealias Element = StreamEvent
            /// Iteration throws only ``GatewayError``.
            public typealias Failure = GatewayError

            let session: StreamSession
            private var pending: [StreamEvent] = []
            private var next = 0

            init(session: StreamSession) {
                self.session = session
            }

            /// The next event; nil after a complete stream's last one.
            public mutating func next() async throws(GatewayError) -> StreamEvent? {
                while next == pending.count {
                    guard let chunk = try await session.nextChunk() else { return nil }
                    pending = chunk.events
                    next = 0
                }
                defer { next += 1 }
                if pending[next] == .done { session.noteEndDelivered() }
                return pending[next]
            }

            /// The next event; nil after a complete stream's last one.
            public mutating func next(isolation actor: isolated (any Actor)?) async throws(GatewayError) -> StreamEvent? {
                try await next()
            }
        }
    }

    /// A stream's chunks of bytes with their events.
    public struct Chunks: AsyncSequence, Sendable {
        /// Bytes to forward and their events.
        public typealias Element = Chunk
        /// Iteration throws only ``GatewayError``.
        public typealias Failure = GatewayError

        let session: StreamSession

        /// An iterator that pulls the stream as it goes.
        public func makeAsyncIterator() -> Iterator {
            Iterator(session: session)
        }

        /// Pulls the stream's chunks.
        public struct Iterator: AsyncIteratorProtocol, Sendable {
            /// Bytes to forward and their events.
            public typealias Element = Chunk
            /// Iteration throws only ``GatewayError``.
            public typealias Failure = GatewayError

            let session: StreamSession

            /// The next chunk; nil after a complete stream's last one.
            public mutating func next() async throws(GatewayError) -> Chunk? {
                let chunk = try await session.nextChunk()
                if let chunk, chunk.events.contains(.done) { session.noteEndDelivered() }
                return chunk
            }

            /// The next chunk; nil after a complete stream's last one.
            public mutating func next(isolation actor: isolated (any Actor)?) async throws(GatewayError) -> Chunk? {
                try await next()
            }
        }
    }
}
