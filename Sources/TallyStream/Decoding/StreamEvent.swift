public import TallyUsage

/// One typed event decoded from a provider's stream.
///
/// `index` is the choice index for OpenAI chat completions, the content block index for
/// Anthropic messages, and the output item index for the Responses API.
public enum StreamEvent: Sendable, Hashable {
    /// The response began; the model and the response ID as the provider returned them.
    case started(model: String?, id: String?)
    /// The role of a choice's message (OpenAI chat completions).
    case role(String, index: Int)
    /// A fragment of the answer text.
    case text(String, index: Int)
    /// A fragment of reasoning or thinking text.
    case reasoning(String, index: Int)
    /// A fragment of the signature of a thinking block (Anthropic).
    case signature(String, index: Int)
    /// A fragment of a tool call.
    case toolCall(ToolCallDelta)
    /// A content block began (Anthropic).
    case blockStarted(ContentBlock, index: Int)
    /// A content block ended (Anthropic).
    case blockStopped(index: Int)
    /// A choice or the message finished, with the provider's reason (`stop`, `end_turn`, `tool_calls`, …).
    case finished(reason: String, index: Int)
    /// The usage so far: each report replaces the previous one (Anthropic's counts are cumulative).
    case usage(Usage)
    /// The provider reported an error inside the stream.
    case providerError(ProviderError)
    /// A data event could not be decoded; decoding goes on with the next event.
    case undecodable(DecodeError)
    /// A keep-alive (Anthropic `ping`).
    case ping
    /// The provider said the stream is complete (`[DONE]`, `message_stop`, a terminal Responses event).
    case done
}

/// A fragment of a tool call; concatenate the `arguments` fragments of one `index` in order.
public struct ToolCallDelta: Sendable, Hashable {
    /// The choice (OpenAI chat completions) the call belongs to; 0 elsewhere.
    public var choice: Int
    /// The index of the call: the tool call index, the content block index, or the output index.
    public var index: Int
    /// The call's ID, in the fragment that opens it.
    public var id: String?
    /// The function or tool name, in the fragment that opens it.
    public var name: String?
    /// A fragment of the arguments' JSON text.
    public var arguments: String

    /// Creates a tool call fragment.
    public init(choice: Int = 0, index: Int, id: String? = nil, name: String? = nil, arguments: String = "") {
        self.choice = choice
        self.index = index
        self.id = id
        self.name = name
        self.arguments = arguments
    }
}

/// The kind of an Anthropic content block, from its `content_block_start`.
public enum ContentBlock: Sendable, Hashable {
    /// Answer text.
    case text
    /// Extended thinking.
    case thinking
    /// Thinking the provider returns encrypted.
    case redactedThinking
    /// A tool call, its input arriving as JSON fragments.
    case toolUse(id: String?, name: String?)
    /// A block of another type, named as on the wire.
    case other(String)
}

/// An error object a provider sent, in a stream or a response body.
public struct ProviderError: Sendable, Hashable {
    /// The error type (`server_error`, `overloaded_error`, …), when sent.
    public var type: String?
    /// The error code, as text (some providers send a number), when sent.
    public var code: String?
    /// The provider's message; empty when none was sent.
    public var message: String

    /// Creates an error report.
    public init(type: String? = nil, code: String? = nil, message: String = "") {
        self.type = type
        self.code = code
        self.message = message
    }
}

/// Bytes that are not the JSON a decoder expected.
public struct DecodeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was wrong.
    public var message: String
    /// The byte offset of the problem within the data.
    public var offset: Int
    /// The start of the data as text, at most ``excerptLimit`` bytes, cut on a character boundary.
    public var excerpt: String
    /// The full length of the data, in bytes.
    public var byteCount: Int

    /// The most bytes of the data kept in ``excerpt``.
    public static let excerptLimit = 1024

    /// Creates a decode error, keeping at most ``excerptLimit`` bytes of `data` as the excerpt.
    public init(message: String, offset: Int, data: UnsafeRawBufferPointer) {
        self.message = message
        self.offset = offset
        self.byteCount = data.count
        var cut = min(data.count, Self.excerptLimit)
        if cut < data.count {
            // Back off to the start of a UTF-8 sequence, so the excerpt ends on a character.
            while cut > 0, data[cut] & 0xC0 == 0x80 { cut -= 1 }
        }
        self.excerpt = String(decoding: UnsafeRawBufferPointer(rebasing: data[0..<cut]), as: UTF8.self)
    }

    /// One line naming the problem, its offset and the start of the data.
    public var description: String {
        "undecodable data at byte \(offset) of \(byteCount): \(message): \(excerpt)"
    }
}
