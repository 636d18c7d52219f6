public import HTTPTypes
public import Foundation
package import TallyPricing
package import TallyJSON

/// One request for a ``Gateway``: the endpoint and the JSON body a caller would send to the
/// provider's official API.
public struct GatewayRequest: Sendable {
    /// Where the request goes.
    public var endpoint: Endpoint
    /// The JSON body, exactly as for the official API (`model`, `messages`, `stream`, …).
    public var body: [UInt8] {
        didSet { parsedBody = nil }
    }
    /// `body` already parsed by a caller that had to read it first (the proxy routes by its
    /// model), so the gateway does not parse it again; nil when not given or `body` changed.
    package private(set) var parsedBody: JSONValue?
    /// The request's ID in the ledger (an `X-Request-ID`); nil for a new UUID.
    public var id: String?
    /// Header fields passed upstream (`anthropic-beta`, `OpenAI-Organization`, …). They are
    /// never logged or stored.
    public var headers: HTTPFields
    /// The caller's own key for the upstream, sent with this request instead of the upstream's
    /// (a proxy forwarding a client's provider key); nil sends the upstream's. Never logged or stored.
    public var apiKey: String?

    /// Creates a request from body bytes.
    public init(endpoint: Endpoint, body: [UInt8], id: String? = nil, headers: HTTPFields = [:]) {
        self.endpoint = endpoint
        self.body = body
        self.id = id
        self.headers = headers
    }

    /// Creates a request from body bytes and their parse (which must be `JSONReader.parse(body)`).
    package init(endpoint: Endpoint, body: [UInt8], parsedBody: JSONValue, id: String?, headers: HTTPFields) {
        self.init(endpoint: endpoint, body: body, id: id, headers: headers)
        self.parsedBody = parsedBody
    }

    /// Creates a request from a JSON text.
    public init(endpoint: Endpoint, json: String, id: String? = nil, headers: HTTPFields = [:]) {
        self.init(endpoint: endpoint, body: Array(json.utf8), id: id, headers: headers)
    }

    /// Creates a request from JSON data.
    public init(endpoint: Endpoint, body: Data, id: String? = nil, headers: HTTPFields = [:]) {
        self.init(endpoint: endpoint, body: Array(body), id: id, headers: headers)
    }
}
