import Foundation
import Testing
import TallyGateway
import TallyLedger
import TallyPricing
import TallyTestSupport
import TallyUsage

/// The Gateway prices its rows with the same rule `ledger reprice` uses: re-pricing what it wrote
/// with the same tables finds nothing to change, whatever kind of row it was.
struct OnePricingPathTests {
    /// An official table with a model that is listed but whose only price starts in 2099.
    static let table = #"""
        {"provider": "acme", "kind": "official", "source": "a test table",
         "models": {
           "acme-large": {"prices": [{"from": "2020-01-01", "input": "3.00", "cached_input": "0.30", "output": "15.00"}]},
           "acme-large-next": {"prices": [{"from": "2099-01-01", "input": "2.00", "output": "10.00"}]},
           "acme-small": {"aliases": ["acme-small-latest"], "prices": [{"input": "0.40", "output": "1.60"}]}
         }}
        """#

    static func reply(model: String, promptTokens: String = "1200", completionTokens: String = "300") -> FakeUpstream.Reply {
        .json(#"{"id":"c","object":"chat.completion","model":"\#(model)","choices":[{"index":0,"message":{"role":"assistant","content":"Hi."},"finish_reason":"stop"}],"usage":{"prompt_tokens":\#(promptTokens),"completion_tokens":\#(completionTokens),"prompt_tokens_details":{"cached_tokens":200}}}"#)
    }

    @Test func aRepriceWithTheTablesTheGatewayUsedAppendsNothingForAnyRowItWrites() async throws {
        let harness = try GatewayHarness()
        let prices = try PriceBook(includingBundled: false, userTables: [.init(origin: "acme.json", bytes: Array(Self.table.utf8))])
        let gateway = try Gateway(
            upstream: Upstream(provider: "acme", baseURL: harness.upstream.baseURL + "/v1", dialect: .openAI),
            ledger: harness.ledger, prices: prices, transport: harness.transport, retry: GatewayHarness.quickRetry)
        func send(_ requested: String, answering reply: FakeUpstream.Reply) async {
            harness.upstream.respond(to: "/v1/chat/completions", with: reply)
            _ = try? await gateway.send(GatewayRequest(endpoint: .chatCompletions, json: chatBody(model: requested, stream: false)))
        }

        // The model that ran, priced.
        await send("acme-large", answering: Self.reply(model: "acme-large"))
        // A listed model that ran but has no price in force yet: unpriced, not priced as the one asked for.
        await send("acme-large", answering: Self.reply(model: "acme-large-next"))
        // A name the table does not list (a relay's own): priced as the model asked for.
        await send("acme-small-latest", answering: Self.reply(model: "house-name-7b"))
        // A model nobody prices.
        await send("mystery", answering: Self.reply(model: "mystery"))
        // Usage no request could have: kept, flagged, unpriced.
        await send("acme-large", answering: Self.reply(model: "acme-large", promptTokens: "1000000000000000"))
        // Refused by the upstream, and a stream cut before its usage (estimated).
        await send("acme-large", answering: .error(status: 400, message: "bad request"))
        harness.upstream.respond(
            to: "/v1/chat/completions",
            with: FakeUpstream.Reply.openAIChatStream(model: "acme-large", includeUsage: false, done: false).ending(.close))
        _ = try? await gateway.stream(GatewayRequest(endpoint: .chatCompletions, json: chatBody(model: "acme-large", stream: true))) { stream in
            for try await _ in stream.chunks {}
        }

        let rows = try await harness.rows()
        #expect(rows.count == 7)
        #expect(rows[0].cost != nil && rows[0].priceEntry?.model == "acme-large")
        #expect(rows[1].modelReturned == "acme-large-next" && rows[1].cost == nil)
        #expect(rows[2].priceEntry?.model == "acme-small")
        #expect(rows[3].cost == nil)
        #expect(rows[4].cost == nil && !rows[4].usage.isPlausible)
        #expect(rows[6].usageSource == .estimated && rows[6].cost != nil)

        let everything = Date(timeIntervalSince1970: 0)..<Date(timeIntervalSinceNow: 3_600)
        let summary = try await harness.ledger.reprice(range: everything, prices: prices)
        #expect(summary.examined == 7)
        #expect(summary.changed == 0)
        #expect(summary.appended == 0)
        #expect(try await harness.rows().count == 7)
    }
}
