import Testing
import TallyTokenizer

struct ModelEncodingTests {
    @Test("OpenAI's current models map to o200k_base exactly", arguments: [
        "gpt-4o", "gpt-4o-2024-08-06", "gpt-4o-mini", "chatgpt-4o-latest", "gpt-4.1", "gpt-4.1-nano",
        "gpt-5", "gpt-5-mini", "o1", "o1-mini", "o3", "o3-mini", "o4-mini", "openai/gpt-4o", "ft:gpt-4o-mini:org::id",
    ])
    func o200kModels(model: String) {
        let (name, accuracy) = ModelEncoding.lookup(model)
        #expect(name == .o200kBase)
        #expect(accuracy == .exact)
    }

    @Test("GPT-4, GPT-3.5 and the embeddings map to cl100k_base exactly", arguments: [
        "gpt-4", "gpt-4-0613", "gpt-4-turbo", "gpt-4-32k", "gpt-3.5-turbo", "gpt-3.5-turbo-0125", "gpt-35-turbo",
        "text-embedding-3-small", "text-embedding-3-large", "text-embedding-ada-002",
    ])
    func cl100kModels(model: String) {
        let (name, accuracy) = ModelEncoding.lookup(model)
        #expect(name == .cl100kBase)
        #expect(accuracy == .exact)
    }

    @Test("other families are counted with o200k_base and marked as estimates naming the family", arguments: [
        "claude-sonnet-4-5", "gemini-2.5-pro", "deepseek-chat", "mistral-large-latest", "grok-4", "llama-3.1-70b",
    ])
    func otherFamiliesAreEstimates(model: String) throws {
        let encoding = try Encoding.forModel(model)
        #expect(encoding.encoding.name == .o200kBase)
        guard case .estimated(let method) = encoding.accuracy else {
            Issue.record("\(model) should be an estimate")
            return
        }
        #expect(method.contains("o200k_base") && method.contains(String(model.prefix(4))))
        let count = encoding.count("Hello, world!")
        #expect(count.tokens == 4 && !count.isExact)
    }

    @Test("an exact count says which encoding made it")
    func exactCount() throws {
        let count = try Encoding.forModel("gpt-4").count("Hello, world!")
        #expect(count == TokenCount(tokens: 4, encoding: .cl100kBase, accuracy: .exact))
        #expect(count.method == "exact (cl100k_base)")
    }
}
