import Hummingbird
import HTTPTypes
import Logging
import TallyGateway

/// Answers what no route handles, and any error a route throws, in the wire format of the path:
/// a known path asked with another method is 405 with `Allow`, an unknown path 404, both with a
/// JSON error body (Anthropic's for `/v1/messages…`, OpenAI's elsewhere), never an empty one.
struct RouteErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The methods each routed path answers, by path (`/v1/chat/completions`).
    let methods: [String: [HTTPRequest.Method]]
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return response(to: error, request: request)
        }
    }

    /// The wire format clients of `path` expect.
    static func dialect(ofPath path: String) -> Upstream.Dialect {
        path == "/v1/messages" || path.hasPrefix("/v1/messages/") ? .anthropic : .openAI
    }

    func response(to error: any Error, request: Request) -> Response {
        var path = request.uri.path
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        let dialect = Self.dialect(ofPath: path)
        // The client's own path, shortened: it is echoed back to that client only.
        let shown = path.count > 200 ? String(path.prefix(200)) + "…" : path
        let method = request.method.rawValue
        // The proxy's own errors render themselves, in the route's wire format.
        if let error = error as? WireError { return error.response() }
        guard let error = error as? HTTPError else {
            logger.error("\(method) \(shown) failed: \(error)")
            return WireError(dialect: dialect, status: .internalServerError, type: "api_error",
                             message: "tally serve could not answer \(method) \(shown); its log says why", code: nil)
                .response()
        }
        if error.status == .notFound, let allowed = methods[path], !allowed.contains(request.method) {
            let list = allowed.map(\.rawValue).joined(separator: ", ")
            var response = WireError(dialect: dialect, status: .methodNotAllowed, type: "invalid_request_error",
                                     message: "\(method) is not allowed on \(shown); use \(list)", code: "method_not_allowed")
                .response()
            response.headers[.allow] = list
            return response
        }
        if error.status == .notFound {
            return WireError(dialect: dialect, status: .notFound, type: "not_found_error",
                             message: "tally serve has no route \(method) \(shown)", code: "not_found")
                .response()
        }
        let type = error.status.code < 500 ? "invalid_request_error" : "api_error"
        var response = WireError(dialect: dialect, status: error.status, type: type,
                                 message: error.body ?? error.status.reasonPhrase, code: nil)
            .response()
        for field in error.headers where response.headers[field.name] == nil { response.headers.append(field) }
        return response
    }
}
