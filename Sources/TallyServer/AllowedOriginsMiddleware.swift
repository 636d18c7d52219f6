import Hummingbird
import HTTPTypes

/// CORS for the listed origins only: answers their preflights and adds the headers to their
/// responses; other origins get no CORS headers (so browsers refuse them) and a 403 preflight.
struct AllowedOriginsMiddleware<Context: RequestContext>: RouterMiddleware {
    let origins: Set<String>
    static var allowedHeaders: String {
        "authorization, content-type, x-api-key, anthropic-version, anthropic-beta, openai-organization, x-request-id, x-tally-project, x-tally-user, x-tally-tags, x-stainless-os, x-stainless-lang"
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin] else { return try await next(request, context) }
        let allowed = origins.contains(origin)
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            guard allowed else { return Response(status: .forbidden) }
            var headers = HTTPFields()
            headers[.accessControlAllowOrigin] = origin
            headers[.accessControlAllowMethods] = "GET, POST, OPTIONS"
            headers[.accessControlAllowHeaders] = request.headers[.accessControlRequestHeaders] ?? Self.allowedHeaders
            headers[.accessControlMaxAge] = "600"
            headers[.vary] = "Origin"
            return Response(status: .noContent, headers: headers)
        }
        var response = try await next(request, context)
        if allowed {
            response.headers[.accessControlAllowOrigin] = origin
            response.headers[.accessControlExposeHeaders] = "x-request-id, retry-after, x-ratelimit-remaining-requests, x-ratelimit-remaining-tokens"
            response.headers[.vary] = "Origin"
        }
        return response
    }
}
