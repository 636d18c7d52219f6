import Testing
import Foundation
import HTTPTypes
import TallyGateway
import TallyLedger
import TallyPricing
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

    @Test func budgetsAreTheBudgetFilesObjectsInUTCUnlessTheyNameAZone() throws {
        let upstreams = #""upstreams": [ { "name": "o", "base_url": "https://api.openai.com/v1", "dialect": "openai", "default": true } ]"#
        let good = "{ \(upstreams), \"budgets\": [ { \"project\": \"team-a\", \"limit\": \"100\" }, { \"name\": \"day\", \"limit\": \"5\", \"period\": \"day\", \"tz\": \"Asia/Bangkok\" } ] }"
        let configuration = try ServerConfiguration.load(Array(good.utf8), file: "s.json", environment: [:])
        #expect(configuration.budgets == [
            Budget(name: "team-a", limit: Money(decimalUSD: "100")!, period: BudgetPeriod(.month, in: BudgetPeriod.utc), project: "team-a"),
            Budget(name: "day", limit: Money(decimalUSD: "5")!, period: BudgetPeriod(.day, in: TimeZone(identifier: "Asia/Bangkok")!)),
        ])
        // The older form's JSON number is refused with the form to write instead.
        let old = "{ \(upstreams), \"budgets\": [ { \"project\": \"team-a\", \"limit\": 100, \"period\": \"month\" } ] }"
        let error = try #require(throws: ServerConfigurationError.self) { try ServerConfiguration.load(Array(old.utf8), file: "s.json", environment: [:]) }
        #expect(error.problems == ["s.json: $.budgets[0].limit: must be a string such as \"100\", found the JSON number 100"])
    }

    @Test func anUpstreamsHeadersAreCheckedAtLoadNotWhenARequestIsSent() throws {
        func upstreams(_ headers: String) -> [UInt8] {
            Array(#"{ "upstreams": [ { "name": "o", "base_url": "https://relay.example/v1", "dialect": "openai", "default": true, "headers": \#(headers) } ] }"#.utf8)
        }
        let configuration = try ServerConfiguration.load(upstreams(#"{ "OpenAI-Organization": "org-1", "X-Relay": "" }"#), file: "s.json", environment: [:])
        let upstream = try #require(configuration.upstreams.first?.upstream)
        #expect(upstream.headers.map(\.name.rawName) == ["OpenAI-Organization", "X-Relay"])
        #expect(upstream.headers[try #require(HTTPField.Name("openai-organization"))] == "org-1")

        let error = try #require(throws: ServerConfigurationError.self) {
            try ServerConfiguration.load(upstreams(#"{ "Bad Name": "x", "X-Split": "a\r\nInjected: 1", "X-Number": 3 }"#), file: "s.json", environment: [:])
        }
        #expect(error.problems.count == 3)
        #expect(error.problems.contains { $0.hasPrefix("s.json: $.upstreams[0].headers.Bad Name: is not a header name") })
        #expect(error.problems.contains { $0.hasPrefix("s.json: $.upstreams[0].headers.X-Split: must be one line") })
        #expect(error.problems.contains { $0.hasPrefix("s.json: $.upstreams[0].headers.X-Number:") })
    }
}
