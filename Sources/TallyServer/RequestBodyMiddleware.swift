import Hummingbird
import HTTPTypes
import NIOCore
import TallyPricing
import TallyJSON

/// Reads the body up to the limit and never past it (a declared length over it is refused
/// unread, 413), and parses it once: a JSON object with a `model`, else 400.
struct RequestBodyMiddleware: RouterMiddleware {
    typealias Context = ProxyRequestContext
    /// The largest body accepted, in bytes.
    let maximumBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let dialect = context.dialect
        func tooLarge(_ message: String) -> WireError {
            WireError(dialect: dialect, status: .contentTooLarge, type: "request_too_large", message: message, code: nil, requestID: context.requestID)
        }
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > maximumBytes {
            throw tooLarge("request body of \(declared) bytes is over the limit of \(maximumBytes)")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maximumBytes)
        } catch {
            throw tooLarge("request body over \(maximumBytes) bytes")
        }
        let bytes = Array(buffer.readableBytesView)
        guard let object = try? JSONReader.parse(bytes), case .object = object else {
            throw WireError.invalidRequest(dialect, "the request body is not a JSON object").answering(context.requestID)
        }
        guard case .string(let model)? = object["model"], !model.isEmpty else {
            throw WireError.invalidRequest(dialect, "missing \"model\"").answering(context.requestID)
        }
        let streamed: Bool
        if case .bool(true)? = object["stream"] { streamed = true } else { streamed = false }
        context.body = ProxyRequestBody(bytes: bytes, object: object, model: model, streamed: streamed)
        return try await next(request, context)
    }
}
