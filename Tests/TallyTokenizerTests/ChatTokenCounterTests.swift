import Testing
import TallyTokenizer

struct ChatTokenCounterTests {
    /// The cookbook's example conversation; the expected totals were computed with tiktoken 0.14
    /// and the cookbook's rule (3 per message, +1 per name, +3 for the reply).
    static let messages: [ChatMessage] = [
        ChatMessage(role: "system", text: "You are a helpful, pattern-following assistant that translates corporate jargon into plain English."),
        ChatMessage(role: "user", text: "New synergies will help drive top-line growth.", name: "example_user"),
        ChatMessage(role: "assistant", text: "Things working well together will increase revenue.", name: "example_assistant"),
        ChatMessage(role: "user", text: "This late pivot means we don't have time to boil the ocean for the client deliverable."),
    ]

    static let requestJSON = """
    {"model": "gpt-4o", "messages": [
      {"role": "system", "content": "You are a helpful, pattern-following assistant that translates corporate jargon into plain English."},
      {"role": "user", "name": "example_user", "content": [{"type": "text", "text": "New synergies will help drive top-line growth."}]},
      {"role": "assistant", "name": "example_assistant", "content": "Things working well together will increase revenue."},
      {"role": "user", "content": "This late pivot means we don't have time to boil the ocean for the client deliverable."}
    ]}
    """

    @Test("typed messages count by OpenAI's per-message rule", arguments: [("gpt-4o", 79), ("gpt-4", 81)])
    func typedMessages(model: String, expected: Int) throws {
        let count = try ChatTokenCounter(model: model).countOpenAIChat(messages: Self.messages)
        #expect(count.tokens == expected)
        #expect(count.isExact)
    }

    @Test("a request body counts the same as typed messages, text parts included")
    func requestBody() throws {
        let count = try ChatTokenCounter.countOpenAIChatRequest(Array(Self.requestJSON.utf8))
        #expect(count == TokenCount(tokens: 79, encoding: .o200kBase, accuracy: .exact))
        let asGPT4 = try ChatTokenCounter.countOpenAIChatRequest(Array(Self.requestJSON.utf8), model: "gpt-4-0613")
        #expect(asGPT4.tokens == 81)
    }

    @Test("tools and images add what is known and make the count an estimate")
    func toolsAndImagesAreEstimates() throws {
        let body = """
        {"model": "gpt-4.1", "messages": [
          {"role": "user", "content": [{"type": "text", "text": "What is the weather?"}, {"type": "image_url", "image_url": {"url": "data:"}}]},
          {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": "{\\"city\\":\\"Hanoi\\"}"}}]},
          {"role": "tool", "tool_call_id": "c1", "content": "31°C, humid"}
        ], "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Current weather",
          "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "City name"},
          "unit": {"type": "string", "enum": ["c", "f"]}}, "required": ["city"]}}}]}
        """
        let count = try ChatTokenCounter.countOpenAIChatRequest(Array(body.utf8))
        #expect(!count.isExact)
        #expect(count.method.contains("image_url") && count.method.contains("tool"))
        let withoutTools = try ChatTokenCounter(model: "gpt-4.1").countOpenAIChat(messages: [
            ChatMessage(role: "user", content: [.text("What is the weather?")]),
            ChatMessage(role: "assistant", content: [], toolCalls: [.init(name: "get_weather", arguments: "{\"city\":\"Hanoi\"}")]),
            ChatMessage(role: "tool", text: "31°C, humid"),
        ])
        #expect(count.tokens > withoutTools.tokens + 15)
        let rendered = ChatTokenCounterTests.renderedToolTokens
        #expect(count.tokens == withoutTools.tokens + rendered + 9)
    }

    /// The TypeScript rendering of the weather tool, counted with o200k_base.
    static var renderedToolTokens: Int {
        let text = "namespace functions {\n\n// Current weather\ntype get_weather = (_: {\n// City name\ncity: string,\nunit?: \"c\" | \"f\",\n}) => any;\n\n} // namespace functions"
        return (try? Encoding.named(.o200kBase).count(text)) ?? -1
    }

    @Test("Anthropic requests are counted with o200k_base and always marked estimated")
    func anthropicRequest() throws {
        let body = """
        {"model": "claude-sonnet-4-5", "max_tokens": 100, "system": [{"type": "text", "text": "Be brief."}],
         "messages": [{"role": "user", "content": "Hello, world!"},
                      {"role": "assistant", "content": [{"type": "text", "text": "Hi."}]}]}
        """
        let count = try ChatTokenCounter.countAnthropicMessagesRequest(Array(body.utf8))
        let encoding = try Encoding.named(.o200kBase)
        let expected = (3 + encoding.count("system") + encoding.count("Be brief."))
            + (3 + encoding.count("user") + 4) + (3 + encoding.count("assistant") + encoding.count("Hi.")) + 3
        #expect(count.tokens == expected)
        #expect(count.encoding == .o200kBase && !count.isExact)
        #expect(count.method.contains("Anthropic"))
    }

    @Test("a malformed body is a typed error naming the field")
    func malformedBody() {
        #expect(throws: TokenizerError.self) { try ChatTokenCounter.countOpenAIChatRequest(Array("not json".utf8)) }
        do {
            _ = try ChatTokenCounter.countOpenAIChatRequest(Array(#"{"model":"gpt-4o","messages":[{"content":"x"}]}"#.utf8))
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .malformedRequest && error.message.contains("messages[0]"))
        }
        #expect(throws: TokenizerError.self) { try ChatTokenCounter.countOpenAIChatRequest(Array(#"{"messages":[]}"#.utf8)) }
    }

    @Test("a Responses request counts like the same chat request, marked estimated")
    func responsesRequest() throws {
        let body = """
        {"model": "gpt-4o", "instructions": "You are a helpful, pattern-following assistant that translates corporate jargon into plain English.",
         "input": [
          {"role": "user", "content": [{"type": "input_text", "text": "New synergies will help drive top-line growth."}]},
          {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Things working well together will increase revenue."}]},
          {"role": "user", "content": "This late pivot means we don't have time to boil the ocean for the client deliverable."}
         ]}
        """
        let count = try ChatTokenCounter.countOpenAIChatRequest(Array(Self.requestJSON.utf8))
        let responses = try ChatTokenCounter.countOpenAIResponsesRequest(Array(body.utf8))
        let encoding = try Encoding.named(.o200kBase)
        // The chat request names two participants: a name costs its tokens + 1.
        let names = encoding.count("example_user") + 1 + encoding.count("example_assistant") + 1
        #expect(responses.tokens == count.tokens - names)
        #expect(!responses.isExact && responses.method.contains("Responses"))
        let plain = try ChatTokenCounter.countOpenAIResponsesRequest(Array(#"{"model":"gpt-5","input":"Hello, world!"}"#.utf8))
        #expect(plain.tokens == 3 + encoding.count("user") + 4 + 3)
    }
}
