/// Estimates the output tokens of a response from the text received so far, for a stream that
/// ended without usage. Text arrives in deltas that may split a UTF-8 sequence; the count is made
/// over the whole text (counting each delta alone would split tokens that span deltas).
///
/// Always an estimate: a model's output is not always the canonical tokenization of its text, and
/// reasoning tokens a provider hides are not in the text.
public struct OutputTokenCounter: Sendable {
    /// The model's encoding and accuracy.
    public let model: ModelEncoding
    private var bytes: [UInt8] = []

    /// A counter for `model`'s output.
    public init(model: ModelEncoding) {
        self.model = model
    }

    /// Adds a delta of text.
    public mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    /// Adds raw UTF-8 bytes (a sequence may be split across calls).
    public mutating func append(utf8 delta: some Sequence<UInt8>) {
        bytes.append(contentsOf: delta)
    }

    /// The number of UTF-8 bytes received.
    public var byteCount: Int { bytes.count }

    /// The estimated output tokens of everything appended so far.
    public var count: TokenCount {
        TokenCount(tokens: model.encoding.count(utf8: bytes), encoding: model.encoding.name, accuracy: model.accuracy)
            .estimated("output re-tokenized from its text; hidden reasoning tokens are not in it")
    }
}
