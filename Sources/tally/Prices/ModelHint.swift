import TallyPricing

/// The "did you mean" part of an unknown-model failure.
enum ModelHint {
    /// " (did you mean gpt-4.1?)" when a known model name is one typo away, else "".
    static func didYouMean(_ name: String, in book: PriceBook) -> String {
        book.nearestModelName(to: name).map { " (did you mean \($0)?)" } ?? ""
    }
}
