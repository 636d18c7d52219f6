import HTTPTypes
import Foundation
import Testing
import TallyGateway
import TallyLedger
import TallyPricing
import TallyStream
import TallyTestSupport
import TallyUsage

struct GatewayTests {
    // MARK: Non-streamed

    @Test func aNonStreamedOpenAIChatLeavesOneRowWithTheUpstreamsUsageAndTheTablesCost() async throws {
        let harness = try GatewayHarness()
        harness.upstream.respond(
            to: "/v1/chat/completions",
            with: .openAIChatCompletion(model: "gpt-4.1-2025-04-14", promptTokens: 1200, completionTokens: 300, cachedTokens: 200))
        let before = Date()
        let response = try await harness.openAI.send(
            GatewayRequest(endpoint: .chatCompletions, json: chatBody(stream: false), id: "req-1"),
            attribution: Attribution(project: "search", user: "ana", tags: ["beta"]))

        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self).contains(#""content":"Hello!""#))
        #expect(response.usage == Usage(input: 1000, cachedInput: 200, output: 300))
        #expect(response.usageSource == .reported)
        let rows = try await harness.rows()
        try #require(rows.count == 1)
        let row = rows[0]
        #expect(row.id == "req-1")
        #expect(row.provider == "holysheep")
        #expect(row.modelRequested == "gpt-4.1")
        #expect(row.modelReturned == "gpt-4.1-2025-04-14")
        #expect(row.endpoint == "chat/completions")
        #expect(row.streamed == false)
        #expect(row.outcome == .ok)
        #expect(row.httpStatus == 200)
        #expect(row.attempts == 1)
        #expect(row.usage == Usage(input: 1000, cachedInput: 200, output: 300))
        #expect(row.usageSource == .reported)
        #expect(row.attribution == Attribution(project: "search", user: "ana", tags: ["beta"]))
        let expected = try #require(harness.charge(row.usage, provider: "holysheep", model: "gpt-4.1", at: before))
        #expect(row.cost == expected.cost)
        #expect(row.listCost == expected.listCost)
        // Official gpt-4.1: 1000 × $2 + 200 × $0.50 + 300 × $8 per MTok = $0.0045.
        #expect(row.listCost == Money(nanoUSD: 4_500_000))
        #expect(response.charge == expected)
        #expect(response.ledgerSequence > 0)
        #expect(row.latencyMs != nil)
        #expect(try await harness.journalRows() == 0)

        let sent = try #require(harness.upstream.requests.first)
        #expect(sent.path == "/v1/chat/completions")
        #expect(sent.header("Authorization") == "Bearer sk-test-openai")
        #expect(sent.bodyText == chatBody(stream: false))
    }

    @Test func aNonStreamedAnthropicMessageIsSentWithItsKeyAndVersionAndMetered() async throws {
        let harness = try GatewayHarness()
        harness.upstream.respond(
            to: "/v1/messages",
            with: .anthropicMessage(model: "claude-sonnet-4-5-20250929", inputTokens: 40, outputTokens: 12, cacheReadTokens: 1000, cacheWriteTokens: 100))
        let before = Date()
        let response = try await harness.anthropic.send(
            GatewayRequest(endpoint: .messages, json: messagesBody(stream: false), headers: .named(["anthropic-beta": "tools-2024-04-04"])))

        #expect(response.usage == Usage(input: 40, cachedInput: 1000, cacheWrite: 100, output: 12))
        let row = try #require(try await harness.rows().first)
        #expect(row.provider == "anthropic")
        #expect(row.endpoint == "messages")
        #expect(row.outcome == .ok)
        #expect(row.usage == response.usage)
        let expected = try #require(harness.charge(row.usage, provider: "anthropic", model: "claude-sonnet-4-5-20250929", at: before))
        #expect(row.cost == expected.cost)
        #expect(row.listCost == row.cost)  // an official provider: list price is its price

        let sent = try #require(harness.upstream.requests.first)
        #expect(sent.path == "/v1/messages")
        #expect(sent.header("x-api-key") == "sk-ant-test")
        #expect(sent.header("anthropic-version") == "2023-06-01")
        #expect(sent.header("anthropic-beta") == "tools-2024-04-04")
        #expect(sent.header("Authorization") == nil)
    }

    @Test func embeddingsArePricedFromTheirPromptTokens() async throws {
        let harness = try GatewayHarness()
        let gateway = try Gateway(
            upstream: Upstream(provider: "openai", baseURL: harness.upstream.baseURL + "/v1", dialect: .openAI),
            ledger: harness.ledger, prices: GatewayHarness.prices, transport: harness.transport)
        harness.upstream.respond(
            to: "/v1/embeddings",
            with: .json(#"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.0023,-0.0093]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":8,"total_tokens":8}}"#))
        let response = try await gateway.send(
            GatewayRequest(endpoint: .embeddings, json: #"{"model":"text-embedding-3-small","input":"The food was delicious"}"#))
        #expect(response.usage == Usage(input: 8))
        let row = try #require(try await harness.rows().first)
        #expect(row.outcome == .ok)
        #expect(row.cost != nil)
    }

    // MARK: Non-streamed replies without usage

    @Test func aNonStreamedChatReplyWithoutUsageHasItsOutputEstimatedFromItsText() async throws {
        let harness = try GatewayHarness()
        let answer = "The ledger keeps one row per request, priced exactly, and never forgets one."
        harness.upstream.respond(
            to: "/v1/chat/completions",
            with: .json(#"{"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4.1","choices":[{"index":0,"message":{"role":"assistant","content":"\#(answer)"},"finish_reason":"stop"}]}"#))
        let response = try await harness.openAI.send(GatewayRequest(endpoint: .chatCompletions, json: chatBody(stream: false)))

        let expected = TokenizerEstimator().outputTokens(ofText: Array(answer.utf8), model: "gpt-4.1")
        #expect(expected > 10)
        let row = try #require(try await harness.rows().first)
        #expect(row.outcome == .ok)
        #expect(row.usageSource == .estimated)
        #expect(row.usage.output == expected)
        #expect(row.usage.input > 0)
        #expect(response.usage == row.usage)
        #expect(response.usageSource == .estimated)
    }

    @Test func aNonStreamedChatReplyWithoutUsageCountsItsToolCallsAndReasoning() async throws {
        let harness = try GatewayHarness()
        let reasoning = "The user wants the weather in Paris, so I call the tool."
        let arguments = #"{\"city\":\"Paris\",\"unit\":\"celsius\"}"#
        harness.upstream.respond(
            to: "/v1/chat/completions",
            with: .json(#"{"model":"deepseek-reasoner","choices":[{"index":0,"message":{"role":"assistant","content":null,"reasoning_content":"\#(reasoning)","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"\#(arguments)"}}]},"finish_reason":"tool_calls"}]}"#))
        _ = try await harness.openAI.send(GatewayRequest(endpoint: .chatCompletions, json: chatBody(stream: false)))

        let text = reasoning + "get_weather" + #"{"city":"Paris","unit":"celsius"}"#
        let row = try #require(try await harness.rows().first)
        #expect(row.usageSource == .estimated)
        #expect(row.usage.output == TokenizerEstimator().outputTokens(ofText: Array(text.utf8), model: "gpt-4.1"))
    }

    @Test func aNonStreamedAnthropicMessageWithoutUsageHasItsOutputEstimatedFromItsText() async throws {
        let harness = try GatewayHarness()
        let thinking = "Two short sentences will do."
        let answer = "Hello, ledger. Every request you see is priced to the nano-dollar."
        harness.upstream.respond(
            to: "/v1/messages",
            with: .json(#"{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"thinking","thinking":"\#(thinking)","signature":"c2ln"},{"type":"text","text":"\#(answer)"},{"type":"tool_use","id":"toolu_1","name":"log","input":{"line":"done"}}],"stop_reason":"end_turn"}"#))
        _ = try await harness.anthropic.send(GatewayRequest(endpoint: .messages, json: messagesBody(stream: false)))

        let text = thinking + answer + "log" + #"{"line":"done"}"#
        let row = try #require(try await harness.rows().first)
        #expect(row.outcome == .ok)
        #expect(row.usageSource == .estimated)
        #expect(row.usage.output == TokenizerEstimator().outputTokens(ofText: Array(text.utf8), model: "claude-sonnet-4-5"))
        #expect(row.usage.output > 10)
    }

    @Test func aNonStreamedResponsesReplyWithoutUsageHasItsOutputEstimatedFromItsText() async throws {
        let harness = try GatewayHarness()
        let summary = "Greeting requested."
        let answer = "Hello to the ledger, which counts every token it is told about."
        harness.upstream.respond(
            to: "/v1/responses",
            with: .json(#"{"id":"resp_1","object":"response","status":"completed","model":"gpt-4.1","output":[{"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"\#(summary)"}]},{"type":"message","id":"msg_1","role":"assistant","content":[{"type":"output_text","text":"\#(answer)","annotations":[]}]},{"type":"function_call","id":"fc_1","call_id":"call_1","name":"log","arguments":"{}"}]}"#))
        _ = try await harness.openAI.send(GatewayRequest(endpoint: .responses, json: #"{"model":"gpt-4.1","input":"Say hello to the ledger."}"#))

        let text = summary + answer + "log" + "{}"
        let row = try #require(try await harness.rows().first)
        #expect(row.usageSource == .estimated)
        #expect(row.usage.output == TokenizerEstimator().outputTokens(ofText: Array(text.utf8), model: "gpt-4.1"))
    }

    @Test func aNonStreamedCompletionWithoutUsageHasItsOutputEstimatedFromItsText() async throws {
        let harness = try GatewayHarness()
        let answer = "once upon a time, a ledger counted every token"
        harness.upstream.respond(
            to: "/v1/completions",
            with: .json(#"{"id":"cmpl-1","object":"text_completion","model":"gpt-3.5-turbo-instruct","choices":[{"text":"\#(answer)","index":0,"finish_reason":"stop"}]}"#))
        _ = try await harness.openAI.send(GatewayRequest(endpoint: .completions, json: #"{"model":"gpt-3.5-turbo-instruct","prompt":"Tell a story"}"#))

        let row = try #require(try await harness.rows().first)
        #expect(row.usageSource == .estimated)
        #expect(row.usage.output == TokenizerEstimator().outputTokens(ofText: Array(answer.utf8), model: "gpt-3.5-turbo-instruct"))
    }

    // MARK: Usage dialects

    /// A gateway to the fake upstream priced as `provider`, with `prices`.
    private func gateway(_ harness: GatewayHarness, provider: String, prices: PriceBook = GatewayHarness.prices) throws -> Gateway {
        try Gateway(
            upstream: Upstream(provider: provider, baseURL: harness.upstream.baseURL + "/v1", dialect: .openAI),
            ledger: harness.ledger, prices: prices, transport: harness.transport)
    }

    /// xAI's usage: `completion_tokens` excludes the reasoning (total = prompt + completion + reasoning).
    private static let xAIUsage = #"{"prompt_tokens":40,"completion_tokens":12,"total_tokens":252,"prompt_tokens_details":{"text_tokens":40,"audio_tokens":0,"image_tokens":0,"cached_tokens":8},"completion_tokens_details":{"reasoning_tokens":200,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0},"num_sources_used":0}"#

    @Test func xAIsNonStreamedUsageBillsItsReasoningApartFromItsCompletion() async throws {
        let harness = try GatewayHarness()
        harness.upstream.respond(
            to: "/v1/chat/completions",
            with: .json(#"{"id":"x1","object":"chat.completion","model":"grok-3-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Hi.","reasoning_content":"Short."},"finish_reason":"stop"}],"usage":\#(Self.xAIUsage)}"#))
        let response = try await gateway(harness, provider: "xai").send(
            GatewayRequest(endpoint: .chatCompletions, json: chatBody(model: "grok-3-mini", stream: false)))

        let expected = Usage(input: 32, cachedInput: 8, output: 12, reasoning: 200)
        #expect(response.usage == expected)
        let row = try #require(try await harness.rows().first)
        #expect(row.usage == expected)
        #expect(row.usage.flags.isEmpty)
        #expect(row.usageSource == .reported)
        #expect(row.cost == harness.charge(expected, provider: "xai", model: "grok-3-mini", at: row.timestamp)?.cost)
    }

    @Test func xAIsStreamedUsageBillsItsReasoningApartFromItsCompletion() async throws {
        let harness = try GatewayHarness()
        let prefix = #"{"id":"x2","object":"chat.completion.chunk","created":1700000000,"model":"grok-3-mini","#
        harness.upstream.respond(to: "/v1/chat/completions", with: .sse([
            "data: " + prefix + #""choices":[{"index":0,"delta":{"role":"assistant","reasoning_content":"Short."}}]}"# + "\n\n",
            "data: " + prefix + #""choices":[{"index":0,"delta":{"content":"Hi."}}]}"# + "\n\n",
            "data: " + prefix + #""choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":\#(Self.xAIUsage)}"# + "\n\n",
            "data: [DONE]\n\n",
        ]))
        try await gateway(harness, provider: "xai").stream(
            GatewayRequest(endpoint: .chatCompletions, json: chatBody(model: "grok-3-mini", stream: true, includeUsage: true))
        ) { stream in
            for try await _ in stream.events {}
        }

        let row = try #require(try await harness.rows().first)
        #expect(row.usage == Usage(input: 32, cachedInput: 8, output: 12, reasoning: 200))
        #expect(row.usageSource == .reported)
    }

    @Test func aRelaySellingAGrokModelPassesXAIsCountsOnAndOthersKeepTheOpenAIRule() async throws {
        let harness = try GatewayHarness()
        let relay = #"""
            {"provider": "grokrelay", "kind": "relay", "source": "a test relay",
             "billing": {"credit_usd": "1"},
             "models": {
               "grok-4": {"official": "xai/grok-4-0709", "prices": [{"input": "3.00", "cached_input": "0.75", "output": "15.00"}]},
               "o4-mini": {"official": "openai/o4-mini", "prices": [{"input": "1.10", "cached_input": "0.275", "output": "4.40"}]}
             }}
            """#
        let prices = try PriceBook(userTables: [.init(origin: "grokrelay.json", bytes: Array(relay.utf8))])
        let relayGateway = try gateway(harness, provider: "grokrelay", prices: prices)

        harness.upstream.respond(
            to: "/v1/chat/completions",
            with: .json(#"{"model":"grok-4","choices":[{"index":0,"message":{"role":"assistant","content":"Hi."},"finish_reason":"stop"}],"usage":\#(Self.xAIUsage)}"#))
        let grok = try await relayGateway.send(GatewayRequest(endpoint: .chatCompletions, json: chatBody(model: "grok-4", stream: false)))
        #expect(grok.usage == Usage(input: 32, cachedInput: 8, output: 12, reasoning: 200))

        // The same relay's OpenAI model: completion_tokens includes the reasoning.
        harness.upstream.respond(
            to: "/v1/chat/completions",
            with: .json(#"{"model":"o4-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Hi."},"finish_reason":"stop"}],"usage":{"prompt_tokens":40,"completion_tokens":212,"completion_tokens_details":{"reasoning_tokens":200}}}"#))
        let openAI = try await relayGateway.send(GatewayRequest(endpoint: .chatCompletions, json: chatBody(model: "o4-mini", stream: false)))
        #expect(openAI.usage == Usage(input: 40, output: 12, reasoning: 200))
    }

    // MARK: Streamed

    @Test func aStreamNotAskingForUsageGetsItInjectedAndTheUsageChunkHidden() async throws {
        let harness = try GatewayHarness()
        let reply = FakeUpstream.Reply.openAIChatStream(model: "gpt-4.1-2025-04-14", promptTokens: 20, completionTokens: 5)
        harness.upstream.respond(to: "/v1/chat/completions", with: reply)
        var forwarded: [UInt8] = []
        var events: [StreamEvent] = []
        let reportedInside = try await harness.openAI.stream(
            GatewayRequest(endpoint: .chatCompletions, json: chatBody(stream: true))
        ) { stream in
            for try await chunk in stream.chunks {
                forwarded += chunk.bytes
                events += chunk.events
            }
            return stream.usage
        }

        // Upstream saw the caller's body with only the member added before its last brace.
        let sent = try #require(harness.upstream.requests.first).bodyText
        let original = chatBody(stream: true)
        #expect(sent == String(original.dropLast()) + #","stream_options":{"include_usage":true}}"#)
        // The caller sees neither the usage event nor its bytes; every other byte is unchanged.
        #expect(!events.contains { if case .usage = $0 { true } else { false } })
        #expect(events.last == .done)
        let upstreamBytes = reply.parts.joined()
        let usageEvent = try #require(reply.parts.first { String(decoding: $0, as: UTF8.self).contains(#""usage""#) })
        #expect(forwarded == Array(upstreamBytes).removing(usageEvent))
        #expect(reportedInside == Usage(input: 20, output: 5))

        let row = try #require(try await harness.rows().first)
        #expect(row.outcome == .ok)
        #expect(row.streamed)
        #expect(row.usage == Usage(input: 20, output: 5))
        #expect(row.usageSource == .reported)
        #expect(row.firstTokenMs != nil)
        #expect(row.cost == harness.charge(row.usage, provider: "holysheep", model: "gpt-4.1", at: row.timestamp)?.cost)
    }

    @Test func aUsageChunkWithCRLFLineEndsSentOneByteAtATimeIsHiddenAndNothingElse() async throws {
        let harness = try GatewayHarness()
        let prefix = #"{"id":"c","object":"chat.completion.chunk","model":"gpt-4.1","choices":"#
        let usageEvent = "data: " + prefix + #"[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"usage":{"prompt_tokens":7,"completion_tokens":2,"total_tokens":9}}"# + "\r\n\r\n"
        let events = [
            ": OPENROUTER PROCESSING\r\n\r\n",
            "data: " + prefix + #"[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]}"# + "\r\n\r\n",
            "data: " + prefix + #"[{"index":0,"delta":{},"finish_reason":"stop"}]}"# + "\r\n\r\n",
            usageEvent,
            "data: [DONE]\r\n\r\n",
        ]
        harness.upstream.respond(to: "/v1/chat/completions", with: FakeUpstream.Reply.sse(events).bytePerWrite())
        let forwarded = try await harness.openAI.stream(GatewayRequest(endpoint: .chatCompletions, json: chatBody(stream: true))) { stream in
            var forwarded: [UInt8] = []
            for try await chunk in stream.chunks { forwarded += chunk.bytes }
            return forwarded
        }
        #expect(String(decoding: forwarded, as: UTF8.self) == events.filter { $0 != usageEvent }.joined())
        #expect(try await harness.rows().first?.usage == Usage(input: 7, output: 2))
    }

    @Test func aByteOrderMarkAndBlankLineBeforeAHiddenUsageChunkAreStillForwarded() async throws {
        let harness = try GatewayHarness()
        let usageEvent = "data: " + #"{"id":"c","object":"chat.completion.chunk","model":"gpt-4.1","choices":[],"usage":{"prompt_tokens":7,"completion_tokens":2,"total_tokens":9}}"# + "\n\n"
        // The parser strips the mark and sees a blank line: a block of its own, not part of the usage chunk's.
        let events = ["\u{FEFF}\n", usageEvent, "data: [DONE]\n\n"]
        harness.upstream.respond(to: "/v1/chat/completions", with: FakeUpstream.Reply.sse(events))
        let forwarded = try await harness.openAI.stream(GatewayRequest(endpoint: .chatCompletions, json: chatBody(stream: true))) { stream in
            var forwarded: [UInt8] = []
            for try await chunk in stream.chunks { forwarded += chunk.bytes }
            return forwarded
        }
        #expect(forwarded == Array("\u{FEFF}\ndata: [DONE]\n\n".utf8))
        #expect(try await harness.rows().first?.usage == Usage(input: 7, output: 2))
    }

    @Test func aStreamThatAskedForUsageKeepsTheUsageChunkAndEveryByte() async throws {
        let harness = try GatewayHarness()
        let reply = FakeUpstream.Reply.openAIChatStream(model: "gpt-4.1", promptTokens: 20, completionTokens: 5)
        harness.upstream.respond(to: "/v1/chat/completions", with: reply)
        let body = chatBody(stream: true, includeUsage: true)
        let (forwarded, events) = try await harness.openAI.stream(GatewayRequest(endpoint: .chatCompletions, json: body)) { stream in
            var forwarded: [UInt8] = []
            var events: [StreamEvent] = []
            for try await chunk in stream.chunks {
                forwarded += chunk.bytes
                events += chunk.events
            }
            return (forwarded, events)
        }
        #expect(try #require(harness.upstream.requests.first).bodyText == body)
        #expect(forwarded == Array(reply.parts.joined()))
        #expect(events.contains(.usage(Usage(input: 20, output: 5))))
        #expect(try await harness.rows().first?.usage == Usage(input: 20, output: 5))
    }

    @Test func aStreamWithIncludeUsageFalseIsRewrittenKeepingItsOtherOptionsAndNumbers() async throws {
        let harness = try GatewayHarness()
        harness.upstream.respond(to: "/v1/chat/completions", with: .openAIChatStream(model: "gpt-4.1"))
        let body = #"{"model":"gpt-4.1","stream":true,"stream_options":{"include_usage":false,"x":1},"top_p":1.000,"messages":[{"role":"user","content":"é\n"}]}"#
        let typed = try await harness.openAI.stream(GatewayRequest(endpoint: .chatCompletions, json: body)) { stream in
            var usageEvents = 0
            for try await event in stream.events { if case .usage = event { usageEvents += 1 } }
            return usageEvents
        }
        #expect(typed == 0)
        let sent = try #require(harness.upstream.requests.first).bodyText
        #expect(sent == #"{"model":"gpt-4.1","stream":true,"stream_options":{"x":1,"include_usage":true},"top_p":1.000,"messages":[{"role":"user","content":"é\n"}]}"#)
        #expect(try await harness.rows().first?.usageSource == .reported)
    }

    @Test func anAnthropicStreamIsMeteredFromMessageStartAndTheLastMessageDelta() async throws {
        let harness = try GatewayHarness()
        harness.upstream.respond(
            to: "/v1/messages",
            with: .anthropicStream(model: "claude-sonnet-4-5", pieces: ["Hi", " there"], inputTokens: 30, outputTokens: 7, cacheReadTokens: 500))
        let text = try await harness.anthropic.stream(GatewayRequest(endpoint: .messages, json: messagesBody(stream: true))) { stream in
            #expect(stream.status == 200)
            #expect(stream.headers[.contentType] == "text/event-stream")
            var text = ""
            for try await event in stream.events { if case .text(let piece, _) = event { text += piece } }
            return text
        }
        #expect(text == "Hi there")
        let row = try #require(try await harness.rows().first)
        #expect(row.outcome == .ok)
        #expect(row.usage == Usage(input: 30, cachedInput: 500, output: 7))
        #expect(row.usageSource == .reported)
        #expect(row.modelReturned == "claude-sonnet-4-5")
        #expect(row.firstTokenMs != nil)
        #expect(try #require(harness.upstream.requests.first).bodyText == messagesBody(stream: true))
    }

    @Test func aRecordedResponsesStreamIsPassedOnUnchangedAndMeteredFromResponseCompleted() async throws {
        let harness = try GatewayHarness()
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("TallyStreamTests/Fixtures/responses-text.sse")
        let recorded = try String(contentsOf: fixture, encoding: .utf8)
        let events = recorded.components(separatedBy: "\n\n").filter { !$0.isEmpty }.map { $0 + "\n\n" }
        harness.upstream.respond(to: "/v1/responses", with: .sse(events))
        let gateway = try Gateway(
            upstream: Upstream(provider: "openai", baseURL: harness.upstream.baseURL + "/v1", dialect: .openAI, apiKey: "k"),
            ledger: harness.ledger, prices: GatewayHarness.prices, transport: harness.transport)
        let body = #"{"model":"o4-mini","stream":true,"input":"Say hi","reasoning":{"summary":"auto"}}"#
        let forwarded = try await gateway.stream(GatewayRequest(endpoint: .responses, json: body)) { stream in
            var forwarded: [UInt8] = []
            for try await chunk in stream.chunks { forwarded += chunk.bytes }
            return forwarded
        }
        #expect(String(decoding: forwarded, as: UTF8.self) == events.joined())
        #expect(try #require(harness.upstream.requests.first).bodyText == body)
        let row = try #require(try await harness.rows().first)
        #expect(row.outcome == .ok)
        #expect(row.endpoint == "responses")
        #expect(row.usage == Usage(input: 301, cachedInput: 1536, output: 20, reasoning: 256))
        #expect(row.modelReturned == "o4-mini-2025-04-16")
        #expect(row.cost != nil)
    }

    @Test func aCallerThatStopsReadingAfterTheEndMarkerLeavesAnOkRow() async throws {
        let harness = try GatewayHarness()
        harness.upstream.respond(to: "/v1/chat/completions", with: .openAIChatStream(model: "gpt-4.1"))
        try await harness.openAI.stream(GatewayRequest(endpoint: .chatCompletions, json: chatBody(stream: true))) { stream in
            for try await event in stream.events where event == .done { break }
        }
        #expect(try await harness.rows().first?.outcome == .ok)
        #expect(await eventually { harness.transport.statistics.liveTransfers == 0 })
    }

    @Test func theJournalHoldsTheRequestWhileItIsInFlightAndNothingAfter() async throws {
        let harness = try GatewayHarness()
        harness.upstream.respond(to: "/v1/chat/completions", with: .openAIChatStream(model: "gpt-4.1"))
        let inside = try await harness.openAI.stream(GatewayRequest(endpoint: .chatCompletions, json: chatBody(stream: true))) { stream in
            let journal = try await harness.journalRows()
            for try await _ in stream.events {}
            return journal
        }
        #expect(inside == 1)
        #expect(try await harness.journalRows() == 0)
        #expect(try await harness.rows().count == 1)
    }

    @Test func aRequestWhoseJournalRowIsRefusedNeverReachesTheUpstream() async throws {
        let harness = try GatewayHarness()
        harness.upstream.respond(to: "/v1/chat/completions", with: .openAIChatStream(model: "gpt-4.1"))
        // The ledger refuses a control character in attribution, so the journal row is never written.
        let error = await gatewayError {
            _ = try await harness.openAI.stream(
                GatewayRequest(endpoint: .chatCompletions, json: chatBody(stream: true)),
                attribution: Attribution(project: "bad\u{7}name")) { _ in }
        }
        #expect(error?.code == .ledger)
        #expect(await eventually { harness.transport.statistics.liveTransfers == 0 })
        try await Task.sleep(for: .milliseconds(100))
        #expect(harness.upstream.requests.isEmpty, "the held body never went")
        #expect(try await harness.rows().isEmpty)
        #expect(try await harness.journalRows() == 0)
    }

    // MARK: Refused requests

    @Test func anInvalidJSONBodyIsRefusedWithoutAnUpstreamCallOrARow() async throws {
        let harness = try GatewayHarness()
        let error = await gatewayError {
            _ = try await harness.openAI.send(GatewayRequest(endpoint: .chatCompletions, json: #"{"model":"gpt-4.1","messages":[}"#))
        }
        #expect(error?.code == .invalidRequest)
        #expect(error?.message.contains("not valid JSON") == true)
        let noModel = await gatewayError {
            _ = try await harness.openAI.send(GatewayRequest(endpoint: .chatCompletions, json: #"{"messages":[]}"#))
        }
        #expect(noModel?.code == .invalidRequest)
        let wrongCall = await gatewayError {
            _ = try await harness.openAI.send(GatewayRequest(endpoint: .chatCompletions, json: chatBody(stream: true)))
        }
        #expect(wrongCall?.code == .invalidRequest)
        let wrongDialect = await gatewayError {
            _ = try await harness.anthropic.send(GatewayRequest(endpoint: .chatCompletions, json: chatBody(stream: false)))
        }
        #expect(wrongDialect?.code == .invalidRequest)
        #expect(harness.upstream.requests.isEmpty)
        #expect(try await harness.rows().isEmpty)
        #expect(try await harness.journalRows() == 0)
    }

    // MARK: Failures

    @Test func anUnreachableUpstreamIsRetriedThenRecordedAsAnErrorWithItsAttempts() async throws {
        let harness = try GatewayHarness()
        let closed = try ClosedPort()
        defer { withExtendedLifetime(closed) {} }  // the port stays refused until the test ends
        let port = closed.port
        let gateway = try Gateway(
            upstream: Upstream(provider: "holysheep", baseURL: "http://127.0.0.1:\(port)/v1", dialect: .openAI, apiKey: "sk-secret"),
            ledger: harness.ledger, prices: GatewayHarness.prices, transport: harness.transport, retry: GatewayHarness.quickRetry)
        let error = await gatewayError {
            _ = try await gateway.send(GatewayRequest(endpoint: .chatCompletions, json: chatBody(stream: false)))
        }
        #expect(error?.code == .transport)
        #expect(error?.transport?.code == .couldNotConnect)
        #expect(error?.message.contains("127.0.0.1:\(port)") == true)
        #expect(error?.message.contains("sk-secret") == false)
        let row = try #require(try await harness.rows().first)
        #expect(error?.ledgerSequence != nil)
        #expect(row.outcome == .error)
        #expect(row.attempts == 3)
        #expect(row.httpStatus == nil)
        #expect(row.usage == Usage())  // nothing reached a provider
        #expect(row.usageSource == .estimated)
    }

    @Test func aDNSFailureIsNotRetriedAndIsRecorded() async throws {
        let harness = try GatewayHarness()
        let gateway = try Gateway(
            upstream: Upstream(provider: "holysheep", baseURL: "http://\(unresolvableHost)/v1", dialect: .openAI),
            ledger: harness.ledger, prices: GatewayHarness.prices, transport: harness.transport, retry: GatewayHarness.quickRetry)
        let error = await gatewayError {
            try await gateway.stream(GatewayRequest(endpoint: .chatCompletions, json: chatBody(stream: true))) { _ in }
        }
        #expect(error?.code == .transport)
        #expect(error?.transport?.code == .couldNotResolve)
        let row = try #require(try await harness.rows().first)
        #expect(row.outcome == .error)
        #expect(row.attempts == 1)
        #expect(row.streamed)
    }

    @Test func a401IsNotRetriedAndSurfacesTheUpstreamsMessage() async throws {
        let harness = try GatewayHarness()
        harness.upstream.respond(
            to: "/v1/chat/completions",
            with: .error(status: 401, message: "Incorrect API key provided: sk-test***nai.", type: "invalid_request_error"))
        let error = await gatewayError {
            _ = try await harness.openAI.send(GatewayRequest(endpoint: .chatCompletions, json: chatBody(stream: false)))
        }
        #expect(error?.code == .upstreamStatus)
        #expect(error?.status == 401)
        #expect(error?.upstream?.message == "Incorrect API key provided: sk-test***nai.")
        #expect(error?.message.contains("answered 401: Incorrect API key provided") == true)
        #expect(error?.message.contains("sk-test-openai") == false)
        #expect(harness.upstream.requests.count == 1)
        let row = try #require(try await harness.rows().first)
        #expect(row.outcome == .error)
        #expect(row.httpStatus == 401)
        #expect(row.attempts == 1)
        #expect(row.usage == Usage())
    }

    @Test func a429StormPastTheRetryBudgetCountsEveryAttemptInTheRow() async throws {
        let harness = try GatewayHarness()
        harness.upstream.respond(to: "/v1/messages", with: .rateLimited(retryAfter: "0"))
        let error = await gatewayError {
            try await harness.anthropic.stream(GatewayRequest(endpoint: .messages, json: messagesBody(stream: true))) { _ in }
        }
        #expect(error?.code == .upstreamStatus)
        #expect(error?.status == 429)
        #expect(error?.message.contains("3 attempts") == true)
        #expect(harness.upstream.requests.count == 3)
        let row = try #require(try await harness.rows().first)
        #expect(row.outcome == .error)
        #expect(row.attempts == 3)
        #expect(row.httpStatus == 429)
    }

    @Test func aStreamThatStopsWithoutItsEndIsAnErrorWithEstimatedUsage() async throws {
        let harness = try GatewayHarness()
        harness.upstream.respond(
            to: "/v1/chat/completions",
            with: .openAIChatStream(model: "gpt-4.1", pieces: ["Hello", ", ledger"], includeUsage: false, done: false))
        var text = ""
        let error = await gatewayError {
            try await harness.openAI.stream(GatewayRequest(endpoint: .chatCompletions, json: chatBody(stream: true))) { stream in
                for try await event in stream.events { if case .text(let piece, _) = event { text += piece } }
            }
        }
        #expect(text == "Hello, ledger")
        #expect(error?.code == .streamTruncated)
        let row = try #require(try await harness.rows().first)
        #expect(row.outcome == .error)
        #expect(row.usageSource == .estimated)
        let estimator = TokenizerEstimator()
        #expect(row.usage.input == estimator.inputTokens(ofRequest: Array(chatBody(stream: true).utf8), endpoint: .chatCompletions, model: "gpt-4.1"))
        #expect(row.usage.input > 0)
        #expect(row.usage.output == estimator.outputTokens(ofText: Array("Hello, ledger".utf8), model: "gpt-4.1"))
        #expect(row.usage.output > 0)
        #expect(row.cost != nil)
    }

    @Test func aLongCutStreamKeepsOneMebibyteOfTextAndExtrapolatesTheRest() async throws {
        let harness = try GatewayHarness()
        let piece = String(repeating: "ledger ", count: 600)  // 4,200 bytes
        harness.upstream.respond(
            to: "/v1/chat/completions",
            with: .openAIChatStream(model: "gpt-4.1", pieces: Array(repeating: piece, count: 500), includeUsage: false, done: false))
        let error = await gatewayError {
            try await harness.openAI.stream(GatewayRequest(endpoint: .chatCompletions, json: chatBody(stream: true))) { stream in
                for try await _ in stream.chunks {}
            }
        }
        #expect(error?.code == .streamTruncated)
        let row = try #require(try await harness.rows().first)
        let whole = TokenizerEstimator().outputTokens(ofText: Array(String(repeating: piece, count: 500).utf8), model: "gpt-4.1")
        #expect(row.usageSource == .estimated)
        #expect(abs(row.usage.output - whole) * 100 <= whole)  // within 1%
    }

    @Test func aConnectionResetMidStreamIsATransportErrorWithTheTextSoFarEstimated() async throws {
        let harness = try GatewayHarness()
        harness.upstream.respond(
            to: "/v1/chat/completions",
            with: FakeUpstream.Reply.openAIChatStream(model: "gpt-4.1", pieces: Array(repeating: "word ", count: 50)).resetting(afterBytes: 2_000))
        let error = await gatewayError {
            try await harness.openAI.stream(GatewayRequest(endpoint: .chatCompletions, json: chatBody(stream: true))) { stream in
                for try await _ in stream.events {}
            }
        }
        #expect(error?.code == .transport)
        #expect(error?.transport?.code == .connectionReset)
        let row = try #require(try await harness.rows().first)
        #expect(row.outcome == .error)
        #expect(row.httpStatus == 200)
        #expect(row.usageSource == .estimated)
        #expect(row.usage.output > 0)
        #expect(await eventually { harness.transport.statistics.liveTransfers == 0 })
    }

    @Test func anErrorObjectInASuccessfulBodyIsAProviderErrorWithItsRow() async throws {
        let harness = try GatewayHarness()
        harness.upstream.respond(to: "/v1/chat/completions", with: .json(#"{"error":{"message":"upstream overloaded, try later","type":"server_error"}}"#))
        let error = await gatewayError {
            _ = try await harness.openAI.send(GatewayRequest(endpoint: .chatCompletions, json: chatBody(stream: false)))
        }
        #expect(error?.code == .providerError)
        #expect(error?.message.contains("upstream overloaded, try later") == true)
        #expect(error?.ledgerSequence != nil)
        let row = try #require(try await harness.rows().first)
        #expect(row.outcome == .error)
        #expect(row.httpStatus == 200)
    }

    @Test func invalidJSONEventsInTheStreamArePassedOnAndTheUsageAfterThemIsKept() async throws {
        let harness = try GatewayHarness()
        let chunk = #"{"id":"c","object":"chat.completion.chunk","model":"gpt-4.1","choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":null}]}"#
        harness.upstream.respond(to: "/v1/chat/completions", with: .sse([
            "data: \(chunk)\n\n",
            "data: {not json at all\n\n",
            #"data: {"id":"c","object":"chat.completion.chunk","model":"gpt-4.1","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":1,"total_tokens":10}}"# + "\n\n",
            "data: [DONE]\n\n",
        ]))
        let undecodable = try await harness.openAI.stream(GatewayRequest(endpoint: .chatCompletions, json: chatBody(stream: true))) { stream in
            var undecodable = 0
            for try await event in stream.events { if case .undecodable = event { undecodable += 1 } }
            return undecodable
        }
        #expect(undecodable == 1)
        let row = try #require(try await harness.rows().first)
        #expect(row.outcome == .ok)
        #expect(row.usage == Usage(input: 9, output: 1))
        #expect(row.usageSource == .reported)
    }

    @Test func aProviderErrorInsideTheStreamEndsTheIterationWithAnError() async throws {
        let harness = try GatewayHarness()
        harness.upstream.respond(to: "/v1/messages", with: .sse([
            "event: message_start\ndata: " + #"{"type":"message_start","message":{"id":"m","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"usage":{"input_tokens":25,"output_tokens":1}}}"# + "\n\n",
            "event: error\ndata: " + #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"# + "\n\n",
        ]))
        var sawError = false
        let error = await gatewayError {
            try await harness.anthropic.stream(GatewayRequest(endpoint: .messages, json: messagesBody(stream: true))) { stream in
                for try await event in stream.events { if case .providerError = event { sawError = true } }
            }
        }
        #expect(sawError)
        #expect(error?.code == .providerError)
        #expect(error?.message.contains("Overloaded") == true)
        let row = try #require(try await harness.rows().first)
        #expect(row.outcome == .error)
        #expect(row.usage.input == 25)  // the provider's own input count, kept
        #expect(row.usageSource == .estimated)
    }

    // MARK: Cancellation

    @Test func leavingTheScopeMidStreamCancelsTheTransferAndRecordsACancelledRow() async throws {
        let harness = try GatewayHarness()
        harness.upstream.respond(
            to: "/v1/chat/completions",
            with: .openAIChatStream(model: "gpt-4.1", pieces: Array(repeating: "word ", count: 2000), delay: .milliseconds(20)))
        let seen = try await harness.openAI.stream(GatewayRequest(endpoint: .chatCompletions, json: chatBody(stream: true))) { stream in
            var texts = 0
            for try await event in stream.events {
                if case .text = event { texts += 1 }
                if texts == 3 { break }
            }
            return texts
        }
        #expect(seen == 3)
        let row = try #require(try await harness.rows().first)
        #expect(row.outcome == .cancelled)
        #expect(row.usageSource == .estimated)
        // The text decoded so far (whole chunks, so perhaps past the third word), not the 200 words.
        let estimator = TokenizerEstimator()
        #expect(row.usage.output >= estimator.outputTokens(ofText: Array("word word word ".utf8), model: "gpt-4.1"))
        #expect(row.usage.output < estimator.outputTokens(ofText: Array(String(repeating: "word ", count: 2000).utf8), model: "gpt-4.1"))
        #expect(await eventually { harness.transport.statistics.liveTransfers == 0 })
        #expect(await eventually { harness.upstream.abandonedResponses == 1 })
    }

    @Test func leavingBeforeTheEndMarkerOfAStreamAlreadyReceivedIsCancelledWithTheReportedUsage() async throws {
        let harness = try GatewayHarness()
        harness.upstream.respond(to: "/v1/chat/completions", with: .openAIChatStream(model: "gpt-4.1", promptTokens: 40, completionTokens: 9))
        try await harness.openAI.stream(GatewayRequest(endpoint: .chatCompletions, json: chatBody(stream: true))) { stream in
            try await Task.sleep(for: .milliseconds(200))  // the whole stream is buffered by now
            for try await event in stream.events {
                if case .text = event { break }
            }
        }
        let row = try #require(try await harness.rows().first)
        #expect(row.outcome == .cancelled)
        #expect(row.usage == Usage(input: 40, output: 9))  // the provider's final count had arrived
        #expect(row.usageSource == .reported)
    }

    @Test func cancellingTheCallersTaskMidStreamRecordsACancelledRowAndLeaksNoTransfer() async throws {
        let harness = try GatewayHarness()
        harness.upstream.respond(
            to: "/v1/messages",
            with: .anthropicStream(pieces: Array(repeating: "word ", count: 2000), delay: .milliseconds(20)))
        let firstText = AsyncStream<Void>.makeStream()
        let task = Task {
            try await harness.anthropic.stream(GatewayRequest(endpoint: .messages, json: messagesBody(stream: true))) { stream in
                for try await event in stream.events {
                    if case .text = event { firstText.continuation.yield() }
                }
            }
        }
        for await _ in firstText.stream { break }
        task.cancel()
        let result = await task.result
        let error = try #require(result.failure as? GatewayError)
        #expect(error.code == .cancelled)
        let row = try #require(try await harness.rows().first)
        #expect(row.outcome == .cancelled)
        #expect(row.usageSource == .estimated)
        #expect(row.usage.output >= 1)
        #expect(await eventually { harness.transport.statistics.liveTransfers == 0 })
        #expect(try await harness.journalRows() == 0)
    }

    // MARK: meter

    @Test func meterRecordsTheUsageOfACallTheApplicationMadeItself() async throws {
        let harness = try GatewayHarness()
        let answer = try await harness.openAI.meter(model: "gpt-4.1", endpoint: .chatCompletions, attribution: Attribution(project: "batch")) {
            ("done", Usage(input: 100, output: 50))
        }
        #expect(answer == "done")
        struct Failure: Error {}
        await #expect(throws: Failure.self) {
            try await harness.anthropic.meter(provider: "anthropic", model: "claude-sonnet-4-5", endpoint: .messages) { () -> (Int, Usage?) in
                throw Failure()
            }
        }
        let rows = try await harness.rows()
        try #require(rows.count == 2)
        #expect(rows[0].outcome == .ok)
        #expect(rows[0].usage == Usage(input: 100, output: 50))
        #expect(rows[0].usageSource == .reported)
        #expect(rows[0].provider == "holysheep")
        #expect(rows[0].attribution.project == "batch")
        #expect(rows[0].cost == harness.charge(Usage(input: 100, output: 50), provider: "holysheep", model: "gpt-4.1", at: rows[0].timestamp)?.cost)
        #expect(rows[1].outcome == .error)
        #expect(rows[1].provider == "anthropic")
        #expect(rows[1].usage == Usage())
        #expect(rows[1].usageSource == .estimated)
        #expect(try await harness.journalRows() == 0)
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

extension Array where Element == UInt8 {
    /// The bytes with the first occurrence of `part` removed.
    func removing(_ part: [UInt8]) -> [UInt8] {
        guard !part.isEmpty, part.count <= count else { return self }
        for start in 0...(count - part.count) where self[start..<(start + part.count)].elementsEqual(part) {
            return Array(self[..<start] + self[(start + part.count)...])
        }
        return self
    }
}
