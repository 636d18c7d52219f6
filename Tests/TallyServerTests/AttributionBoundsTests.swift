import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
import Hummingbird
import TallyGateway
import TallyTestSupport
import TallyLedger
import TallyServer

struct AttributionBoundsTests {
    @Test func refusesAttributionHeadersOutOfBoundsNamingTheHeader() async throws {
        let fixture = try ProxyFixture()
        defer { fixture.finish() }
        fixture.upstream.respond(to: "/v1/chat/completions", with: .openAIChatCompletion(model: "gpt-4.1"))
        let refused: [(String, String, String)] = [
            ("x-tally-project", String(repeating: "p", count: 20_000), "X-Tally-Project"),
            ("x-request-id", String(repeating: "r", count: 5_000), "X-Request-ID"),
            ("x-tally-user", "alice\tbob", "X-Tally-User"),
            ("x-tally-user", "alice\u{85}bob", "X-Tally-User"),
            ("x-tally-project", String(repeating: "é", count: 65), "X-Tally-Project"),
            ("x-tally-tags", (1...33).map { "t\($0)" }.joined(separator: ","), "X-Tally-Tags"),
            ("x-tally-tags", "ok," + String(repeating: "t", count: 129), "X-Tally-Tags"),
        ]
        try await fixture.run { client in
            for (name, value, shown) in refused {
                let response = try await client.execute(
                    uri: "/v1/chat/completions", method: .post, headers: [HTTPField.Name(name)!: value], body: ByteBuffer(string: chatBody))
                #expect(response.status == .badRequest, "\(shown)")
                #expect(isOpenAIError(response.body))
                #expect(String(buffer: response.body).contains(shown), "\(String(buffer: response.body))")
                #expect(String(buffer: response.body).count < 1000)
            }
            let anthropic = try await client.execute(
                uri: "/v1/messages", method: .post, headers: [HTTPField.Name("x-tally-project")!: String(repeating: "p", count: 129)],
                body: ByteBuffer(string: #"{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[]}"#))
            #expect(anthropic.status == .badRequest)
            #expect(isAnthropicError(anthropic.body))
            // At the bound: accepted as is.
            let longest = try await client.execute(
                uri: "/v1/chat/completions", method: .post,
                headers: [HTTPField.Name("x-tally-project")!: String(repeating: "p", count: 128), HTTPField.Name("x-request-id")!: String(repeating: "r", count: 128)],
                body: ByteBuffer(string: chatBody))
            #expect(longest.status == .ok)
            // The body's own user field out of bounds attributes nothing; the request goes on.
            let bodyUser = try await client.execute(
                uri: "/v1/chat/completions", method: .post,
                body: ByteBuffer(string: #"{"model":"gpt-4.1","user":"\#(String(repeating: "u", count: 500))","messages":[]}"#))
            #expect(bodyUser.status == .ok)
        }
        #expect(fixture.upstream.requests.count == 2)
        let rows = try await fixture.rows()
        #expect(rows.count == 2)
        #expect(rows.first?.attribution.project == String(repeating: "p", count: 128))
        #expect(rows.first?.id == String(repeating: "r", count: 128))
        #expect(rows.last?.attribution.user == nil)
    }
}
