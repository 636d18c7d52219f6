package import HTTPTypes

// The header names Tally reads or writes that HTTPTypes does not define. Each literal is a
// valid token, so the unwrap cannot fail.
extension HTTPField.Name {
    /// Anthropic's API key (`x-api-key`).
    package static let xAPIKey = HTTPField.Name("x-api-key")!
    /// The Anthropic API version a request is written for (`anthropic-version`).
    package static let anthropicVersion = HTTPField.Name("anthropic-version")!
    /// Anthropic's opt-in features (`anthropic-beta`).
    package static let anthropicBeta = HTTPField.Name("anthropic-beta")!
    /// OpenAI's and Azure's wait before a retry, in milliseconds (`retry-after-ms`).
    package static let retryAfterMilliseconds = HTTPField.Name("retry-after-ms")!
    /// OpenAI's hint whether a failed request is worth sending again (`x-should-retry`).
    package static let xShouldRetry = HTTPField.Name("x-should-retry")!
    /// The request id a client sent or the proxy made, echoed on the answer (`x-request-id`).
    package static let xRequestID = HTTPField.Name("x-request-id")!
}
