import TallyPricing
import TallyStream

extension Gateway {
    /// How the provider behind this upstream counts a model's tokens (see ``usageConvention(provider:model:prices:)``).
    func usageConvention(forModel model: String) -> UsageConvention {
        Self.usageConvention(provider: upstream.provider, model: model, prices: prices)
    }

    /// How the official provider a model stands for counts its tokens: the provider itself for
    /// an official table (or one the price book does not know), the provider of the model's
    /// `official` reference for a relay or reseller (a relay selling `xai/grok-4` passes xAI's
    /// counts on). xAI counts by ``UsageConvention/xAI``; every other provider by its wire format's
    /// own rule, as does a relay model with no `official` reference.
    static func usageConvention(provider: String, model: String, prices: PriceBook) -> UsageConvention {
        var official = provider
        if let table = prices.table(provider: provider), table.kind != .official {
            guard let reference = prices.model(model, provider: provider)?.official else { return .standard }
            official = reference.provider
        }
        return official.lowercased() == "xai" ? .xAI : .standard
    }
}
