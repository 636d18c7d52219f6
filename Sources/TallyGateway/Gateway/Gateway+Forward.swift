package import HTTPTypes

extension Gateway {
    /// Sends a request with no body to the upstream (e.g. `GET /models`) with its key, retried
    /// as any other, unmetered: it costs nothing. Returns status, headers and the body (up to 8 MiB).
    package func forward(method: String, path: String) async throws -> (status: Int, headers: HTTPFields, body: [UInt8]) {
        var headers = upstream.headers
        if let key = upstream.apiKey {
            switch upstream.dialect {
            case .openAI: headers[.authorization] = "Bearer \(key)"
            case .anthropic:
                headers[.xAPIKey] = key
                if headers[.anthropicVersion] == nil { headers[.anthropicVersion] = Upstream.defaultAnthropicVersion }
            }
        }
        let request = Transport.Request(method: method, url: upstream.apiRoot + path, headers: headers, body: nil)
        do {
            let retried = try await transport.send(request, retrying: retry)
            let body = try await retried.response.collectBody(upTo: 8 << 20)
            return (retried.response.status, retried.response.headers, body)
        } catch let failure as RetryFailure {
            if case .upstream(let error) = failure.cause {
                return (error.status, error.headers, Array(error.body.utf8))
            }
            throw failure
        }
    }
}
