package import HTTPTypes
import Foundation
import TallyJSON

/// The upstream answered, but with an HTTP error status that was not (or no longer) retried.
///
/// ``message`` is the upstream's own explanation, read from its error body
/// (`{"error":{"message":…}}` as OpenAI and Anthropic send it), so a caller sees
/// "Incorrect API key provided" rather than "HTTP 401".
public struct UpstreamError: Error, Sendable, CustomStringConvertible {
    /// The HTTP status code.
    public var status: Int
    /// The URL that answered.
    public var url: String
    /// The upstream's own error message, or the start of its body when it sent no message.
    public var message: String
    /// The upstream's error type or code (`"authentication_error"`, `"rate_limit_exceeded"`), if sent.
    public var type: String?
    /// How long the upstream asked the client to wait (`Retry-After`), if it said.
    public var retryAfter: Duration?
    /// The start of the error body (at most ``UpstreamError/bodyLimit`` bytes), as text.
    public var body: String
    /// The response's header fields, for a proxy that passes the error through.
    package var headers: HTTPFields

    /// The most error-body bytes read and kept.
    public static let bodyLimit = 64 * 1024

    package init(status: Int, url: String, headers: HTTPFields, body: [UInt8], retryAfter: Duration?) {
        self.status = status
        self.url = url
        self.headers = headers
        self.retryAfter = retryAfter
        self.body = String(decoding: body, as: UTF8.self)
        let (message, type) = Self.explanation(in: body)
        self.type = type
        if let message, !message.isEmpty {
            self.message = message
        } else {
            let text = self.body.trimmingCharacters(in: .whitespacesAndNewlines)
            self.message = text.isEmpty ? "HTTP \(status) with an empty body" : String(text.prefix(500))
        }
    }

    /// "URL answered STATUS: message".
    public var description: String {
        "\(url) answered \(status): \(message)"
    }

    /// The message and type in a JSON error body, in the shapes providers and relays use:
    /// `{"error":{"message","type"|"code"}}`, `{"error":"…"}`, `{"message":…}`, `{"detail":…}`.
    static func explanation(in body: [UInt8]) -> (message: String?, type: String?) {
        guard let object = try? JSONReader.parse(body), case .object = object else {
            return (nil, nil)
        }
        if let error = object["error"], case .object = error {
            let type = error["type"]?.stringValue ?? error["code"]?.stringValue
            return (error["message"]?.stringValue, type)
        }
        if let error = object["error"]?.stringValue {
            return (error, object["type"]?.stringValue)
        }
        if let message = object["message"]?.stringValue {
            return (message, object["type"]?.stringValue ?? object["code"]?.stringValue)
        }
        if let detail = object["detail"]?.stringValue {
            return (detail, nil)
        }
        return (nil, nil)
    }
}
