import Testing
import TallyStream
import TallyUsage

/// Concatenated argument fragments per tool call index.
func toolArguments(_ events: [StreamEvent]) -> [Int: String] {
    var arguments: [Int: String] = [:]
    for case .toolCall(let call) in events { arguments[call.index, default: ""] += call.arguments }
    return arguments
}

/// Concatenated text per index, for one kind of text event.
func joined(_ events: [StreamEvent], reasoning: Bool = false) -> String {
    events.reduce(into: "") { text, event in
        switch event {
        case .text(let fragment, _) where !reasoning: text += fragment
        case .reasoning(let fragment, _) where reasoning: text += fragment
        default: break
        }
    }
}

struct OpenAIChatDecodingTests {
    @Test func anXAIStreamIsReadByXAIsRuleItsCompletionExcludingTheReasoning() throws {
        let (events, decoder) = try Fixture.decoded("xai-chat-reasoning.sse", format: .openAIChat, usageConvention: .xAI)
        // total_tokens 354 = 27 + 9 + 318: output is completion_tokens, the reasoning beside it.
        #expect(decoder.usage == Usage(input: 21, cachedInput: 6, output: 9, reasoning: 318))
        #expect(decoder.usageConvention == .xAI)
        #expect(joined(events, reasoning: true) == "The user asks for 101 times 3. 100 times 3 is 300, plus 3 is 303.")
        #expect(joined(events) == "101 multiplied by 3 is 303.")
        #expect(decoder.isDone)
    }

    @Test func theSameXAIStreamReadByTheOpenAIRuleLosesItsReasoning() throws {
        // Why the convention must be chosen per provider: the OpenAI rule nets the reasoning out.
        let (_, decoder) = try Fixture.decoded("xai-chat-reasoning.sse", format: .openAIChat)
        let usage = try #require(decoder.usage)
        #expect(usage.output == 9 - 318)
        #expect(usage.flags.contains(.reasoningExceedsCompletion))
    }

    @Test func anOpenAIStreamKeepsTheOpenAIRuleByDefault() throws {
        let (_, standard) = try Fixture.decoded("openai-chat-reasoning.sse", format: .openAIChat)
        #expect(standard.usage == Usage(input: 30, output: 18, reasoning: 512))
    }

    @Test func toolCallDeltasArriveWithTheirIDsNamesAndArgumentFragments() throws {
        let (events, decoder) = try Fixture.decoded("openai-chat-tools.sse", format: .openAIChat)
        let opening = events.compactMap { event -> ToolCallDelta? in
            if case .toolCall(let call) = event, call.id != nil { return call }
            return nil
        }
        #expect(opening == [
            ToolCallDelta(index: 0, id: "call_7QpL2mXvK9sD3fR8tYb1NcWe", name: "get_weather", arguments: ""),
            ToolCallDelta(index: 1, id: "call_Hs0Wm4TqB8vN2xLc6rJ9aZpE", name: "get_time", arguments: "{\"tz\": \"Europe/Zurich\"}"),
        ])
        #expect(toolArguments(events) == [0: "{\"location\": \"Zürich\"}", 1: "{\"tz\": \"Europe/Zurich\"}"])
        #expect(events.first == .started(model: "gpt-4.1-2025-04-14", id: "chatcmpl-BQ3xKp9v2bN7mT1wYzR8cLd4eFgHi"))
        #expect(events.contains(.role("assistant", index: 0)))
        #expect(events.contains(.finished(reason: "tool_calls", index: 0)))
        #expect(events.last == .done)
        #expect(decoder.isDone)
        #expect(decoder.finishReason == "tool_calls")
    }

    @Test func theUsageChunkWithEmptyChoicesGivesUsageWithCachedTokensTakenOutOfInput() throws {
        let (events, decoder) = try Fixture.decoded("openai-chat-tools.sse", format: .openAIChat)
        let expected = Usage(input: 86, cachedInput: 1920, output: 54)
        #expect(decoder.usage == expected)
        #expect(events.filter { if case .usage = $0 { true } else { false } } == [.usage(expected)])
        #expect(decoder.model == "gpt-4.1-2025-04-14")
    }

    @Test func reasoningTokensAreTakenOutOfTheCompletion() throws {
        let (events, decoder) = try Fixture.decoded("openai-chat-reasoning.sse", format: .openAIChat)
        #expect(joined(events) == "The answer is \"42\" 😀\n")
        #expect(decoder.usage == Usage(input: 30, output: 18, reasoning: 512))
    }

    @Test func anErrorObjectInsideTheStreamBecomesAProviderError() throws {
        let (events, decoder) = try Fixture.decoded("openai-chat-error.sse", format: .openAIChat)
        #expect(joined(events) == "Partial")
        #expect(events.last == .providerError(ProviderError(
            type: "server_error", code: nil,
            message: "The server had an error while processing your request. Sorry about that!"
        )))
        #expect(decoder.usage == nil)
        #expect(!decoder.isDone)
    }

    @Test func deepSeekReasoningContentAndUsageBesideTheLastChoiceAreRead() throws {
        let (events, decoder) = try Fixture.decoded("deepseek-reasoner.sse", format: .openAIChat)
        #expect(joined(events, reasoning: true) == "嗯，用户问9.11和9.9哪个大。")
        #expect(joined(events) == "9.9 更大。")
        #expect(decoder.usage == Usage(input: 17, output: 27, reasoning: 187))
        #expect(decoder.model == "deepseek-reasoner")
        #expect(decoder.finishReason == "stop")
    }

    @Test func deepSeekCacheHitAndMissFieldsStandInForPromptDetails() throws {
        let (_, decoder) = try Fixture.decoded("deepseek-legacy-usage.sse", format: .openAIChat)
        #expect(decoder.usage == Usage(input: 10, cachedInput: 1280, output: 3))
    }

    @Test func openRouterReasoningCommentsAndCacheWritesAreHandled() throws {
        let (events, decoder) = try Fixture.decoded("openrouter-reasoning.sse", format: .openAIChat)
        #expect(joined(events, reasoning: true) == "Let me think")
        #expect(joined(events) == "Paris.")
        #expect(decoder.usage == Usage(input: 114, cachedInput: 4096, cacheWrite: 1000, output: 56, reasoning: 40))
        #expect(decoder.model == "anthropic/claude-sonnet-4")
    }

    @Test func openRouterMidStreamErrorsCarryTheirNumericCodeAsText() throws {
        let (events, decoder) = try Fixture.decoded("openrouter-midstream-error.sse", format: .openAIChat)
        #expect(events.contains(.providerError(ProviderError(code: "502", message: "Provider disconnected unexpectedly"))))
        #expect(decoder.finishReason == "error")
        #expect(joined(events) == "Once upon")
    }

    @Test func aRelayStreamWithGarbageAndCRLFLinesKeepsTheUsageThatFollows() throws {
        let (events, decoder) = try Fixture.decoded("relay-crlf-garbage.sse", format: .openAIChat, chunkSize: 5)
        let undecodable = events.compactMap { event -> DecodeError? in
            if case .undecodable(let error) = event { return error }
            return nil
        }
        #expect(undecodable.count == 2)
        #expect(undecodable.first?.excerpt == "upstream busy, retrying …")
        #expect(joined(events) == "Hello")
        #expect(decoder.usage == Usage(input: 12, output: 2))
        #expect(decoder.isDone)
    }

    @Test func choicesBeyondTheFirstKeepTheirIndex() {
        var decoder = StreamDecoder(format: .openAIChat)
        let events = decoder.decode(SSEEvent(text: #"{"choices":[{"delta":{"content":"a","tool_calls":[{"index":3,"function":{"arguments":"{}"}}]},"index":1},{"index":0,"delta":{"content":"b"}}]}"#))
        #expect(events == [
            .text("a", index: 1),
            .toolCall(ToolCallDelta(choice: 1, index: 3, arguments: "{}")),
            .text("b", index: 0),
        ])
    }

    @Test func anEmptyFinishReasonFromARelayIsNoFinish() {
        var decoder = StreamDecoder(format: .openAIChat)
        let events = decoder.decode(SSEEvent(text: #"{"choices":[{"index":0,"delta":{"content":"x"},"finish_reason":""}]}"#))
        #expect(events == [.text("x", index: 0)])
        #expect(decoder.finishReason == nil)
    }

    @Test func fieldsOfUnexpectedTypesAreSkippedNotFatal() {
        var decoder = StreamDecoder(format: .openAIChat)
        let events = decoder.decode(SSEEvent(text: #"{"model":7,"choices":{"x":1},"usage":"n/a","error":null}"#))
        #expect(events.isEmpty)
        #expect(decoder.model == nil)
        #expect(decoder.usage == nil)
    }
}
