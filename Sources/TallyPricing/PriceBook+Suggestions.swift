extension PriceBook {
    /// The known model name (a key or an alias of any table) closest to `name`, when it is close
    /// enough to be a typo ("gpt4.1" → "gpt-4.1"); nil otherwise. For "did you mean" hints.
    package func nearestModelName(to name: String) -> String? {
        let wanted = name.split(separator: "/").last.map(String.init)?.lowercased() ?? name.lowercased()
        var names: [String] = []
        var seen: Set<String> = []
        for table in tables {
            for model in table.models {
                for candidate in [model.key] + model.aliases where seen.insert(candidate).inserted {
                    names.append(candidate)
                }
            }
        }
        guard let guess = PriceTableDecoder.nearest(wanted, in: names), guess != wanted else { return nil }
        return guess
    }
}
