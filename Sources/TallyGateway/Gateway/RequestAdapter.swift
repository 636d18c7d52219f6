import HTTPTypes
import Foundation
import TallyLedger
import TallyPricing
import TallyStream
import TallyJSON

/// A request checked and adapted for its upstream: URL, auth headers, and the body with
/// `stream_options.include_usage` added where the caller streams without it.
struct PreparedRequest: Sendable {
    var id: String
    var endpoint: Endpoint
    /// The model the body asks for.
    var model: String
    var streamed: Bool
    /// False when the adapter added `include_usage`: the usage-only chunk is then hidden from the caller.
    var callerAskedForUsage: Bool
    var transportRequest: Transport.Request
    /// The body the caller sent (the estimator counts this one).
    var originalBody: [UInt8]
    /// `originalBody` parsed: the one parse of the request, which the estimator counts too.
    var parsedBody: JSONValue
    /// How the provider counts the usage it reports (set by the gateway from its price book).
    var usageConvention = UsageConvention.standard

    var url: String { transportRequest.url }
}

/// Reads `model` and `stream` from a request body and builds the upstream request.
enum RequestAdapter {
    /// Header fields (lower case) that carry the upstream's key (or the request's own), which replaces a caller's.
    static let keyHeaders: Set<String> = ["authorization", "x-api-key"]
    /// Header fields (lower case) libcurl sets itself; a caller's are dropped.
    static let headersSetByTransport: Set<String> = ["host", "content-length", "transfer-encoding", "connection", "expect", "accept-encoding"]

    /// The member added to an OpenAI-dialect stream request that does not ask for usage.
    static let includeUsageMember = #""stream_options":{"include_usage":true}"#

    /// Checks and adapts `request` for `upstream`; `streaming` says which Gateway call it came through.
    static func prepare(_ request: GatewayRequest, for upstream: Upstream, streaming: Bool) throws(GatewayError) -> PreparedRequest {
        let id = request.id ?? RequestID.random()
        let url = upstream.url(of: request.endpoint)
        func invalid(_ message: String) -> GatewayError {
            GatewayError(code: .invalidRequest, message: "request \(id) for \(url): \(message)", requestID: id, reason: message)
        }
        guard request.endpoint.dialect == upstream.dialect else {
            throw invalid("the \(request.endpoint.path) endpoint is not part of the \(upstream.dialect.rawValue) API that upstream \(upstream.provider) speaks")
        }
        let value: JSONValue
        if let parsed = request.parsedBody {
            value = parsed
        } else {
            do {
                value = try JSONReader.parse(request.body)
            } catch {
                throw invalid("the body is not valid JSON (\(error))")
            }
        }
        guard case .object(let members) = value else {
            throw invalid("the body is \(value.kindDescription), not a JSON object")
        }
        guard case .string(let model)? = value["model"], !model.isEmpty else {
            throw invalid("the body has no \"model\" string")
        }
        let streamed: Bool
        switch value["stream"] {
        case nil, .null?, .bool(false)?: streamed = false
        case .bool(true)?: streamed = true
        case let other?: throw invalid("\"stream\" is \(other.kindDescription), not a boolean")
        }
        if streamed != streaming {
            throw invalid(streamed
                ? "the body asks for a stream (\"stream\": true): use Gateway.stream"
                : "the body does not ask for a stream: add \"stream\": true, or use Gateway.send")
        }
        if streamed, request.endpoint == .embeddings {
            throw invalid("embeddings are never streamed")
        }

        var body = request.body
        var callerAskedForUsage = true
        if streamed, upstream.dialect == .openAI, request.endpoint.usageIsOptIn {
            let options = value["stream_options"]
            if case .bool(true)? = options?["include_usage"] {
                callerAskedForUsage = true
            } else {
                callerAskedForUsage = false
                body = withIncludeUsage(body, members: members)
            }
        }

        var headers = upstream.headers
        // The request's own key (a client's, forwarded by the proxy) wins over the upstream's.
        let key = request.apiKey ?? upstream.apiKey
        let replacedByUpstream = key == nil ? [] : Self.keyHeaders
        let passed = request.headers.isEmpty ? [] : request.headers.filter {
            let name = $0.name.canonicalName
            return !replacedByUpstream.contains(name) && !Self.headersSetByTransport.contains(name)
        }
        // A caller's field replaces the upstream's field of the same name.
        for name in Set(passed.map(\.name)) { headers[name] = nil }
        headers.append(contentsOf: passed)
        if let key {
            switch upstream.dialect {
            case .openAI: headers[.authorization] = "Bearer \(key)"
            case .anthropic: headers[.xAPIKey] = key
            }
        }
        if upstream.dialect == .anthropic, headers[.anthropicVersion] == nil {
            headers[.anthropicVersion] = Upstream.defaultAnthropicVersion
        }
        if headers[.contentType] == nil {
            headers[.contentType] = "application/json"
        }
        if streamed, headers[.accept] == nil {
            headers[.accept] = "text/event-stream"
        }
        return PreparedRequest(
            id: id, endpoint: request.endpoint, model: model, streamed: streamed,
            callerAskedForUsage: callerAskedForUsage,
            transportRequest: Transport.Request(method: "POST", url: url, headers: headers, body: body),
            originalBody: request.body, parsedBody: value)
    }

    /// The body with `stream_options.include_usage` set to true, everything else kept.
    ///
    /// Without `stream_options`, the member is spliced in before the closing `}`, so every other
    /// byte stays as the caller wrote it. With one (`include_usage` false or absent), the body is
    /// written anew from the parsed value: same members in the same order, numbers as their text.
    static func withIncludeUsage(_ body: [UInt8], members: [(key: String, value: JSONValue)]) -> [UInt8] {
        if !members.contains(where: { $0.key == "stream_options" }) {
            var end = body.count - 1
            while end >= 0, body[end] != UInt8(ascii: "}") { end -= 1 }
            guard end >= 0 else { return body }  // cannot happen: the body parsed as an object
            var spliced = Array(body[..<end])
            if !members.isEmpty { spliced.append(UInt8(ascii: ",")) }
            spliced.append(contentsOf: includeUsageMember.utf8)
            spliced.append(contentsOf: body[end...])
            return spliced
        }
        let rewritten = members.map { member -> (key: String, value: JSONValue) in
            guard member.key == "stream_options" else { return member }
            var options: [(key: String, value: JSONValue)] = []
            if case .object(let existing) = member.value { options = existing.filter { $0.key != "include_usage" } }
            options.append((key: "include_usage", value: .bool(true)))
            return (key: member.key, value: .object(options))
        }
        return JSONValue.object(rewritten).serialized()
    }
}
