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
    /// What the server needs: its configuration, a ledger, prices and a transport shared by every upstream.
    let configuration: ServerConfiguration
    let ledger: Ledger
    let prices: PriceBook
    let transport: Transport
    let gateways: [String: Gateway]
    let keys: GatewayKeys
    let budgets: BudgetGuard
    let metrics = ProxyMetrics()
    let logger: Logger

    /// Creates the server; one `Gateway` per upstream, all sharing `transport` and `ledger`.
    public init(configuration: ServerConfiguration, ledger: Ledger, prices: PriceBook, transport: Transport, logger: Logger) throws {
        self.configuration = configuration
        self.ledger = ledger
        self.prices = prices
        self.transport = transport
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
        router.add(middleware: RouteErrorMiddleware(methods: methods, logger: logger))
        if !configuration.corsOrigins.isEmpty {
            router.add(middleware: AllowedOriginsMiddleware(origins: Set(configuration.corsOrigins)))
        }
        router.get("healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{\"status\":\"ok\"}")))
        }
        router.get("metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.render()))
            )
        }
        for (endpoint, path) in Self.postPaths {
            router.post(RouterPath(String(path.dropFirst()))) { request, context in
                await self.proxy(request, endpoint: endpoint, client: ClientDisconnectHandler.watching(context.channel))
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

    func dialect(of endpoint: Endpoint) -> Upstream.Dialect { endpoint == .messages ? .anthropic : .openAI }

    func proxy(_ request: Request, endpoint: Endpoint, client: ClientDisconnectHandler?) async -> Response {
        let dialect = dialect(of: endpoint)
        let requestID: String
        switch AttributionBounds.requestID(request.headers[values: HTTPField.Name("x-request-id")!].first) {
        case .success(let id?): requestID = id
        case .success(nil): requestID = RequestID.random()
        case .failure(let refusal): return refusal.wireError(dialect).response(requestID: nil)
        }
        do {
            return try await proxyOrThrow(request, endpoint: endpoint, dialect: dialect, requestID: requestID, client: client)
        } catch let error as WireError {
            return error.response(requestID: requestID)
        } catch {
            return wireError(error, dialect: dialect, requestID: requestID).response(requestID: requestID)
        }
    }

    func proxyOrThrow(
        _ request: Request, endpoint: Endpoint, dialect: Upstream.Dialect, requestID: String, client: ClientDisconnectHandler?
    ) async throws -> Response {
        // Who is calling: a gateway key names the project; otherwise, when allowed, the client's own key goes upstream.
        let presented = GatewayKeys.presentedKey(
            authorization: request.headers[.authorization], apiKey: request.headers[values: HTTPField.Name("x-api-key")!].first
        )
        var keyProject: String?
        var clientKey: String?
        if !keys.isEmpty {
            if let presented, let project = keys.project(for: presented) {
                keyProject = project
            } else if configuration.allowClientKeys, let presented {
                clientKey = presented
            } else {
                throw WireError(dialect: dialect, status: .unauthorized, type: "authentication_error",
                                message: presented == nil ? "missing gateway key: send Authorization: Bearer KEY" : "invalid gateway key", code: "invalid_api_key")
            }
        } else if configuration.allowClientKeys {
            clientKey = presented
        }

        // The body, read up to the limit and never past it; a declared length over it is refused unread.
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > configuration.maximumBodyBytes {
            throw WireError(dialect: dialect, status: .contentTooLarge, type: "request_too_large",
                            message: "request body of \(declared) bytes is over the limit of \(configuration.maximumBodyBytes)", code: nil)
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: configuration.maximumBodyBytes)
        } catch {
            throw WireError(dialect: dialect, status: .contentTooLarge, type: "request_too_large",
                            message: "request body over \(configuration.maximumBodyBytes) bytes", code: nil)
        }
        let body = Array(buffer.readableBytesView)
        // Parsed once here, for routing and attribution, and handed to the gateway with the body.
        guard let object = try? JSONReader.parse(body), case .object = object else {
            throw WireError.invalidRequest(dialect, "the request body is not a JSON object")
        }
        guard case .string(let model)? = object["model"], !model.isEmpty else {
            throw WireError.invalidRequest(dialect, "missing \"model\"")
        }
        let streamed: Bool
        if case .bool(true)? = object["stream"] { streamed = true } else { streamed = false }
        guard let route = configuration.upstream(for: model, dialect: dialect), var gateway = gateways[route.name] else {
            throw WireError(dialect: dialect, status: .notFound, type: "not_found_error",
                            message: "no upstream of this gateway serves model \(model)", code: "model_not_found")
        }
        if let clientKey {
            var upstream = route.upstream
            upstream.apiKey = clientKey
            let metrics = self.metrics
            gateway = try Gateway(upstream: upstream, ledger: ledger, prices: prices, transport: transport, observer: { metrics.record($0) })
        }

        // Attribution: the key's project first, then the headers, then the body's own user fields.
        // A header out of bounds is refused; a body field out of bounds only attributes nothing.
        func header(_ name: String) throws -> String? {
            let value = HTTPField.Name(name).flatMap { request.headers[$0] }.flatMap { $0.isEmpty ? nil : $0 }
            return try AttributionBounds.header(name, value).mapError { $0.wireError(dialect) }.get()
        }
        func text(_ value: JSONValue?) -> String? {
            guard case .string(let text)? = value, !text.isEmpty else { return nil }
            return AttributionBounds.problem(with: text) == nil ? text : nil
        }
        let project = try header("x-tally-project")
        let user = try header("x-tally-user")
        let tags = try AttributionBounds.tags(header("x-tally-tags")).mapError { $0.wireError(dialect) }.get()
        let attribution = Attribution(
            project: keyProject ?? project,
            user: user ?? text(object["user"]) ?? text(object["metadata"]?["user_id"]),
            tags: tags
        )
        if let (budget, spend) = try await budgets.exceeded(project: attribution.project) {
            throw WireError(dialect: dialect, status: .tooManyRequests, type: "rate_limit_error",
                            message: "project \(budget.project) is over its \(budget.period) budget: spent $\(spend.decimalString) of $\(budget.limit.decimalString)",
                            code: "budget_exceeded")
        }

        // Headers passed upstream: the provider's own options, never a key or a hop-by-hop field.
        var passed: HTTPHeaders = [:]
        for field in request.headers {
            let name = field.name.canonicalName
            if name == "anthropic-version" || name == "anthropic-beta" || name.hasPrefix("openai-") {
                passed.add(name: name, value: field.value)
            }
        }
        if let clientKey, route.upstream.apiKey == nil {
            switch dialect {
            case .openAI: passed.add(name: "Authorization", value: "Bearer \(clientKey)")
            case .anthropic: passed.add(name: "x-api-key", value: clientKey)
            }
        }
        let gatewayRequest = GatewayRequest(endpoint: endpoint, body: body, parsedBody: object, id: requestID, headers: passed)
        let chosen = gateway
        if streamed {
            return try await stream(gatewayRequest, gateway: chosen, attribution: attribution, dialect: dialect, client: client)
        }
        do {
            let response = try await untilClientLeaves(client) { try await chosen.send(gatewayRequest, attribution: attribution) }
            return Response(
                status: .init(code: response.status), headers: relayed(response.headers, requestID: requestID, streamed: false),
                body: .init(byteBuffer: ByteBuffer(bytes: response.body))
            )
        } catch {
            throw wireError(error, dialect: dialect, requestID: requestID)
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
    func relayed(_ upstream: HTTPHeaders, requestID: String, streamed: Bool) -> HTTPFields {
        var headers = HTTPFields()
        for field in upstream {
            let name = field.name.lowercased()
            if name == "content-type" || name.hasPrefix("x-ratelimit-") || name.hasPrefix("anthropic-ratelimit-")
                || name == "retry-after" || name == "openai-processing-ms" || name == "request-id",
               let fieldName = HTTPField.Name(name) {
                headers.append(HTTPField(name: fieldName, value: field.value))
            }
        }
        if headers[.contentType] == nil { headers[.contentType] = streamed ? "text/event-stream" : "application/json" }
        if streamed { headers[.cacheControl] = "no-cache" }
        if let name = HTTPField.Name("x-request-id") { headers[name] = requestID }
        return headers
    }

    /// A failure in the route's wire format, for the client: the upstream's own status and
    /// message when it answered, else a reason and the request id. The full error, which names
    /// the upstream's URL (or the ledger's path), goes to the server's log only.
    func wireError(_ error: any Error, dialect: Upstream.Dialect, requestID: String) -> WireError {
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
                .response(requestID: nil)
        }
        do {
            let (status, headers, body) = try await gateway.forward(method: "GET", path: "/models")
            return Response(status: .init(code: status), headers: relayed(headers, requestID: RequestID.random(), streamed: false),
                            body: .init(byteBuffer: ByteBuffer(bytes: body)))
        } catch {
            logger.warning("GET /v1/models from upstream \(route.name) failed: \(error)")
            return WireError(dialect: .openAI, status: .badGateway, type: "api_error", message: "the upstream could not be reached", code: nil)
                .response(requestID: nil)
        }
    }
}
