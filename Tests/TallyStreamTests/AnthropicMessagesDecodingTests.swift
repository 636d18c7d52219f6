import Testing
import TallyStream
import TallyUsage

struct AnthropicMessagesDecodingTests {
    @Test func aStreamWithThinkingTextAndAToolCallDecodesInOrder() throws {
        let (events, decoder) = try Fixture.decoded("anthropic-thinking-tools.sse", format: .anthropicMessages)
        let startUsage = Usage(input: 472, cachedInput: 10240, cacheWrite: 1024, cacheWrite1h: 1024, output: 2)
        var afterFirstDelta = startUsage
        afterFirstDelta.output = 57
        var final = startUsage
        final.output = 89
        #expect(events == [
            .started(model: "claude-sonnet-4-20250514", id: "msg_01XFDUDYJgAACzvnptvVoYEL"),
            .usage(startUsage),
            .blockStarted(.thinking, index: 0),
            .ping,
            .reasoning("The user wants the weather in Zürich.", index: 0),
            .signature("EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds", index: 0),
            .blockStopped(index: 0),
            .blockStarted(.text, index: 1),
            .text("Let me check ", index: 1),
            .text("that for you.", index: 1),
            .blockStopped(index: 1),
            .blockStarted(.toolUse(id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6", name: "get_weather"), index: 2),
            .toolCall(ToolCallDelta(index: 2, arguments: "")),
            .toolCall(ToolCallDelta(index: 2, arguments: "{\"location\": \"Z")),
            .toolCall(ToolCallDelta(index: 2, arguments: "ürich\"}")),
            .blockStopped(index: 2),
            .finished(reason: "tool_use", index: 0),
            .usage(afterFirstDelta),
            .finished(reason: "tool_use", index: 0),
            .usage(final),
            .done,
        ])
        #expect(decoder.usage == final)
        #expect(decoder.isDone)
    }

    @Test func cumulativeOutputTokensTakeTheLastValueNeverTheSum() throws {
        let (_, decoder) = try Fixture.decoded("anthropic-thinking-tools.sse", format: .anthropicMessages, chunkSize: 1)
        #expect(decoder.usage?.output == 89)
        #expect(decoder.usage?.reasoning == 0)
    }

    @Test func messageDeltaCountsReplaceOnlyTheFieldsTheyCarry() {
        var decoder = StreamDecoder(format: .anthropicMessages)
        _ = decoder.decode(SSEEvent(type: "message_start", text: #"{"type":"message_start","message":{"model":"claude-opus-4-1","usage":{"input_tokens":100,"cache_read_input_tokens":50,"output_tokens":1}}}"#))
        _ = decoder.decode(SSEEvent(type: "message_delta", text: #"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"input_tokens":120,"output_tokens":30}}"#))
        #expect(decoder.usage == Usage(input: 120, cachedInput: 50, output: 30))
        #expect(decoder.finishReason == "end_turn")
    }

    @Test func anErrorEventMidStreamIsAProviderErrorAndKeepsTheInputUsage() throws {
        let (events, decoder) = try Fixture.decoded("anthropic-overloaded.sse", format: .anthropicMessages)
        #expect(events.last == .providerError(ProviderError(type: "overloaded_error", message: "Overloaded")))
        #expect(decoder.usage == Usage(input: 25, output: 1))
        #expect(!decoder.isDone)
    }

    @Test func theJSONTypeDecidesWhenTheSSEEventLineIsMissingOrDifferent() {
        var decoder = StreamDecoder(format: .anthropicMessages)
        let events = decoder.decode(SSEEvent(text: #"{"type":"content_block_delta","index":4,"delta":{"type":"text_delta","text":"x"}}"#))
        #expect(events == [.text("x", index: 4)])
        // Without a JSON type, the SSE event type is used.
        let stop = decoder.decode(SSEEvent(type: "message_stop", text: "{}"))
        #expect(stop == [.done])
    }
}
