import TallyJSON
/// Writes a price table as the JSON that `pricing/` holds: stable key order, one price entry
/// per line, so a regenerated table diffs cleanly against the committed one.
package enum PriceTableWriter {
    /// The table as JSON text, ending in a newline.
    package static func json(_ table: PriceTable) -> String {
        var out = "{\n"
        out += "  \"$schema\": \"../schema.json\",\n"
        out += "  \"provider\": \(quote(table.provider)),\n"
        out += "  \"kind\": \(quote(table.kind.rawValue)),\n"
        out += "  \"source\": \(quote(table.source)),\n"
        if let updated = table.updated { out += "  \"updated\": \(quote(updated.description)),\n" }
        if table.kind != .official {
            out += "  \"billing\": { \"credit_usd\": \(quote(table.creditUSD.decimalString))"
            if let note = table.billingNote { out += ", \"note\": \(quote(note))" }
            out += " },\n"
        }
        out += "  \"models\": {"
        for (index, model) in table.models.enumerated() {
            out += index == 0 ? "\n" : ",\n"
            out += "    \(quote(model.key)): {\n"
            var fields: [String] = []
            if let official = model.official { fields.append("\"official\": \(quote(official.description))") }
            if !model.aliases.isEmpty { fields.append("\"aliases\": [\(model.aliases.map(quote).joined(separator: ", "))]") }
            if let mode = model.mode { fields.append("\"mode\": \(quote(mode))") }
            let entries = model.prices.map { "        " + entry($0) }.joined(separator: ",\n")
            fields.append("\"prices\": [\n\(entries)\n      ]")
            out += fields.map { "      " + $0 }.joined(separator: ",\n")
            out += "\n    }"
        }
        out += table.models.isEmpty ? "}\n}\n" : "\n  }\n}\n"
        return out
    }

    private static func entry(_ entry: PriceEntry) -> String {
        var fields: [String] = []
        if let from = entry.from { fields.append("\"from\": \(quote(from.description))") }
        fields += rates(
            input: entry.rates.input, cachedInput: entry.rates.cachedInput, cacheWrite: entry.rates.cacheWrite,
            cacheWrite1h: entry.rates.cacheWrite1h, output: entry.rates.output, reasoning: entry.rates.reasoning
        )
        if !entry.tiers.isEmpty {
            let tiers = entry.tiers.map { tier in
                "{ " + (["\"above\": \(tier.above)"] + rates(
                    input: tier.input, cachedInput: tier.cachedInput, cacheWrite: tier.cacheWrite,
                    cacheWrite1h: tier.cacheWrite1h, output: tier.output, reasoning: tier.reasoning
                )).joined(separator: ", ") + " }"
            }
            fields.append("\"tiers\": [\(tiers.joined(separator: ", "))]")
        }
        return "{ " + fields.joined(separator: ", ") + " }"
    }

    private static func rates(
        input: TokenPrice?, cachedInput: TokenPrice?, cacheWrite: TokenPrice?,
        cacheWrite1h: TokenPrice?, output: TokenPrice?, reasoning: TokenPrice?
    ) -> [String] {
        let named: [(String, TokenPrice?)] = [
            ("input", input), ("cached_input", cachedInput), ("cache_write", cacheWrite),
            ("cache_write_1h", cacheWrite1h), ("output", output), ("reasoning", reasoning),
        ]
        return named.compactMap { name, price in price.map { "\"\(name)\": \(quote($0.decimalString))" } }
    }

    /// A JSON string literal.
    package static func quote(_ text: String) -> String {
        JSONValue.quoted(text)
    }
}
