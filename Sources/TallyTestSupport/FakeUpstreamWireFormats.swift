extension FakeUpstream.Reply {
    /// A non-streamed OpenAI chat completion with usage.
    package static func openAIChatCompletion(
        model: String = "gpt-4o-mini", content: String = "Hello!",
        promptTokens: Int = 12, completionTokens: Int = 3, cachedTokens: Int = 0
    ) -> Self {
        .json(
            #"{"id":"chatcmpl-fake","object":"chat.completion","created":1700000000,"model":"\#(model)","#
                + #""choices":[{"index":0,"message":{"role":"assistant","content":"\#(jsonEscaped(content))"},"finish_reason":"stop"}],"#
                + #""usage":{"prompt_tokens":\#(promptTokens),"completion_tokens":\#(completionTokens),"#
                + #""total_tokens":\#(promptTokens + completionTokens),"prompt_tokens_details":{"cached_tokens":\#(cachedTokens)}}}"#)
    }

    /// A streamed OpenAI chat completion: a role chunk, one chunk per piece, a finish chunk,
    /// then (when `includeUsage`) the usage chunk with empty `choices`, then `[DONE]` unless
    /// `done` is false (a stream that stops early).
    package static func openAIChatStream(
        model: String = "gpt-4o-mini", pieces: [String] = ["Hel", "lo", "!"],
        promptTokens: Int = 12, completionTokens: Int = 3,
        includeUsage: Bool = true, done: Bool = true, delay: Duration = .zero
    ) -> Self {
        let prefix = #"{"id":"chatcmpl-fake","object":"chat.completion.chunk","created":1700000000,"model":"\#(model)","#
        var events = [
            "data: " + prefix + #""choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"# + "\n\n"
        ]
        for piece in pieces {
            events.append(
                "data: " + prefix
                    + #""choices":[{"index":0,"delta":{"content":"\#(jsonEscaped(piece))"},"finish_reason":null}]}"# + "\n\n")
        }
        events.append("data: " + prefix + #""choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"# + "\n\n")
        if includeUsage {
            events.append(
                "data: " + prefix
                    + #""choices":[],"usage":{"prompt_tokens":\#(promptTokens),"completion_tokens":\#(completionTokens),"total_tokens":\#(promptTokens + completionTokens)}}"#
                    + "\n\n")
        }
        if done { events.append("data: [DONE]\n\n") }
        return .sse(events, delay: delay)
    }

    /// A non-streamed Anthropic message with usage.
    package static func anthropicMessage(
        model: String = "claude-sonnet-4-5", text: String = "Hello!",
        inputTokens: Int = 12, outputTokens: Int = 3, cacheReadTokens: Int = 0, cacheWriteTokens: Int = 0
    ) -> Self {
        .json(
            #"{"id":"msg_fake","type":"message","role":"assistant","model":"\#(model)","#
                + #""content":[{"type":"text","text":"\#(jsonEscaped(text))"}],"stop_reason":"end_turn","stop_sequence":null,"#
                + #""usage":{"input_tokens":\#(inputTokens),"cache_creation_input_tokens":\#(cacheWriteTokens),"#
                + #""cache_read_input_tokens":\#(cacheReadTokens),"output_tokens":\#(outputTokens)}}"#)
    }

    /// A streamed Anthropic message: `message_start` (input usage), a text block with one delta
    /// per piece, `message_delta` with the cumulative output usage, and `message_stop` unless
    /// `stop` is false (a stream that stops early).
    package static func anthropicStream(
        model: String = "claude-sonnet-4-5", pieces: [String] = ["Hel", "lo", "!"],
        inputTokens: Int = 12, outputTokens: Int = 3, cacheReadTokens: Int = 0, cacheWriteTokens: Int = 0,
        stop: Bool = true, delay: Duration = .zero
    ) -> Self {
        func event(_ name: String, _ data: String) -> String { "event: \(name)\ndata: \(data)\n\n" }
        var events = [
            event("message_start",
                  #"{"type":"message_start","message":{"id":"msg_fake","type":"message","role":"assistant","model":"\#(model)","#
                      + #""content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":\#(inputTokens),"#
                      + #""cache_creation_input_tokens":\#(cacheWriteTokens),"cache_read_input_tokens":\#(cacheReadTokens),"output_tokens":1}}}"#),
            event("content_block_start",
                  #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#),
            event("ping", #"{"type": "ping"}"#),
        ]
        for piece in pieces {
            events.append(event("content_block_delta",
                #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\#(jsonEscaped(piece))"}}"#))
        }
        events.append(event("content_block_stop", #"{"type":"content_block_stop","index":0}"#))
        events.append(event("message_delta",
            #"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":\#(outputTokens)}}"#))
        if stop { events.append(event("message_stop", #"{"type":"message_stop"}"#)) }
        return .sse(events, delay: delay)
    }
}
