/// One message of a chat request, reduced to what is counted: its role, its text parts, a
/// participant name, and the tool calls an assistant made.
public struct ChatMessage: Sendable, Hashable {
    /// A part of a message's content.
    public enum Part: Sendable, Hashable {
        /// Text, counted.
        case text(String)
        /// Anything else (an image, audio, a file), by its type: not counted, and it makes the
        /// count an estimate.
        case other(type: String)
    }

    /// A function call an assistant message carries (OpenAI `tool_calls`, Anthropic `tool_use`).
    public struct ToolCall: Sendable, Hashable {
        /// The function's name.
        public var name: String
        /// The arguments, as the JSON text sent.
        public var arguments: String

        /// A call of `name` with `arguments` (JSON text).
        public init(name: String, arguments: String) {
            self.name = name
            self.arguments = arguments
        }
    }

    /// "system", "developer", "user", "assistant" or "tool".
    public var role: String
    /// The content, as parts (a plain string is one `.text` part).
    public var content: [Part]
    /// The optional participant name (OpenAI `name`).
    public var name: String?
    /// Tool calls made by an assistant message.
    public var toolCalls: [ToolCall]

    /// A message with `role`, `content`, an optional `name` and tool calls.
    public init(role: String, content: [Part], name: String? = nil, toolCalls: [ToolCall] = []) {
        self.role = role
        self.content = content
        self.name = name
        self.toolCalls = toolCalls
    }

    /// A message whose content is one text.
    public init(role: String, text: String, name: String? = nil) {
        self.init(role: role, content: [.text(text)], name: name)
    }
}

/// A function tool a request offers the model.
public struct ToolDefinition: Sendable, Hashable {
    /// The function's name.
    public var name: String
    /// Its description, if any.
    public var description: String?
    /// Its JSON Schema for the parameters, as JSON text, if any.
    public var parameters: String?

    /// A tool called `name`, with an optional description and parameter schema (JSON text).
    public init(name: String, description: String? = nil, parameters: String? = nil) {
        self.name = name
        self.description = description
        self.parameters = parameters
    }
}
