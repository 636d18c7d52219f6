import Foundation
import Hummingbird
import HTTPTypes
import TallyGateway
import TallyPricing

/// An error answered in the wire format of the route it came from, so a client's SDK shows it
/// as it shows the official API's errors.
struct WireError: Error, Sendable {
    /// The error's dialect: OpenAI's `{"error": {...}}` or Anthropic's `{"type": "error", ...}`.
    var dialect: Upstream.Dialect
    var status: HTTPResponse.Status
    /// The `type` field ("invalid_request_error", "authentication_error", "rate_limit_error", …).
    var type: String
    var message: String
    /// OpenAI's `code` field.
    var code: String?

    /// The error as an HTTP response with a JSON body.
    func response(requestID: String?) -> Response {
        let body: String
        switch dialect {
        case .openAI:
            body = "{\"error\":{\"message\":\(PriceTableWriter.quote(message)),\"type\":\(PriceTableWriter.quote(type)),\"param\":null,\"code\":\(code.map(PriceTableWriter.quote) ?? "null")}}"
        case .anthropic:
            body = "{\"type\":\"error\",\"error\":{\"type\":\(PriceTableWriter.quote(type)),\"message\":\(PriceTableWriter.quote(message))}}"
        }
        var headers: HTTPFields = [.contentType: "application/json"]
        if let requestID, let name = HTTPField.Name("x-request-id") { headers[name] = requestID }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    static func invalidRequest(_ dialect: Upstream.Dialect, _ message: String) -> WireError {
        WireError(dialect: dialect, status: .badRequest, type: "invalid_request_error", message: message, code: nil)
    }
}
