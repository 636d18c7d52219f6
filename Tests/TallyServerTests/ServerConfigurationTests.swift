import Testing
import TallyGateway
import TallyServer

struct ServerConfigurationTests {
    @Test(arguments: [
        ("https://api.anthropic.com", "https://api.openai.com/v1"),
        ("https://api.anthropic.com/v1", "https://api.openai.com"),
        ("https://api.anthropic.com/", "https://api.openai.com/v1/"),
    ])
    func eachSDKsBaseURLConventionReachesTheV1API(anthropic: String, openAI: String) throws {
        let configuration = ServerConfiguration.fromEnvironment(["ANTHROPIC_BASE_URL": anthropic, "OPENAI_BASE_URL": openAI])
        let anthropicUpstream = try #require(configuration.upstream(for: "claude-sonnet-4-5", dialect: .anthropic))
        let openAIUpstream = try #require(configuration.upstream(for: "gpt-4.1", dialect: .openAI))
        #expect(anthropicUpstream.upstream.apiRoot == "https://api.anthropic.com/v1")
        #expect(openAIUpstream.upstream.apiRoot == "https://api.openai.com/v1")
    }

    @Test func theDefaultsAreTheOfficialV1APIs() throws {
        let configuration = ServerConfiguration.fromEnvironment([:])
        #expect(configuration.upstreams.map(\.upstream.apiRoot) == ["https://api.openai.com/v1", "https://api.anthropic.com/v1"])
    }
}
