import Hummingbird
import HTTPTypes

/// Who may use the gateway: with gateway keys configured, a request must present one
/// (`Authorization: Bearer KEY` or `x-api-key`), whose project it is charged to, or, when
/// client keys are allowed, its own provider key, which goes upstream with it. Without gateway
/// keys, a client's own key goes upstream only when client keys are allowed.
struct GatewayKeyMiddleware: RouterMiddleware {
    typealias Context = ProxyRequestContext
    let keys: GatewayKeys
    let allowClientKeys: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let presented = GatewayKeys.presentedKey(
            authorization: request.headers[.authorization], apiKey: AttributionMiddleware.value(of: "x-api-key", in: request)
        )
        if !keys.isEmpty {
            if let presented, let project = keys.project(for: presented) {
                context.keyProject = project
            } else if allowClientKeys, let presented {
                context.clientKey = presented
            } else {
                throw WireError(
                    dialect: context.dialect, status: .unauthorized, type: "authentication_error",
                    message: presented == nil ? "missing gateway key: send Authorization: Bearer KEY" : "invalid gateway key",
                    code: "invalid_api_key", requestID: context.requestID
                )
            }
        } else if allowClientKeys {
            context.clientKey = presented
        }
        return try await next(request, context)
    }
}
