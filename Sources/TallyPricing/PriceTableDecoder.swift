import TallyJSON
/// Reads a price table from JSON, collecting every problem instead of stopping at the first.
struct PriceTableDecoder {
    private let origin: String
    private(set) var problems: [PriceTableProblem] = []

    private init(origin: String) { self.origin = origin }

    /// Decodes one table; throws every problem found, each with its JSON path.
    static func decode(_ bytes: some Collection<UInt8>, origin: String) throws(PriceTableError) -> PriceTable {
        let root: JSONValue
        do {
            root = try JSONReader.parse(bytes)
        } catch {
            throw PriceTableError(problems: [PriceTableProblem(file: origin, path: "$", message: "invalid JSON at \(error)")])
        }
        var decoder = PriceTableDecoder(origin: origin)
        let table = decoder.table(root)
        guard decoder.problems.isEmpty, let table else { throw PriceTableError(problems: decoder.problems) }
        return table
    }

    static let tableFields = ["provider", "kind", "source", "updated", "billing", "models", "$schema", "note"]
    static let billingFields = ["credit_usd", "note", "as_of"]
    static let modelFields = ["official", "aliases", "mode", "prices", "note"]
    static let rateFields = ["input", "cached_input", "cache_write", "cache_write_1h", "output", "reasoning"]
    static let entryFields = ["from", "tiers", "note"] + rateFields
    static let tierFields = ["above"] + rateFields
    static let modes = ["chat", "completion", "responses", "embedding"]

    private mutating func problem(_ path: String, _ message: String) {
        problems.append(PriceTableProblem(file: origin, path: path, message: message))
    }

    static func memberPath(_ path: String, _ key: String) -> String {
        let plain = !key.isEmpty && key.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "$")
        }
        return plain ? "\(path).\(key)" : "\(path)[\"\(key)\"]"
    }

    /// The members of an object, reporting any member not in `known` (with a suggestion for typos).
    private mutating func members(_ value: JSONValue, at path: String, known: [String]) -> [(key: String, value: JSONValue)]? {
        guard case .object(let members) = value else {
            problem(path, "must be an object, found \(value.kindDescription)")
            return nil
        }
        for member in members where !known.contains(member.key) {
            var message = "unknown field \"\(member.key)\""
            if let guess = Self.nearest(member.key, in: known) { message += "; did you mean \"\(guess)\"?" }
            problem(Self.memberPath(path, member.key), message)
        }
        return members
    }

    private mutating func requiredString(_ object: JSONValue, _ key: String, at path: String) -> String? {
        guard let value = object[key] else {
            problem(path, "missing required field \"\(key)\"")
            return nil
        }
        return string(value, at: Self.memberPath(path, key))
    }

    private mutating func string(_ value: JSONValue, at path: String) -> String? {
        guard case .string(let text) = value else {
            problem(path, "must be a string, found \(value.kindDescription)")
            return nil
        }
        return text
    }

    private mutating func day(_ value: JSONValue, at path: String) -> CalendarDay? {
        guard let text = string(value, at: path) else { return nil }
        guard let day = CalendarDay(text) else {
            problem(path, "\"\(text)\" is not a date of the form YYYY-MM-DD")
            return nil
        }
        return day
    }

    private mutating func price(_ value: JSONValue, at path: String) -> TokenPrice? {
        switch value {
        case .string(let text):
            if let number = DecimalText(text, allowSign: true), number.isNegative {
                problem(path, "price \"\(text)\" is negative")
                return nil
            }
            guard let price = TokenPrice(decimalUSD: text) else {
                if let number = DecimalText(text), number.decimalPlaces > 9 {
                    problem(path, "price \"\(text)\" has more than 9 decimal places")
                } else if DecimalText(text) != nil {
                    // A decimal number that does not fit Int64 nano-USD per million tokens.
                    problem(path, "price \"\(text)\" is above the largest price Tally holds (\(Money(nanoUSD: .max).decimalString) USD per million tokens)")
                } else {
                    problem(path, "price \"\(text)\" is not a decimal number of USD per million tokens like \"2.50\"")
                }
                return nil
            }
            return price
        case .number(let text):
            problem(path, "price must be a decimal string such as \"\(text)\", not a JSON number (numbers can lose precision)")
            return nil
        default:
            problem(path, "price must be a decimal string like \"2.50\", found \(value.kindDescription)")
            return nil
        }
    }

    private mutating func table(_ root: JSONValue) -> PriceTable? {
        guard members(root, at: "$", known: Self.tableFields) != nil else { return nil }
        let provider = requiredString(root, "provider", at: "$")
        if let provider, !Self.isName(provider) {
            problem("$.provider", "\"\(provider)\" must be lowercase letters, digits, '-', '_' or '.'")
        }
        var kind: PriceTable.Kind?
        if let text = requiredString(root, "kind", at: "$") {
            kind = PriceTable.Kind(rawValue: text)
            if kind == nil { problem("$.kind", "\"\(text)\" must be one of official, relay, reseller") }
        }
        let source = requiredString(root, "source", at: "$")
        let updated = root["updated"].flatMap { day($0, at: "$.updated") }
        var creditUSD = Money(nanoUSD: Money.nanosPerUSD)
        var note: String?
        if let billing = root["billing"] {
            if kind == .official { problem("$.billing", "an official table is billed in USD; billing belongs to relays and resellers") }
            if members(billing, at: "$.billing", known: Self.billingFields) != nil {
                if let text = requiredString(billing, "credit_usd", at: "$.billing") {
                    if let rate = Money(decimalUSD: text), rate > .zero {
                        creditUSD = rate
                    } else {
                        problem("$.billing.credit_usd", "\"\(text)\" must be a positive decimal string of USD with at most 9 decimal places")
                    }
                }
                note = billing["note"].flatMap { string($0, at: "$.billing.note") }
                if let asOf = billing["as_of"] { _ = day(asOf, at: "$.billing.as_of") }
            }
        } else if let kind, kind != .official {
            // Without a stated rate, a relay's credits would silently count as US dollars.
            problem("$.billing.credit_usd", "a \(kind.rawValue) table must state what one unit of its price costs in USD (\"1\" if it bills in USD)")
        }
        var models: [PriceTable.Model] = []
        if let modelsValue = root["models"] {
            if case .object(let members) = modelsValue {
                for member in members {
                    if let model = model(member.key, member.value, at: Self.memberPath("$.models", member.key), kind: kind) {
                        models.append(model)
                    }
                }
            } else {
                problem("$.models", "must be an object of models, found \(modelsValue.kindDescription)")
            }
        } else {
            problem("$", "missing required field \"models\"")
        }
        checkAliases(models)
        guard let provider, let kind, let source else { return nil }
        return PriceTable(
            provider: provider, kind: kind, source: source, updated: updated, creditUSD: creditUSD,
            billingNote: note, models: models.sorted { $0.key < $1.key }, origin: origin
        )
    }

    private mutating func model(_ key: String, _ value: JSONValue, at path: String, kind: PriceTable.Kind?) -> PriceTable.Model? {
        guard members(value, at: path, known: Self.modelFields) != nil else { return nil }
        if key.isEmpty { problem(path, "model key must not be empty") }
        var official: PriceTable.OfficialModel?
        if let reference = value["official"], let text = string(reference, at: path + ".official") {
            let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
            if kind == .official {
                problem(path + ".official", "an official table's models are their own list price; \"official\" belongs to relays and resellers")
            } else if parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty {
                official = PriceTable.OfficialModel(provider: parts[0], model: parts[1])
            } else {
                problem(path + ".official", "\"\(text)\" must name an official model as \"provider/model\"")
            }
        }
        var aliases: [String] = []
        if let list = value["aliases"] {
            if case .array(let items) = list {
                for (index, item) in items.enumerated() {
                    if let alias = string(item, at: "\(path).aliases[\(index)]") { aliases.append(alias) }
                }
            } else {
                problem(path + ".aliases", "must be an array of strings, found \(list.kindDescription)")
            }
        }
        var mode: String?
        if let modeValue = value["mode"], let text = string(modeValue, at: path + ".mode") {
            if Self.modes.contains(text) { mode = text } else {
                problem(path + ".mode", "\"\(text)\" must be one of \(Self.modes.joined(separator: ", "))")
            }
        }
        var entries: [PriceEntry] = []
        guard let pricesValue = value["prices"] else {
            problem(path, "missing required field \"prices\"")
            return nil
        }
        guard case .array(let items) = pricesValue, !items.isEmpty else {
            problem(path + ".prices", "must be a non-empty array of price entries")
            return nil
        }
        for (index, item) in items.enumerated() {
            let entryPath = "\(path).prices[\(index)]"
            if let entry = entry(item, at: entryPath, isFirst: index == 0) {
                if let last = entries.last, let previous = last.from, let from = entry.from, from <= previous {
                    problem(entryPath + ".from", from == previous
                        ? "date \(from) repeats the previous entry's"
                        : "date \(from) is before the previous entry's \(previous); list entries oldest first")
                }
                entries.append(entry)
            }
        }
        guard entries.count == items.count else { return nil }
        return PriceTable.Model(key: key, official: official, aliases: aliases, mode: mode, prices: entries)
    }

    private mutating func entry(_ value: JSONValue, at path: String, isFirst: Bool) -> PriceEntry? {
        guard members(value, at: path, known: Self.entryFields) != nil else { return nil }
        let failures = problems.count
        var from: CalendarDay?
        if let fromValue = value["from"] {
            from = day(fromValue, at: path + ".from")
        } else if !isFirst {
            problem(path, "missing \"from\": only the first entry may apply from the beginning")
        }
        let input = value["input"].flatMap { price($0, at: path + ".input") }
        let output = value["output"].flatMap { price($0, at: path + ".output") }
        if value["input"] == nil { problem(path, "missing required price \"input\"") }
        if value["output"] == nil { problem(path, "missing required price \"output\"") }
        let cachedInput = value["cached_input"].flatMap { price($0, at: path + ".cached_input") }
        let cacheWrite = value["cache_write"].flatMap { price($0, at: path + ".cache_write") }
        let cacheWrite1h = value["cache_write_1h"].flatMap { price($0, at: path + ".cache_write_1h") }
        let reasoning = value["reasoning"].flatMap { price($0, at: path + ".reasoning") }
        var tiers: [PriceEntry.Tier] = []
        if let tiersValue = value["tiers"] {
            if case .array(let items) = tiersValue {
                for (index, item) in items.enumerated() {
                    let tierPath = "\(path).tiers[\(index)]"
                    if let tier = tier(item, at: tierPath) {
                        if let last = tiers.last, tier.above <= last.above {
                            problem(tierPath + ".above", "thresholds must increase: \(tier.above) follows \(last.above)")
                        }
                        tiers.append(tier)
                    }
                }
            } else {
                problem(path + ".tiers", "must be an array of tiers, found \(tiersValue.kindDescription)")
            }
        }
        guard problems.count == failures, let input, let output else { return nil }
        return PriceEntry(
            from: from,
            rates: .init(input: input, cachedInput: cachedInput, cacheWrite: cacheWrite, cacheWrite1h: cacheWrite1h, output: output, reasoning: reasoning),
            tiers: tiers
        )
    }

    private mutating func tier(_ value: JSONValue, at path: String) -> PriceEntry.Tier? {
        guard members(value, at: path, known: Self.tierFields) != nil else { return nil }
        let failures = problems.count
        var above: Int64?
        switch value["above"] {
        case .number(let text)?:
            if let number = DecimalText(text, allowSign: true), let tokens = number.scaled(toDecimals: 0, rounding: .exact), tokens > 0 {
                above = tokens
            } else {
                problem(path + ".above", "\(text) must be a positive whole number of prompt tokens")
            }
        case let other?:
            problem(path + ".above", "must be a number of prompt tokens, found \(other.kindDescription)")
        case nil:
            problem(path, "missing required field \"above\" (prompt tokens above which the tier applies)")
        }
        let tier = PriceEntry.Tier(
            above: above ?? 0,
            input: value["input"].flatMap { price($0, at: path + ".input") },
            cachedInput: value["cached_input"].flatMap { price($0, at: path + ".cached_input") },
            cacheWrite: value["cache_write"].flatMap { price($0, at: path + ".cache_write") },
            cacheWrite1h: value["cache_write_1h"].flatMap { price($0, at: path + ".cache_write_1h") },
            output: value["output"].flatMap { price($0, at: path + ".output") },
            reasoning: value["reasoning"].flatMap { price($0, at: path + ".reasoning") }
        )
        if Self.rateFields.allSatisfy({ value[$0] == nil }) { problem(path, "a tier must set at least one price") }
        return problems.count == failures ? tier : nil
    }

    /// Reports an alias claimed by two models, or naming another model's key.
    private mutating func checkAliases(_ models: [PriceTable.Model]) {
        var owner: [String: String] = [:]
        for model in models { owner[model.key] = model.key }
        for model in models {
            for (index, alias) in model.aliases.enumerated() {
                let path = Self.memberPath("$.models", model.key) + ".aliases[\(index)]"
                if let other = owner[alias], other != model.key || alias == model.key {
                    problem(path, other == model.key
                        ? "alias \"\(alias)\" repeats the model's own name"
                        : (alias == other ? "alias \"\(alias)\" is already a model of this table" : "alias \"\(alias)\" is also claimed by model \"\(other)\""))
                } else {
                    owner[alias] = model.key
                }
            }
        }
    }

    static func isName(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
        }
    }

    /// The known name closest to a misspelt one, when it is close enough to be a typo.
    static func nearest(_ word: String, in candidates: [String]) -> String? {
        let scored = candidates.map { ($0, editDistance(Array(word.utf8), Array($0.utf8))) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(1, word.utf8.count / 3) else { return nil }
        return best.0
    }

    static func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}
