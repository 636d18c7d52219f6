import TallyPricing
import TallyJSON

/// A proxied request's body, read once and parsed once, for routing, attribution and the gateway.
struct ProxyRequestBody: Sendable {
    /// The bytes, as the client sent them.
    var bytes: [UInt8]
    /// Their parse: a JSON object.
    var object: JSONValue
    /// The `model` it asks for.
    var model: String
    /// Whether it asks for a stream (`"stream": true`).
    var streamed: Bool

    /// The body's own user (`user`, or Anthropic's `metadata.user_id`); nil when absent or out of
    /// ``AttributionBounds``, since a body field out of bounds only attributes nothing.
    var user: String? {
        func text(_ value: JSONValue?) -> String? {
            guard case .string(let text)? = value, !text.isEmpty else { return nil }
            return AttributionBounds.problem(with: text) == nil ? text : nil
        }
        return text(object["user"]) ?? text(object["metadata"]?["user_id"])
    }
}
