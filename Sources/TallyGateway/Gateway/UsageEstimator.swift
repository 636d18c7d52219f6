package import TallyJSON
import TallyTokenizer

/// Estimates tokens for a request the provider reported no usage for: a stream cut short, a
/// failure, a cancellation. The ``Gateway`` calls it; plug in your own to count differently.
public protocol UsageEstimator: Sendable {
    /// The prompt tokens of a request body, counted before it is sent.
    func inputTokens(ofRequest body: [UInt8], endpoint: Endpoint, model: String) -> Int64
    /// The output tokens of the text received so far (answer, reasoning and tool arguments, in order).
    func outputTokens(ofText text: [UInt8], model: String) -> Int64
}

/// An estimator that counts a request body the gateway has already parsed, so a proxied request
/// is parsed once, not again before its journal row.
package protocol ParsedBodyEstimator: UsageEstimator {
    /// The prompt tokens of `bytes`, a request body, given their parse `body`: the same count as
    /// ``UsageEstimator/inputTokens(ofRequest:endpoint:model:)`` of the bytes alone.
    func inputTokens(ofRequest body: JSONValue, bytes: [UInt8], endpoint: Endpoint, model: String) -> Int64
}

/// The default estimator: tiktoken-compatible counts from `TallyTokenizer` (exact encodings for
/// OpenAI models, `o200k_base` standing in for others).
///
/// Chat completions, Responses and Anthropic messages bodies are counted with the chat framing
/// rules of `ChatTokenCounter`; completions count `prompt`, embeddings count `input` (token-id
/// arrays by their length). A body those rules cannot read is counted as text, whole.
public struct TokenizerEstimator: ParsedBodyEstimator {
    /// Creates the estimator.
    public init() {}

    /// The request's prompt tokens by the chat framing rules, or the body counted as text.
    public func inputTokens(ofRequest body: [UInt8], endpoint: Endpoint, model: String) -> Int64 {
        guard let value = try? JSONReader.parse(body) else { return Self.countAsText(body, model: model) }
        return inputTokens(ofRequest: value, bytes: body, endpoint: endpoint, model: model)
    }

    /// The prompt tokens of a body the gateway parsed, by the same rules; a body no rule reads is
    /// counted as its text, `bytes`.
    package func inputTokens(ofRequest body: JSONValue, bytes: [UInt8], endpoint: Endpoint, model: String) -> Int64 {
        do {
            switch endpoint {
            case .chatCompletions:
                return Int64(try ChatTokenCounter.countOpenAIChatRequest(body, model: model).tokens)
            case .responses:
                return Int64(try ChatTokenCounter.countOpenAIResponsesRequest(body, model: model).tokens)
            case .messages:
                return Int64(try ChatTokenCounter.countAnthropicMessagesRequest(body, model: model).tokens)
            case .completions, .embeddings:
                let encoding = try Encoding.forModel(model).encoding
                guard let input = body[endpoint == .completions ? "prompt" : "input"] else {
                    return Int64(encoding.count(utf8: bytes))
                }
                return Int64(Self.count(input, with: encoding))
            }
        } catch {
            return Self.countAsText(bytes, model: model)
        }
    }

    /// A body no rule reads, counted as text with the model's encoding.
    private static func countAsText(_ body: [UInt8], model: String) -> Int64 {
        guard let encoding = try? Encoding.forModel(model).encoding else { return 0 }
        return Int64(encoding.count(utf8: body))
    }

    /// The text re-tokenized with the model's encoding (`o200k_base` for models without a public one).
    public func outputTokens(ofText text: [UInt8], model: String) -> Int64 {
        guard !text.isEmpty, let encoding = try? Encoding.forModel(model) else { return 0 }
        var counter = OutputTokenCounter(model: encoding)
        counter.append(utf8: text)
        return Int64(counter.count.tokens)
    }

    /// Tokens of a `prompt` or `input` value: a string, token ids, or an array of either.
    private static func count(_ value: JSONValue, with encoding: Encoding) -> Int {
        switch value {
        case .string(let text): encoding.count(text)
        case .number: 1
        case .array(let items): items.reduce(0) { $0 + count($1, with: encoding) }
        default: 0
        }
    }
}
