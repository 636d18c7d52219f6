/// The encoding to count a model's tokens with, and whether that gives the model's exact count.
public struct ModelEncoding: Sendable {
    /// The model name as given.
    public let model: String
    /// The encoding to use.
    public let encoding: Encoding
    /// `.exact` for OpenAI models whose tokenizer is public; `.estimated` with the method otherwise.
    public let accuracy: TokenCount.Accuracy

    /// The tokens of `text` for this model.
    public func count(_ text: String) -> TokenCount {
        TokenCount(tokens: encoding.count(text), encoding: encoding.name, accuracy: accuracy)
    }

    /// Which encoding and accuracy a model name maps to, without loading the encoding.
    ///
    /// OpenAI: gpt-4o, chatgpt-4o, gpt-4.1, gpt-4.5, gpt-5, o1, o3, o4 → o200k_base; gpt-4,
    /// gpt-3.5, gpt-35 (Azure), text-embedding-3, text-embedding-ada-002, davinci-002,
    /// babbage-002 → cl100k_base; all exact. A provider prefix ("openai/", "azure/") and a
    /// fine-tune prefix ("ft:") are ignored. Every other model (Claude, Gemini, DeepSeek, Mistral,
    /// Llama, Qwen, Grok, gpt-oss, …) is counted with o200k_base, marked as an estimate, since
    /// their tokenizers are not public or not shipped here.
    public static func lookup(_ model: String) -> (name: Encoding.Name, accuracy: TokenCount.Accuracy) {
        var key = model.lowercased()
        if key.hasPrefix("ft:") { key.removeFirst(3) }
        for prefix in ["openai/", "azure/", "openrouter/openai/"] where key.hasPrefix(prefix) {
            key.removeFirst(prefix.count)
        }
        func family(_ prefixes: [String]) -> Bool {
            prefixes.contains { key == $0 || key.hasPrefix($0 + "-") || key.hasPrefix($0 + ":") }
        }
        if family(["gpt-4o", "chatgpt-4o", "gpt-4.1", "gpt-4.5", "o1", "o3", "o4", "o4-mini"]) || key.hasPrefix("gpt-5") {
            return (.o200kBase, .exact)
        }
        if family(["gpt-4", "gpt-3.5", "gpt-35", "text-embedding-ada-002", "davinci-002", "babbage-002"])
            || key.hasPrefix("gpt-3.5-turbo") || key.hasPrefix("text-embedding-3") {
            return (.cl100kBase, .exact)
        }
        let family = key.split(whereSeparator: { $0 == "-" || $0 == "/" || $0 == ":" || $0 == "." }).first.map(String.init) ?? key
        return (.o200kBase, .estimated(method: "o200k_base stands in for the tokenizer of \(family.isEmpty ? "an unknown model" : family), which is not public; expect a model-dependent difference (often 10–30%)"))
    }
}

extension Encoding {
    /// The encoding for a model (see `ModelEncoding.lookup` for the map), loaded on first use.
    public static func forModel(_ model: String) throws(TokenizerError) -> ModelEncoding {
        let (name, accuracy) = ModelEncoding.lookup(model)
        return ModelEncoding(model: model, encoding: try Encoding.named(name), accuracy: accuracy)
    }
}
