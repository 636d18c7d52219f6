package import TallyJSON

/// Counts the prompt tokens of a chat request before it is sent, or when a provider did not
/// report usage.
///
/// OpenAI chat completions (gpt-3.5-turbo-0613 and later, gpt-4, gpt-4o, gpt-4.1, gpt-5, o-series),
/// as OpenAI's cookbook documents it: every message costs 3 tokens plus the tokens of its role and
/// content, a `name` costs its tokens plus 1, and 3 more prime the reply (gpt-3.5-turbo-0301: 4 per
/// message, and a name replaces the role, −1). Content given as an array counts each text part;
/// other parts (images, audio, files) are not counted and make the count an estimate. Estimates,
/// stated in the result's method: tool calls in assistant messages (name + arguments + 3), and tool
/// definitions, rendered the way OpenAI presents them to the model (a TypeScript `namespace
/// functions` with one `type name = (_: {…}) => any;` per tool), + 9 tokens, − 4 when a
/// system/developer message is present.
///
/// Anthropic messages: Claude's tokenizer is not public, so the texts (system, text blocks, tool
/// use inputs as JSON, tool results) are counted with o200k_base under the same per-message
/// framing, plus Anthropic's documented tool-use system prompt (346 tokens) when tools are given;
/// always an estimate.
public struct ChatTokenCounter: Sendable {
    /// The model's encoding and accuracy.
    public let model: ModelEncoding

    /// A counter for `model` (see `ModelEncoding.lookup` for which encoding that is).
    public init(model: String) throws(TokenizerError) {
        self.model = try Encoding.forModel(model)
    }

    /// A counter with an explicit encoding choice.
    public init(model: ModelEncoding) {
        self.model = model
    }

    static let anthropicToolSystemPromptTokens = 346

    // MARK: Typed values

    /// The prompt tokens of an OpenAI chat-completions request's messages and tools.
    public func countOpenAIChat(messages: [ChatMessage], tools: [ToolDefinition] = []) -> TokenCount {
        let encoding = model.encoding
        let legacy = model.model.lowercased().contains("0301")
        var total = 0
        var reasons: [String] = []
        for message in messages {
            total += legacy ? 4 : 3
            if let name = message.name {
                total += encoding.count(name) + (legacy ? -1 : 1)
                if !legacy { total += encoding.count(message.role) }
            } else {
                total += encoding.count(message.role)
            }
            total += countParts(message.content, reasons: &reasons)
            total += countToolCalls(message.toolCalls, reasons: &reasons)
        }
        total += 3
        if !tools.isEmpty {
            total += encoding.count(Self.renderTools(tools)) + 9
            if messages.contains(where: { $0.role == "system" || $0.role == "developer" }) { total -= 4 }
            reasons.append("tool definitions counted as OpenAI's TypeScript rendering (±a few tokens)")
        }
        return result(total, reasons)
    }

    /// The input tokens of an Anthropic messages request (always an estimate).
    public func countAnthropicMessages(system: [String], messages: [ChatMessage], tools: [ToolDefinition] = []) -> TokenCount {
        let encoding = model.encoding
        var total = 0
        var reasons: [String] = []
        if !system.isEmpty {
            total += 3 + encoding.count("system")
            for text in system { total += encoding.count(text) }
        }
        for message in messages {
            total += 3 + encoding.count(message.role)
            total += countParts(message.content, reasons: &reasons)
            total += countToolCalls(message.toolCalls, reasons: &reasons)
        }
        total += 3
        if !tools.isEmpty {
            total += Self.anthropicToolSystemPromptTokens
            for tool in tools {
                total += encoding.count(tool.name)
                if let description = tool.description { total += encoding.count(description) }
                if let parameters = tool.parameters { total += encoding.count(parameters) }
            }
            reasons.append("tools counted as their name, description and schema JSON plus Anthropic's 346-token tool prompt")
        }
        let counted = result(total, reasons)
        // A Claude model's count already says its tokenizer is not public: add only the framing.
        return counted.isExact
            ? counted.estimated("Anthropic's tokenizer is not public: \(model.encoding.name.rawValue) stands in, with OpenAI's per-message framing")
            : counted.estimated("messages framed as OpenAI's chat format (Anthropic's framing is undocumented)")
    }

    private func countParts(_ parts: [ChatMessage.Part], reasons: inout [String]) -> Int {
        var total = 0
        for part in parts {
            switch part {
            case .text(let text):
                total += model.encoding.count(text)
            case .other(let type):
                let reason = "non-text content (\(type)) not counted"
                if !reasons.contains(reason) { reasons.append(reason) }
            }
        }
        return total
    }

    private func countToolCalls(_ calls: [ChatMessage.ToolCall], reasons: inout [String]) -> Int {
        guard !calls.isEmpty else { return 0 }
        let reason = "tool calls counted as name + arguments + 3 each"
        if !reasons.contains(reason) { reasons.append(reason) }
        return calls.reduce(0) { $0 + model.encoding.count($1.name) + model.encoding.count($1.arguments) + 3 }
    }

    private func result(_ total: Int, _ reasons: [String]) -> TokenCount {
        var count = TokenCount(tokens: max(total, 0), encoding: model.encoding.name, accuracy: model.accuracy)
        for reason in reasons { count = count.estimated(reason) }
        return count
    }

    // MARK: Request JSON

    /// The prompt tokens of an OpenAI chat-completions request body (`messages`, `tools` or the
    /// legacy `functions`). The model is the body's `model` unless `model` is given.
    public static func countOpenAIChatRequest(_ body: some Collection<UInt8>, model: String? = nil) throws(TokenizerError) -> TokenCount {
        try countOpenAIChatRequest(parsing: body, model: model)
    }

    /// ``countOpenAIChatRequest(_:model:)`` of a body already parsed (the gateway's one parse).
    package static func countOpenAIChatRequest(_ body: JSONValue, model: String? = nil) throws(TokenizerError) -> TokenCount {
        let object = try requestObject(body)
        let counter = try ChatTokenCounter(model: try modelName(object, model))
        guard let rawMessages = object["messages"]?.arrayValue else {
            throw TokenizerError(.malformedRequest, "request body: \"messages\" is missing or not an array")
        }
        var messages: [ChatMessage] = []
        for (index, message) in rawMessages.enumerated() {
            guard case .object = message, let role = message["role"]?.stringValue else {
                throw TokenizerError(.malformedRequest, "request body: messages[\(index)] has no \"role\" string")
            }
            var calls: [ChatMessage.ToolCall] = []
            for call in message["tool_calls"]?.arrayValue ?? [] where call.objectMembers != nil {
                let function = call["function"]
                calls.append(.init(name: function?["name"]?.stringValue ?? "", arguments: function?["arguments"]?.stringValue ?? ""))
            }
            if let function = message["function_call"], case .object = function {
                calls.append(.init(name: function["name"]?.stringValue ?? "", arguments: function["arguments"]?.stringValue ?? ""))
            }
            messages.append(ChatMessage(role: role, content: parts(message["content"]), name: message["name"]?.stringValue, toolCalls: calls))
        }
        var tools: [ToolDefinition] = []
        for tool in object["tools"]?.arrayValue ?? [] {
            if let function = tool["function"], case .object = function { tools.append(definition(function, schemaKey: "parameters")) }
        }
        for function in object["functions"]?.arrayValue ?? [] where function.objectMembers != nil {
            tools.append(definition(function, schemaKey: "parameters"))
        }
        return counter.countOpenAIChat(messages: messages, tools: tools)
    }

    /// The input tokens of an OpenAI Responses request body (`instructions`, `input` as a string
    /// or items, `tools`), counted with the chat-completions rule: `instructions` as a system
    /// message, each message item as a message, function calls and their outputs as tool calls
    /// and tool messages. OpenAI does not document the Responses framing, so the count is always
    /// an estimate.
    public static func countOpenAIResponsesRequest(_ body: some Collection<UInt8>, model: String? = nil) throws(TokenizerError) -> TokenCount {
        try countOpenAIResponsesRequest(parsing: body, model: model)
    }

    /// ``countOpenAIResponsesRequest(_:model:)`` of a body already parsed.
    package static func countOpenAIResponsesRequest(_ body: JSONValue, model: String? = nil) throws(TokenizerError) -> TokenCount {
        let object = try requestObject(body)
        let counter = try ChatTokenCounter(model: try modelName(object, model))
        var messages: [ChatMessage] = []
        if let instructions = object["instructions"]?.stringValue {
            messages.append(ChatMessage(role: "system", text: instructions))
        }
        if let input = object["input"]?.stringValue {
            messages.append(ChatMessage(role: "user", text: input))
        } else if let items = object["input"]?.arrayValue {
            for (index, item) in items.enumerated() {
                guard case .object = item else {
                    throw TokenizerError(.malformedRequest, "request body: input[\(index)] is not an object")
                }
                switch item["type"]?.stringValue ?? "message" {
                case "message":
                    messages.append(ChatMessage(role: item["role"]?.stringValue ?? "user", content: parts(item["content"])))
                case "function_call":
                    messages.append(ChatMessage(role: "assistant", content: [], toolCalls: [
                        .init(name: item["name"]?.stringValue ?? "", arguments: item["arguments"]?.stringValue ?? ""),
                    ]))
                case "function_call_output":
                    messages.append(ChatMessage(role: "tool", content: parts(item["output"])))
                case let type:
                    messages.append(ChatMessage(role: "user", content: [.other(type: type)]))
                }
            }
        }
        var tools: [ToolDefinition] = []
        for tool in object["tools"]?.arrayValue ?? [] where tool["type"]?.stringValue == "function" {
            tools.append(definition(tool, schemaKey: "parameters"))
        }
        return counter.countOpenAIChat(messages: messages, tools: tools)
            .estimated("Responses API framing is not documented: the chat-completions rule stands in")
    }

    /// The input tokens of an Anthropic messages request body (`system`, `messages`, `tools`);
    /// always an estimate. The model is the body's `model` unless `model` is given.
    public static func countAnthropicMessagesRequest(_ body: some Collection<UInt8>, model: String? = nil) throws(TokenizerError) -> TokenCount {
        try countAnthropicMessagesRequest(parsing: body, model: model)
    }

    /// ``countAnthropicMessagesRequest(_:model:)`` of a body already parsed.
    package static func countAnthropicMessagesRequest(_ body: JSONValue, model: String? = nil) throws(TokenizerError) -> TokenCount {
        let object = try requestObject(body)
        let counter = try ChatTokenCounter(model: try modelName(object, model))
        var system: [String] = []
        if let text = object["system"]?.stringValue {
            system = [text]
        } else if let blocks = object["system"]?.arrayValue {
            system = blocks.compactMap { $0["text"]?.stringValue }
        }
        guard let rawMessages = object["messages"]?.arrayValue else {
            throw TokenizerError(.malformedRequest, "request body: \"messages\" is missing or not an array")
        }
        var messages: [ChatMessage] = []
        for (index, message) in rawMessages.enumerated() {
            guard case .object = message, let role = message["role"]?.stringValue else {
                throw TokenizerError(.malformedRequest, "request body: messages[\(index)] has no \"role\" string")
            }
            var content: [ChatMessage.Part] = []
            var calls: [ChatMessage.ToolCall] = []
            if let text = message["content"]?.stringValue {
                content = [.text(text)]
            } else {
                for block in message["content"]?.arrayValue ?? [] where block.objectMembers != nil {
                    switch block["type"]?.stringValue ?? "" {
                    case "text":
                        content.append(.text(block["text"]?.stringValue ?? ""))
                    case "thinking":
                        content.append(.text(block["thinking"]?.stringValue ?? ""))
                    case "tool_use":
                        calls.append(.init(name: block["name"]?.stringValue ?? "", arguments: jsonText(block["input"] ?? .object([]))))
                    case "tool_result":
                        content += parts(block["content"])
                    case let type:
                        content.append(.other(type: type))
                    }
                }
            }
            messages.append(ChatMessage(role: role, content: content, toolCalls: calls))
        }
        let tools = (object["tools"]?.arrayValue ?? []).filter { $0.objectMembers != nil }.map { definition($0, schemaKey: "input_schema") }
        return counter.countAnthropicMessages(system: system, messages: messages, tools: tools)
    }

    private static func countOpenAIChatRequest(parsing body: some Collection<UInt8>, model: String?) throws(TokenizerError) -> TokenCount {
        try countOpenAIChatRequest(try parse(body), model: model)
    }

    private static func countOpenAIResponsesRequest(parsing body: some Collection<UInt8>, model: String?) throws(TokenizerError) -> TokenCount {
        try countOpenAIResponsesRequest(try parse(body), model: model)
    }

    private static func countAnthropicMessagesRequest(parsing body: some Collection<UInt8>, model: String?) throws(TokenizerError) -> TokenCount {
        try countAnthropicMessagesRequest(try parse(body), model: model)
    }

    private static func parse(_ body: some Collection<UInt8>) throws(TokenizerError) -> JSONValue {
        do {
            return try JSONReader.parse(body)
        } catch {
            throw TokenizerError(.malformedRequest, "request body is not JSON: \(error)")
        }
    }

    private static func requestObject(_ body: JSONValue) throws(TokenizerError) -> JSONValue {
        guard case .object = body else {
            throw TokenizerError(.malformedRequest, "request body is not a JSON object")
        }
        return body
    }

    private static func modelName(_ object: JSONValue, _ override: String?) throws(TokenizerError) -> String {
        if let override { return override }
        guard let model = object["model"]?.stringValue else {
            throw TokenizerError(.malformedRequest, "request body: \"model\" is missing and no model was given")
        }
        return model
    }

    /// A message's or tool result's content: a string, an array of parts, or null.
    private static func parts(_ content: JSONValue?) -> [ChatMessage.Part] {
        if let text = content?.stringValue { return [.text(text)] }
        guard let array = content?.arrayValue else { return [] }
        return array.map { item in
            if let text = item.stringValue { return .text(text) }
            let type = item["type"]?.stringValue ?? "unknown"
            if type == "text" || type == "input_text" || type == "output_text", let text = item["text"]?.stringValue {
                return .text(text)
            }
            return .other(type: type)
        }
    }

    private static func definition(_ function: JSONValue, schemaKey: String) -> ToolDefinition {
        ToolDefinition(
            name: function["name"]?.stringValue ?? "",
            description: function["description"]?.stringValue,
            parameters: function[schemaKey].map { jsonText($0) }
        )
    }

    /// A value as compact JSON with sorted member names, as the model is shown tool inputs.
    private static func jsonText(_ value: JSONValue) -> String {
        String(decoding: value.serialized(sortingKeys: true), as: UTF8.self)
    }

    // MARK: Tool rendering

    /// Tool definitions as OpenAI presents them to the model: a TypeScript namespace.
    static func renderTools(_ tools: [ToolDefinition]) -> String {
        var lines = ["namespace functions {", ""]
        for tool in tools {
            if let description = tool.description, !description.isEmpty { lines.append("// \(description)") }
            let schema = tool.parameters.flatMap { try? JSONReader.parse(Array($0.utf8)) } ?? .object([])
            if (schema["properties"]?.objectMembers ?? []).isEmpty {
                lines.append("type \(tool.name) = () => any;")
            } else {
                lines.append("type \(tool.name) = (_: {")
                lines.append(renderProperties(schema))
                lines.append("}) => any;")
            }
            lines.append("")
        }
        lines.append("} // namespace functions")
        return lines.joined(separator: "\n")
    }

    private static func renderProperties(_ schema: JSONValue) -> String {
        let properties = schema["properties"]?.objectMembers ?? []
        let required = Set((schema["required"]?.arrayValue ?? []).compactMap(\.stringValue))
        var lines: [String] = []
        for (name, property) in properties.sorted(by: { $0.key < $1.key }) {
            if let description = property["description"]?.stringValue, !description.isEmpty { lines.append("// \(description)") }
            lines.append("\(name)\(required.contains(name) ? "" : "?"): \(renderType(property)),")
        }
        return lines.joined(separator: "\n")
    }

    private static func renderType(_ schema: JSONValue) -> String {
        if let values = schema["enum"]?.arrayValue {
            return values.map { value in
                switch value {
                case .string(let text): "\"\(text)\""
                case .number(let text): text
                case .bool(let flag): String(flag)
                case .null: "null"
                default: String(decoding: value.serialized(sortingKeys: true), as: UTF8.self)
                }
            }.joined(separator: " | ")
        }
        switch schema["type"]?.stringValue ?? "" {
        case "string": return "string"
        case "number", "integer": return "number"
        case "boolean": return "boolean"
        case "null": return "null"
        case "array": return renderType(schema["items"] ?? .object([])) + "[]"
        case "object": return "{\n" + renderProperties(schema) + "\n}"
        default: return "any"
        }
    }
}
