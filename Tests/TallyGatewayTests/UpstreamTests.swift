import Testing
import TallyLedger
import TallyTestSupport
@testable import TallyGateway

struct UpstreamTests {
    @Test(arguments: [
        ("https://api.anthropic.com", Upstream.Dialect.anthropic, "https://api.anthropic.com/v1/messages"),
        ("https://api.anthropic.com/", .anthropic, "https://api.anthropic.com/v1/messages"),
        ("https://api.anthropic.com/v1", .anthropic, "https://api.anthropic.com/v1/messages"),
        ("https://api.anthropic.com/v1/", .anthropic, "https://api.anthropic.com/v1/messages"),
        ("http://127.0.0.1:8080", .anthropic, "http://127.0.0.1:8080/v1/messages"),
        ("https://api.openai.com", .openAI, "https://api.openai.com/v1/chat/completions"),
        ("https://api.openai.com/v1", .openAI, "https://api.openai.com/v1/chat/completions"),
        ("https://openrouter.ai/api/v1", .openAI, "https://openrouter.ai/api/v1/chat/completions"),
        ("https://relay.example/openai", .openAI, "https://relay.example/openai/chat/completions"),
    ])
    func aBaseURLWithoutAPathMeansTheAPIsV1Root(base: String, dialect: Upstream.Dialect, expected: String) {
        let upstream = Upstream(provider: "p", baseURL: base, dialect: dialect)
        let endpoint: Endpoint = dialect == .anthropic ? .messages : .chatCompletions
        #expect(upstream.url(of: endpoint) == expected)
    }

    @Test func aGatewayToAnSDKStyleAnthropicBaseURLPostsToV1Messages() async throws {
        let harness = try GatewayHarness()
        harness.upstream.respond(to: "/v1/messages", with: .anthropicMessage())
        let gateway = try Gateway(
            upstream: Upstream(provider: "anthropic", baseURL: harness.upstream.baseURL, dialect: .anthropic, apiKey: "k"),
            ledger: harness.ledger, prices: GatewayHarness.prices, transport: harness.transport)

        let response = try await gateway.send(GatewayRequest(endpoint: .messages, json: messagesBody(stream: false)))

        #expect(response.status == 200)
        #expect(harness.upstream.requests.map(\.path) == ["/v1/messages"])
    }

    @Test func aGatewayToABareHostForwardsModelListingsUnderV1() async throws {
        let harness = try GatewayHarness()
        harness.upstream.respond(to: "/v1/models", with: .json(#"{"data":[]}"#))
        let gateway = try Gateway(
            upstream: Upstream(provider: "openai", baseURL: harness.upstream.baseURL + "/", dialect: .openAI),
            ledger: harness.ledger, prices: GatewayHarness.prices, transport: harness.transport)

        let answer = try await gateway.forward(method: "GET", path: "/models")

        #expect(answer.status == 200)
        #expect(harness.upstream.requests.map(\.path) == ["/v1/models"])
    }
}
