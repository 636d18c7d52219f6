import TallyPricing

enum PriceBookFixture {
    /// The bundled price tables, as `tally demo` prices with them.
    static let bundled: PriceBook = {
        do { return try PriceBook() } catch { preconditionFailure("bundled price tables do not load: \(error)") }
    }()
}
