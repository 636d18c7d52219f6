/// A number of tokens, the encoding that counted them, and whether the count is what the
/// provider will bill or an estimate.
public struct TokenCount: Sendable, Hashable {
    /// Whether a count is exact, and if not, how it was estimated.
    public enum Accuracy: Sendable, Hashable {
        /// The model's own tokenizer and documented counting rules were used.
        case exact
        /// An estimate; the string states the method (e.g. "o200k_base stands in for claude's tokenizer").
        case estimated(method: String)
    }

    /// The number of tokens.
    public var tokens: Int
    /// The encoding the text was tokenized with.
    public var encoding: Encoding.Name
    /// Exact, or estimated with its method.
    public var accuracy: Accuracy

    /// Whether the count is exact.
    public var isExact: Bool { accuracy == .exact }

    /// How the count was made, in words: "exact" or the estimation method.
    public var method: String {
        switch accuracy {
        case .exact: "exact (\(encoding.rawValue))"
        case .estimated(let method): method
        }
    }

    /// A count of `tokens` by `encoding`.
    public init(tokens: Int, encoding: Encoding.Name, accuracy: Accuracy) {
        self.tokens = tokens
        self.encoding = encoding
        self.accuracy = accuracy
    }

    /// This count marked estimated with `reason` added to the method (an exact count becomes an
    /// estimate; an estimate keeps its method and gains the reason).
    func estimated(_ reason: String) -> TokenCount {
        var copy = self
        switch accuracy {
        case .exact: copy.accuracy = .estimated(method: "\(encoding.rawValue); \(reason)")
        case .estimated(let method): copy.accuracy = .estimated(method: method.contains(reason) ? method : "\(method); \(reason)")
        }
        return copy
    }
}
