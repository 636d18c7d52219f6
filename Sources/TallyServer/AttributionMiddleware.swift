import Hummingbird
import HTTPTypes
import TallyLedger

/// Reads the request's id (`X-Request-ID`, else a new one) and attribution headers
/// (`X-Tally-Project`, `X-Tally-User`, `X-Tally-Tags`) into the context, refusing with 400 a
/// value out of ``AttributionBounds``; sets the route's wire format for every later error.
struct AttributionMiddleware: RouterMiddleware {
    typealias Context = ProxyRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let dialect = RouteErrorMiddleware<Context>.dialect(ofPath: request.uri.path)
        context.dialect = dialect
        let requestID: String
        switch AttributionBounds.requestID(Self.value(of: "x-request-id", in: request)) {
        case .success(let id?): requestID = id
        case .success(nil): requestID = RequestID.random()
        case .failure(let refusal): throw refusal.wireError(dialect)  // an id out of bounds is not echoed
        }
        context.requestID = requestID
        func header(_ name: String) throws(WireError) -> String? {
            do {
                return try AttributionBounds.header(name, Self.value(of: name, in: request)).get()
            } catch {
                throw error.wireError(dialect).answering(requestID)
            }
        }
        let project = try header("x-tally-project")
        let user = try header("x-tally-user")
        let tags: [String]
        do {
            tags = try AttributionBounds.tags(header("x-tally-tags")).get()
        } catch let error as AttributionBounds.Refusal {
            throw error.wireError(dialect).answering(requestID)
        }
        context.headerAttribution = Attribution(project: project, user: user, tags: tags)
        return try await next(request, context)
    }

    /// The first value of header `name` (lower case), nil when absent or empty.
    static func value(of name: String, in request: Request) -> String? {
        HTTPField.Name(name).flatMap { request.headers[values: $0].first }.flatMap { $0.isEmpty ? nil : $0 }
    }
}
