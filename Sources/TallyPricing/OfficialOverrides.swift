import TallyJSON
/// Hand-kept corrections to the official tables, from `pricing/overrides.json`: what neither
/// source states right, applied by `tally prices import official` after the merge so that a
/// regeneration keeps them. Each override says why.
package struct OfficialOverrides: Sendable, Hashable {
    /// One correction.
    package struct Override: Sendable, Hashable {
        /// The official provider ("anthropic").
        package var provider: String
        /// The model (key or alias in the merged table); nil for a provider-wide correction.
        package var model: String?
        /// Why the sources are not followed here, with the reference that says so.
        package var why: String
        /// What the override does.
        package var action: Action
        /// The override's JSON path in its file, for messages.
        package var path: String
    }

    /// What an override changes.
    package enum Action: Sendable, Hashable {
        /// Ship genai-prices' prices for the model even where it has no dated entries.
        case shipGenAIPrices
        /// Ship these prices (the whole history) for the model.
        case prices([PriceEntry])
        /// Rewrite LiteLLM tier thresholds of the provider (LiteLLM's `above_200k` to Tally's `above`).
        case liteLLMTierAbove([Int64: Int64])
    }

    /// The corrections, in file order.
    package var overrides: [Override]
    /// The file they were read from.
    package var origin: String

    /// No corrections.
    package static let none = OfficialOverrides(overrides: [], origin: "")

    /// Creates a set of corrections.
    package init(overrides: [Override], origin: String) {
        self.overrides = overrides
        self.origin = origin
    }

    /// Reads an overrides file; throws every problem, each with its JSON path.
    package init(decoding bytes: some Collection<UInt8>, origin: String) throws(PriceTableError) {
        var problems: [PriceTableProblem] = []
        func problem(_ path: String, _ message: String) {
            problems.append(PriceTableProblem(file: origin, path: path, message: message))
        }
        let root: JSONValue
        do {
            root = try JSONReader.parse(bytes)
        } catch {
            throw PriceTableError(problems: [PriceTableProblem(file: origin, path: "$", message: "invalid JSON at \(error)")])
        }
        guard case .array(let items)? = root["overrides"] else {
            throw PriceTableError(problems: [PriceTableProblem(file: origin, path: "$", message: "must be an object with an \"overrides\" array")])
        }
        for member in root.objectMembers ?? [] where !["overrides", "note"].contains(member.key) {
            problem(PriceTableDecoder.memberPath("$", member.key), "unknown field \"\(member.key)\"")
        }
        var overrides: [Override] = []
        for (index, item) in items.enumerated() {
            let path = "$.overrides[\(index)]"
            for member in item.objectMembers ?? [] where !["provider", "model", "why", "ship", "prices", "litellm_tier_above"].contains(member.key) {
                problem(PriceTableDecoder.memberPath(path, member.key), "unknown field \"\(member.key)\"")
            }
            guard case .string(let provider)? = item["provider"] else {
                problem(path + ".provider", "must be the provider's name as a string")
                continue
            }
            guard case .string(let why)? = item["why"], !why.isEmpty else {
                problem(path + ".why", "every override must say why, as a non-empty string")
                continue
            }
            var model: String?
            if let value = item["model"] {
                guard case .string(let name) = value else {
                    problem(path + ".model", "must be a model name as a string")
                    continue
                }
                model = name
            }
            let actions = ["ship", "prices", "litellm_tier_above"].filter { item[$0] != nil }
            guard actions.count == 1 else {
                problem(path, "must have exactly one of \"ship\", \"prices\" or \"litellm_tier_above\"")
                continue
            }
            var action: Action
            switch actions[0] {
            case "ship":
                guard item["ship"] == .string("genai-prices") else {
                    problem(path + ".ship", "must be \"genai-prices\"")
                    continue
                }
                action = .shipGenAIPrices
            case "prices":
                // The entries are read by the price-table decoder itself, so they obey every rule of a table.
                let table = JSONValue.object([
                    ("provider", .string(provider)), ("kind", .string("official")), ("source", .string(origin)),
                    ("models", .object([("m", .object([("prices", item["prices"] ?? .null)]))])),
                ])
                do {
                    let decoded = try PriceTableDecoder.decode(table.serialized(), origin: origin)
                    action = .prices(decoded.models.first?.prices ?? [])
                } catch {
                    for found in error.problems {
                        problem(found.path.replacingPrefix("$.models.m", with: path), found.message)
                    }
                    continue
                }
            default:
                var map: [Int64: Int64] = [:]
                for member in item["litellm_tier_above"]?.objectMembers ?? [] {
                    guard let from = Int64(member.key), case .number(let text) = member.value, let to = Int64(text), to > 0 else {
                        problem(PriceTableDecoder.memberPath(path + ".litellm_tier_above", member.key), "must map a LiteLLM threshold to a positive whole number of prompt tokens")
                        continue
                    }
                    map[from] = to
                }
                action = .liteLLMTierAbove(map)
            }
            if model == nil {
                if case .liteLLMTierAbove = action {} else {
                    problem(path + ".model", "\"ship\" and \"prices\" correct one model: name it")
                    continue
                }
            }
            overrides.append(Override(provider: provider, model: model, why: why, action: action, path: path))
        }
        guard problems.isEmpty else { throw PriceTableError(problems: problems) }
        self.init(overrides: overrides, origin: origin)
    }
}
