import Foundation
public import Hummingbird
import HummingbirdCore
import HTTPTypes
public import Logging
import NIOCore
import Synchronization
public import TallyGateway
public import TallyLedger
public import TallyPricing
import TallyStream

/// `tally serve`: an OpenAI- and Anthropic-compatible HTTP proxy that meters every call through
/// a `Gateway`, so apps in any language are metered by changing their base URL.
public struct ProxyServer: Sendable {
    /// What the server routes by, and who may use it.
    let configuration: ServerConfiguration
    /// One gateway per upstream, by the upstream's name, shared by every request (a client's own
    /// key travels with its request, not in a gateway of its own).
    let gateways: [String: Gateway]
    let keys: GatewayKeys
    let budgets: BudgetGuard
    let metrics = ProxyMetrics()
    let logger: Logger

    /// Creates the server; one `Gateway` per upstream, all sharing `transport` and `ledger`.
    public init(configuration: ServerConfiguration, ledger: Ledger, prices: PriceBook, transport: Transport, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        var gateways: [String: Gateway] = [:]
        let metrics = self.metrics
        for entry in configuration.upstreams {
            gateways[entry.name] = try Gateway(
                upstream: entry.upstream, ledger: ledger, prices: prices, transport: transport, observer: { metrics.record($0) }
            )
        }
        self.gateways = gateways
        keys = GatewayKeys(configuration.gatewayKeys)
        budgets = BudgetGuard(budgets: configuration.budgets, reader: ledger.reader)
    }

    /// Why the server could not listen, when `error` is a refused bind (the port taken, not
    /// allowed, or an address this machine does not have); nil for any other error.
    /// Shows a spool's backlog on `/metrics` (`tally_spool_unshipped_rows`, `tally_spool_oldest_unshipped_age_seconds`).
    package func recordSpoolBacklog(_ backlog: LedgerShipper.Backlog) {
        let age = backlog.oldest.map { max(0, Int64(Date().timeIntervalSince($0))) } ?? 0
        metrics.recordSpool(unshippedRows: backlog.rows, oldestSeconds: age)
    }

    package static func listenFailure(_ error: any Error) -> String? {
        guard let error = error as? IOError, [EADDRINUSE, EACCES, EADDRNOTAVAIL].contains(error.errnoCode) else { return nil }
        return String(cString: strerror(error.errnoCode)).lowercased()
    }

    /// Whether `host` is a loopback address.
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host.hasPrefix("127.") || host == "::1" || host == "[::1]"
    }

    /// The paths `POST` is routed on: one per endpoint.
    static let postPaths = [Endpoint.chatCompletions, .completions, .embeddings, .responses, .messages].map { ($0, "/v1/" + $0.path) }
    /// The paths `GET` is routed on.
    static let getPaths = ["/healthz", "/metrics", "/v1/models"]

    /// The routes, with CORS when origins are configured; what no route answers gets a JSON error.
    public func router() -> Router<ProxyRequestContext> {
        let router = Router(context: ProxyRequestContext.self)
        var methods: [String: [HTTPRequest.Method]] = [:]
        for (_, path) in Self.postPaths { methods[path, default: []].append(.post) }
        for path in Self.getPaths { methods[path, default: []].append(.get) }
        // CORS outside the error rendering, so a browser can read every error (a refusal from the
        // proxied routes' middleware too), not only the successes.
        if !configuration.corsOrigins.isEmpty {
            router.add(middleware: AllowedOriginsMiddleware(origins: Set(configuration.corsOrigins)))
        }
        router.add(middleware: RouteErrorMiddleware(methods: methods, logger: logger))
        router.get("healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{\"status\":\"ok\"}")))
        }
        router.get("metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.render()))
            )
        }
        // The proxied routes: each step a middleware, in order, each filling in the context or
        // refusing in the route's wire format; the handler routes the request and sends it.
        let proxied = router.group()
            .add(middleware: AttributionMiddleware())
            .add(middleware: GatewayKeyMiddleware(keys: keys, allowClientKeys: configuration.allowClientKeys))
            .add(middleware: RequestBodyMiddleware(maximumBytes: configuration.maximumBodyBytes))
            .add(middleware: BudgetMiddleware(budgets: budgets, logger: logger))
        for (endpoint, path) in Self.postPaths {
            proxied.post(RouterPath(String(path.dropFirst()))) { request, context in
                try await self.proxy(request, context: context, endpoint: endpoint)
            }
        }
        router.get("v1/models") { request, _ in await self.models(request) }
        return router
    }

    /// Builds the Hummingbird application listening on `host:port`.
    public func application(host: String, port: Int, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        Application(
            router: router(),
            server: Self.httpServer,
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
            logger: logger
        )
    }

    /// HTTP/1.1, with a watch on each connection so a client that leaves is noticed while its
    /// request waits for the upstream.
    static var httpServer: HTTPServerBuilder {
        .http1(configuration: .init(additionalChannelHandlers: [ClientDisconnectHandler()]))
    }

    // MARK: - Proxying

    /// Sends a request the middleware has read, attributed and let through to the upstream
    /// serving its model, with the provider's own header options and, when allowed, the
    /// client's own key, on the shared gateway of that upstream.
    func proxy(_ request: Request, context: ProxyRequestContext, endpoint: Endpoint) async throws -> Response {
        let dialect = context.dialect
        let requestID = context.requestID ?? RequestID.random()
        guard let body = context.body else {
            throw WireError(dialect: dialect, status: .internalServerError, type: "api_error",
                            message: "tally serve could not handle request \(requestID): its body was not read", code: nil, requestID: requestID)
        }
        guard let route = configuration.upstream(for: body.model, dialect: dialect), let gateway = gateways[route.name] else {
            throw WireError(dialect: dialect, status: .notFound, type: "not_found_error",
                            message: "no upstream of this gateway serves model \(body.model)", code: "model_not_found", requestID: requestID)
        }
        var gatewayRequest = GatewayRequest(
            endpoint: endpoint, body: body.bytes, parsedBody: body.object, id: requestID, headers: Self.passedHeaders(request.headers)
        )
        gatewayRequest.apiKey = context.clientKey
        let attribution = context.attribution
        let client = ClientDisconnectHandler.watching(context.channel)
        do {
            if body.streamed {
                return try await stream(gatewayRequest, gateway: gateway, attribution: attribution, dialect: dialect, client: client)
            }
            let prepared = gatewayRequest
            let response = try await untilClientLeaves(client) { try await gateway.send(prepared, attribution: attribution) }
            return Response(
                status: .init(code: response.status), headers: relayed(response.headers, requestID: requestID, streamed: false),
                body: .init(byteBuffer: ByteBuffer(bytes: response.body))
            )
        } catch {
            throw wireError(error, dialect: dialect, requestID: requestID)
        }
    }

    /// The client's headers passed upstream: the provider's own options, never a key or a hop-by-hop field.
    static func passedHeaders(_ headers: HTTPFields) -> HTTPFields {
        headers.filter { field in
            field.name == .anthropicVersion || field.name == .anthropicBeta || field.name.canonicalName.hasPrefix("openai-")
        }
    }

    /// Runs `work`, cancelled when the client leaves meanwhile (so its row says `cancelled` then,
    /// not at the idle timeout); without a watch on the client's connection, just runs it.
    func untilClientLeaves<T: Sendable>(_ client: ClientDisconnectHandler?, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        guard let client else { return try await work() }
        return try await client.cancellingWhenClientLeaves(work)
    }

    /// A streamed response. Its head waits for the stream's first event: a body that is not an
    /// event stream, or a failure before any event, is answered as an error (502, 504) instead
    /// of a 200 whose stream is empty.
    func stream(
        _ request: GatewayRequest, gateway: Gateway, attribution: Attribution, dialect: Upstream.Dialect, client: ClientDisconnectHandler?
    ) async throws -> Response {
        let requestID = request.id ?? ""
        let started: (OpenGatewayStream, GatewayStream.Chunks.Iterator, [UInt8])
        do {
            started = try await untilClientLeaves(client) { () async throws -> (OpenGatewayStream, GatewayStream.Chunks.Iterator, [UInt8]) in
                let open = try await gateway.openStream(request, attribution: attribution)
                var chunks = open.stream.chunks.makeAsyncIterator()
                var first: [UInt8] = []
                do {
                    while let chunk = try await chunks.next() {
                        first += chunk.bytes
                        if chunk.events.contains(where: { if case .undecodable = $0 { false } else { true } }) { break }
                    }
                } catch {
                    await open.close()
                    throw error
                }
                return (open, chunks, first)
            }
        } catch {
            throw wireError(error, dialect: dialect, requestID: requestID)
        }
        let (open, chunks, first) = started
        let metrics = self.metrics
        metrics.streamStarted()
        let headers = relayed(open.stream.headers, requestID: request.id ?? open.stream.requestID, streamed: true)
        return Response(
            status: .init(code: open.stream.status), headers: headers,
            body: ResponseBody { writer in
                defer { metrics.streamEnded() }
                var remaining = chunks
                do {
                    do {
                        if !first.isEmpty { try await writer.write(ByteBuffer(bytes: first)) }
                        while let chunk = try await remaining.next() {
                            if !chunk.bytes.isEmpty { try await writer.write(ByteBuffer(bytes: chunk.bytes)) }
                        }
                    } catch let error as GatewayError where error.code == .streamTruncated || error.code == .providerError {
                        // The upstream ended its stream without the end marker, or sent an error
                        // event: end the response the same way, as the client would see it direct.
                    }
                    // The row before the response's end: a client that saw its response end has
                    // its row, even if this process is killed the next moment.
                    await open.close()
                    try await writer.finish(nil)
                } catch {
                    // The client left, or the upstream failed mid-stream: the row says which.
                    await open.close()
                    throw error
                }
            }
        )
    }

    /// The upstream headers a client needs: content type, request id, rate limits, retry hints.
    func relayed(_ upstream: HTTPFields, requestID: String, streamed: Bool) -> HTTPFields {
        var headers = upstream.filter { field in
            let name = field.name.canonicalName
            return field.name == .contentType || field.name == .retryAfter || name.hasPrefix("x-ratelimit-")
                || name.hasPrefix("anthropic-ratelimit-") || name == "openai-processing-ms" || name == "request-id"
        }
        if headers[.contentType] == nil { headers[.contentType] = streamed ? "text/event-stream" : "application/json" }
        if streamed { headers[.cacheControl] = "no-cache" }
        headers[.xRequestID] = requestID
        return headers
    }

    /// A failure in the route's wire format, for the client: the upstream's own status and
    /// message when it answered, else a reason and the request id. The full error, which names
    /// the upstream's URL (or the ledger's path), goes to the server's log only.
    func wireError(_ error: any Error, dialect: Upstream.Dialect, requestID: String) -> WireError {
        describe(error, dialect: dialect, requestID: requestID).answering(requestID)
    }

    private func describe(_ error: any Error, dialect: Upstream.Dialect, requestID: String) -> WireError {
        if let error = error as? WireError { return error }
        guard let error = error as? GatewayError else {
            logger.error("request \(requestID) failed: \(error)")
            return WireError(dialect: dialect, status: .internalServerError, type: "api_error",
                             message: "tally serve could not handle request \(requestID); its log says why", code: nil)
        }
        logger.warning("request \(requestID): \(error.message)")
        let status: HTTPResponse.Status
        let reason: String
        switch error.code {
        case .upstreamStatus:
            // The provider's own words, as a direct call would show them.
            return WireError(dialect: dialect, status: .init(code: error.upstream?.status ?? 502), type: error.upstream?.type ?? "api_error",
                             message: error.upstream?.message ?? "the upstream answered \(error.upstream?.status ?? 502)", code: nil)
        case .invalidRequest:
            return WireError.invalidRequest(dialect, "\(error.reason ?? "the request is not valid") (request \(requestID))")
        case .transport:
            let code = error.transport?.code
            let timeout = code == .connectTimeout || code == .idleTimeout || code == .totalTimeout
            status = timeout ? .gatewayTimeout : .badGateway
            reason = timeout ? "the upstream did not answer in time (\(code.map { "\($0)" } ?? "timeout"))"
                : "the upstream could not be reached (\(code.map { "\($0)" } ?? "transport failure"))"
        case .ledger:
            status = .serviceUnavailable
            reason = "the ledger could not record the request, so it was not sent"
        default:
            status = .badGateway
            reason = error.reason ?? "the upstream's answer failed: \(error.code)"
        }
        return WireError(dialect: dialect, status: status, type: "api_error", message: "\(reason) (request \(requestID))", code: nil)
    }

    /// `GET /v1/models`: the OpenAI-dialect default upstream's list, passed through.
    func models(_ request: Request) async -> Response {
        guard let route = configuration.upstreams.first(where: { $0.upstream.dialect == .openAI && $0.isDefault })
            ?? configuration.upstreams.first(where: { $0.upstream.dialect == .openAI }),
              let gateway = gateways[route.name] else {
            return WireError(dialect: .openAI, status: .notFound, type: "not_found_error", message: "no OpenAI-compatible upstream", code: nil)
                .response()
        }
        do {
            let (status, headers, body) = try await gateway.forward(method: "GET", path: "/models")
            return Response(status: .init(code: status), headers: relayed(headers, requestID: RequestID.random(), streamed: false),
                            body: .init(byteBuffer: ByteBuffer(bytes: body)))
        } catch {
            logger.warning("GET /v1/models from upstream \(route.name) failed: \(error)")
            return WireError(dialect: .openAI, status: .badGateway, type: "api_error", message: "the upstream could not be reached", code: nil)
                .response()
        }
    }
}
