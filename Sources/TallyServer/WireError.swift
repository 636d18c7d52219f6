import Foundation
import Hummingbird
import HTTPTypes
import TallyGateway
import TallyPricing

/// An error answered in the wire format of the route it came from, so a client's SDK shows it
/// as it shows the official API's errors. Thrown by the proxy's middleware and handlers, it
/// renders itself (`HTTPResponseError`).
struct WireError: HTTPResponseError, Sendable {
    /// The error's dialect: OpenAI's `{"error": {...}}` or Anthropic's `{"type": "error", ...}`.
    var dialect: Upstream.Dialect
    /// The HTTP status.
    var status: HTTPResponse.Status
    /// The `type` field ("invalid_request_error", "authentication_error", "rate_limit_error", …).
    var type: String
    var message: String
    /// OpenAI's `code` field.
    var code: String?
    /// The request's id, answered in `X-Request-ID`; nil answers none.
    var requestID: String? = nil

    /// The error as an HTTP response with a JSON body.
    func response() -> Response {
        let body: String
        switch dialect {
        case .openAI:
            body = "{\"error\":{\"message\":\(PriceTableWriter.quote(message)),\"type\":\(PriceTableWriter.quote(type)),\"param\":null,\"code\":\(code.map(PriceTableWriter.quote) ?? "null")}}"
        case .anthropic:
            body = "{\"type\":\"error\",\"error\":{\"type\":\(PriceTableWriter.quote(type)),\"message\":\(PriceTableWriter.quote(message))}}"
        }
        var headers: HTTPFields = [.contentType: "application/json"]
        if let requestID { headers[.xRequestID] = requestID }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    /// The error as an HTTP response (`HTTPResponseError`).
    func response(from request: Request, context: some RequestContext) throws -> Response {
        response()
    }

    /// The same error, answered with `requestID`.
    func answering(_ requestID: String?) -> WireError {
        var error = self
        error.requestID = requestID
        return error
    }

    static func invalidRequest(_ dialect: Upstream.Dialect, _ message: String) -> WireError {
        WireError(dialect: dialect, status: .badRequest, type: "invalid_request_error", message: message, code: nil)
    }
}
