public import Foundation

/// One request for a ``Gateway``: the endpoint and the JSON body a caller would send to the
/// provider's official API.
public struct GatewayRequest: Sendable {
    /// Where the request goes.
    public var endpoint: Endpoint
    /// The JSON body, exactly as for the official API (`model`, `messages`, `stream`, …).
    public var body: [UInt8]
    /// The request's ID in the ledger (an `X-Request-ID`); nil for a new UUID.
    public var id: String?
    /// Header fields passed upstream (`anthropic-beta`, `OpenAI-Organization`, …). They are
    /// never logged or stored.
    public var headers: HTTPHeaders

    /// Creates a request from body bytes.
    public init(endpoint: Endpoint, body: [UInt8], id: String? = nil, headers: HTTPHeaders = [:]) {
        self.endpoint = endpoint
        self.body = body
        self.id = id
        self.headers = headers
    }

    /// Creates a request from a JSON text.
    public init(endpoint: Endpoint, json: String, id: String? = nil, headers: HTTPHeaders = [:]) {
        self.init(endpoint: endpoint, body: Array(json.utf8), id: id, headers: headers)
    }

    /// Creates a request from JSON data.
    public init(endpoint: Endpoint, body: Data, id: String? = nil, headers: HTTPHeaders = [:]) {
        self.init(endpoint: endpoint, body: Array(body), id: id, headers: headers)
    }
}
