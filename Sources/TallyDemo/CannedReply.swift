package import HTTPTypes
import TallyPricing
import TallyJSON

/// One answer of the simulated provider: a status, header fields, and a body that is either one
/// JSON document or Server-Sent Events written one at a time, `delay` apart.
package struct CannedReply: Sendable {
    /// The body: a complete JSON document, or events written in turn.
    package enum Body: Sendable {
        case json(String)
        case events([String])
    }

    package var status: Int
    package var headers: HTTPFields
    package var body: Body
    /// The pause before each event of a streamed body.
    package var delay: Duration
    /// After this many events the stream pauses for a second before the rest: a caller that
    /// leaves after them has then received exactly them, however the machine schedules the
    /// writes (a cut in milliseconds decided it before). Nil: no pause.
    package var stallAfterEvents: Int?

    package init(status: Int = 200, headers: HTTPFields = [:], body: Body, delay: Duration = .zero, stallAfterEvents: Int? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.delay = delay
        self.stallAfterEvents = stallAfterEvents
    }

    private static func quoted(_ text: String) -> String { JSONValue.quoted(text) }

    /// An error in the OpenAI and Anthropic shape, `{"error":{"message":…,"type":…}}`.
    package static func error(status: Int, message: String, type: String, headers: HTTPFields = [:]) -> CannedReply {
        CannedReply(status: status, headers: headers, body: .json(#"{"error":{"message":\#(quoted(message)),"type":\#(quoted(type))}}"#))
    }

    /// 429 with `Retry-After`, as a provider's rate limit answers.
    package static func rateLimited(retryAfter: String) -> CannedReply {
        error(status: 429, message: "Rate limit reached", type: "rate_limit_error", headers: [.retryAfter: retryAfter])
    }

    /// A non-streamed OpenAI chat completion with its usage.
    package static func openAIChatCompletion(model: String, content: String, promptTokens: Int, completionTokens: Int, cachedTokens: Int) -> CannedReply {
        CannedReply(body: .json(
            #"{"id":"chatcmpl-demo","object":"chat.completion","created":1700000000,"model":\#(quoted(model)),"#
                + #""choices":[{"index":0,"message":{"role":"assistant","content":\#(quoted(content))},"finish_reason":"stop"}],"#
                + #""usage":{"prompt_tokens":\#(promptTokens),"completion_tokens":\#(completionTokens),"#
                + #""total_tokens":\#(promptTokens + completionTokens),"prompt_tokens_details":{"cached_tokens":\#(cachedTokens)}}}"#))
    }

    /// A streamed OpenAI chat completion: a role chunk, one chunk per piece, a finish chunk, the
    /// usage chunk (when `includeUsage`) and `[DONE]` (unless `done` is false: a stream cut short).
    package static func openAIChatStream(
        model: String, pieces: [String], promptTokens: Int = 0, completionTokens: Int = 0,
        includeUsage: Bool = true, done: Bool = true
    ) -> CannedReply {
        let prefix = #"data: {"id":"chatcmpl-demo","object":"chat.completion.chunk","created":1700000000,"model":\#(quoted(model)),"#
        var events = [prefix + #""choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"# + "\n\n"]
        for piece in pieces {
            events.append(prefix + #""choices":[{"index":0,"delta":{"content":\#(quoted(piece))},"finish_reason":null}]}"# + "\n\n")
        }
        events.append(prefix + #""choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"# + "\n\n")
        if includeUsage {
            events.append(
                prefix + #""choices":[],"usage":{"prompt_tokens":\#(promptTokens),"completion_tokens":\#(completionTokens),"#
                    + #""total_tokens":\#(promptTokens + completionTokens)}}"# + "\n\n")
        }
        if done { events.append("data: [DONE]\n\n") }
        return CannedReply(body: .events(events))
    }

    /// A non-streamed Anthropic message with its usage.
    package static func anthropicMessage(model: String, text: String, inputTokens: Int, outputTokens: Int, cacheReadTokens: Int) -> CannedReply {
        CannedReply(body: .json(
            #"{"id":"msg_demo","type":"message","role":"assistant","model":\#(quoted(model)),"#
                + #""content":[{"type":"text","text":\#(quoted(text))}],"stop_reason":"end_turn","stop_sequence":null,"#
                + #""usage":{"input_tokens":\#(inputTokens),"cache_creation_input_tokens":0,"#
                + #""cache_read_input_tokens":\#(cacheReadTokens),"output_tokens":\#(outputTokens)}}"#))
    }

    /// A streamed Anthropic message: `message_start` with the input side of the usage, one text
    /// delta per piece, `message_delta` with the output count, `message_stop`.
    package static func anthropicStream(
        model: String, pieces: [String], inputTokens: Int, outputTokens: Int = 1, cacheReadTokens: Int = 0, delay: Duration = .zero
    ) -> CannedReply {
        func event(_ name: String, _ data: String) -> String { "event: \(name)\ndata: \(data)\n\n" }
        var events = [
            event("message_start",
                  #"{"type":"message_start","message":{"id":"msg_demo","type":"message","role":"assistant","model":\#(quoted(model)),"#
                      + #""content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":\#(inputTokens),"#
                      + #""cache_creation_input_tokens":0,"cache_read_input_tokens":\#(cacheReadTokens),"output_tokens":1}}}"#),
            event("content_block_start", #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#),
        ]
        for piece in pieces {
            events.append(event("content_block_delta", #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":\#(quoted(piece))}}"#))
        }
        events.append(event("content_block_stop", #"{"type":"content_block_stop","index":0}"#))
        events.append(event("message_delta", #"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":\#(outputTokens)}}"#))
        events.append(event("message_stop", #"{"type":"message_stop"}"#))
        return CannedReply(body: .events(events), delay: delay)
    }
}
