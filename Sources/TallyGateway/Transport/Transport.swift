import Synchronization

/// The HTTP client a `Gateway` sends its upstream requests through: one libcurl multi handle
/// driven by one dedicated thread, shared by every request.
///
/// Create one per process and share it: every request through it reuses connections (and
/// HTTP/2 multiplexing where the upstream offers it). The transport stops when the last
/// reference to it, including every response still being read, is gone.
public final class Transport: Sendable {
    /// Timeouts and limits of a ``Transport``.
    public struct Configuration: Sendable {
        /// How long to wait for a connection (TCP and TLS) to be made. Default: 10 seconds.
        public var connectTimeout: Duration
        /// How long a transfer may receive no byte before it fails; `nil` for never.
        /// A transfer paused because its reader is slow is never idle. Default: 5 minutes.
        public var idleTimeout: Duration?
        /// The longest a whole transfer may take; `nil` (the default) for no limit, as streams need.
        public var totalTimeout: Duration?
        /// How many redirects to follow; 0 to return a redirect as the response. Default: 5.
        public var maximumRedirects: Int
        /// Body bytes held for a slow reader before the transfer is paused. Default: 256 KiB.
        public var maximumBufferedBytesPerTransfer: Int
        /// Idle connections kept open for reuse. Default: 256. (libcurl's own default, 4 per
        /// transfer in flight, closes most connections after a burst of requests ends.)
        public var maximumCachedConnections: Int
        /// A PEM file of certificate authorities to trust instead of the system store; `nil`
        /// (the default) for the system store.
        public var certificateAuthoritiesFile: String?

        /// The defaults described on each property.
        public init(
            connectTimeout: Duration = .seconds(10),
            idleTimeout: Duration? = .seconds(300),
            totalTimeout: Duration? = nil,
            maximumRedirects: Int = 5,
            maximumBufferedBytesPerTransfer: Int = 256 * 1024,
            maximumCachedConnections: Int = 256,
            certificateAuthoritiesFile: String? = nil
        ) {
            self.connectTimeout = connectTimeout
            self.idleTimeout = idleTimeout
            self.totalTimeout = totalTimeout
            self.maximumRedirects = maximumRedirects
            self.maximumBufferedBytesPerTransfer = maximumBufferedBytesPerTransfer
            self.maximumCachedConnections = maximumCachedConnections
            self.certificateAuthoritiesFile = certificateAuthoritiesFile
        }
    }

    /// The settings this transport was created with.
    public let configuration: Configuration
    let loop: CurlLoop
    private let counters = TransportCounters()
    private let nextID = Atomic<UInt64>(1)

    /// Starts the transport's thread and libcurl multi handle.
    /// - Throws: ``TransportError`` when libcurl cannot be initialised.
    public init(configuration: Configuration = Configuration()) throws(TransportError) {
        self.configuration = configuration
        self.loop = try CurlLoop(configuration: configuration, counters: counters)
        loop.start()
    }

    deinit {
        loop.enqueue(.shutdown)
    }

    /// Sends `request` and returns once the final response head has arrived; read the body from
    /// the returned response. Throws `TransportError` (code `cancelled` when the task is cancelled).
    package func execute(_ request: Request) async throws -> Response {
        try await start(request, holdingBody: false).response()
    }

    /// Starts `request` now and returns at once; its response is awaited with
    /// ``StartedRequest/response()``.
    ///
    /// With `holdingBody`, the transfer connects and sends the request head, but not its body,
    /// until ``StartedRequest/releaseBody()``: an upstream cannot act on a request whose body
    /// has not arrived, so a caller can do its own work (the gateway's journal row) while the
    /// connection is set up, and cancel the request if that work fails.
    package func start(_ request: Request, holdingBody: Bool) -> StartedRequest {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).oldValue
        let highWater = max(configuration.maximumBufferedBytesPerTransfer, 1)
        let state = TransferState(
            id: id, url: request.url, highWater: highWater, lowWater: highWater / 4, counters: counters,
            holdingBody: holdingBody && request.body != nil)
        let handle = TransferHandle(state: state, transport: self)
        if Task.isCancelled {
            return StartedRequest(handle: handle, failure: .cancelled(url: request.url))
        }
        guard loop.enqueue(.start(state, request)) else {
            return StartedRequest(handle: handle, failure: TransportError(
                code: .shutdown, url: request.url, message: "the transport shut down before the request to \(request.url)"))
        }
        return StartedRequest(handle: handle, failure: nil)
    }

    /// A request handed to the curl thread, whose response head is still to come.
    package struct StartedRequest: Sendable {
        let handle: TransferHandle
        /// Why the request could not be started at all.
        let failure: TransportError?

        /// Lets a held-back body go upstream (a no-op when none is held).
        package func releaseBody() {
            handle.releaseBody()
        }

        /// Abandons the request: its transfer is removed and its connection closed if the
        /// request was not complete.
        package func cancel() {
            handle.cancel()
        }

        /// Waits for the final response head. Throws `TransportError` (code `cancelled` when the
        /// task is cancelled).
        package func response() async throws -> Response {
            if let failure { throw failure }
            let head = try await handle.head()
            return Response(status: head.status, headers: head.headers, httpVersion: head.httpVersion, body: Body(handle: handle))
        }
    }

    /// The transport's counters now.
    package var statistics: Statistics {
        Statistics(
            liveTransfers: counters.liveTransfers.load(ordering: .relaxed),
            bufferedBytes: counters.bufferedBytes.load(ordering: .relaxed),
            peakTransferBufferedBytes: counters.peakTransferBufferedBytes.load(ordering: .relaxed),
            pauses: counters.pauses.load(ordering: .relaxed),
            resumes: counters.resumes.load(ordering: .relaxed),
            newConnections: counters.newConnections.load(ordering: .relaxed),
            completedTransfers: counters.completedTransfers.load(ordering: .relaxed)
        )
    }
}
