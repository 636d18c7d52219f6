public import Foundation
public import TallyUsage

extension PriceBook {
    /// Prices one request: the one rule every row, re-pricing, what-if and estimate goes through.
    ///
    /// The model priced is the one that ran (`returnedModel`) when the provider's table lists it,
    /// else the one asked for: a relay that answers under a name of its own is priced as what was
    /// requested, but a listed model that ran is never priced as another, even when it has no
    /// price in force at `date` (the request is then unpriced, with that reason). The price is
    /// the entry in force at `date`; an implausible usage, or one whose exact cost does not fit
    /// a ``Money``, is unpriced with the reason, never a saturated amount.
    public func charge(
        provider: String, requestedModel: String, returnedModel: String? = nil, at date: Date, usage: Usage
    ) -> PricingResult {
        let model = returnedModel.flatMap { self.model($0, provider: provider) != nil ? $0 : nil } ?? requestedModel
        return cost(of: usage, provider: provider, model: model, at: date)
    }
}
