import TallyUsage
import TallyJSON

/// Token counts as a provider reported them, before they are mapped into `Usage` classes.
/// Nil means the field was absent.
struct UsageCounts: Sendable, Hashable {
    // OpenAI chat completions (and the Responses names, which map to the same fields).
    var prompt: Int64?
    var completion: Int64?
    var cached: Int64?
    var cacheWrite: Int64?
    var reasoning: Int64?
    // DeepSeek's older fields.
    var cacheHit: Int64?
    var cacheMiss: Int64?
    // Anthropic.
    var input: Int64?
    var output: Int64?
    var cacheRead: Int64?
    var cacheCreation: Int64?
    var cacheCreation5m: Int64?
    var cacheCreation1h: Int64?

    /// Reads an OpenAI-family usage object: chat completions or Responses names, DeepSeek extras.
    static func readInclusive(_ reader: inout JSONReader) throws(JSONSyntaxError) -> UsageCounts? {
        guard reader.peekKind() == .object else {
            try reader.skipValue()
            return nil
        }
        var counts = UsageCounts()
        var object = try reader.beginObject()
        while let key = try reader.nextKey(&object) {
            if key == "prompt_tokens" || key == "input_tokens" {
                counts.prompt = try reader.readInteger()
            } else if key == "completion_tokens" || key == "output_tokens" {
                counts.completion = try reader.readInteger()
            } else if key == "prompt_tokens_details" || key == "input_tokens_details" {
                try readDetails(&reader) { key, reader throws(JSONSyntaxError) in
                    if key == "cached_tokens" {
                        counts.cached = try reader.readInteger()
                    } else if key == "cache_write_tokens" {
                        counts.cacheWrite = try reader.readInteger()
                    } else {
                        try reader.skipValue()
                    }
                }
            } else if key == "completion_tokens_details" || key == "output_tokens_details" {
                try readDetails(&reader) { key, reader throws(JSONSyntaxError) in
                    if key == "reasoning_tokens" {
                        counts.reasoning = try reader.readInteger()
                    } else {
                        try reader.skipValue()
                    }
                }
            } else if key == "prompt_cache_hit_tokens" {
                counts.cacheHit = try reader.readInteger()
            } else if key == "prompt_cache_miss_tokens" {
                counts.cacheMiss = try reader.readInteger()
            } else {
                try reader.skipValue()
            }
        }
        return counts
    }

    /// Reads an Anthropic usage object.
    static func readAnthropic(_ reader: inout JSONReader) throws(JSONSyntaxError) -> UsageCounts? {
        guard reader.peekKind() == .object else {
            try reader.skipValue()
            return nil
        }
        var counts = UsageCounts()
        var object = try reader.beginObject()
        while let key = try reader.nextKey(&object) {
            if key == "input_tokens" {
                counts.input = try reader.readInteger()
            } else if key == "output_tokens" {
                counts.output = try reader.readInteger()
            } else if key == "cache_read_input_tokens" {
                counts.cacheRead = try reader.readInteger()
            } else if key == "cache_creation_input_tokens" {
                counts.cacheCreation = try reader.readInteger()
            } else if key == "cache_creation" {
                try readDetails(&reader) { key, reader throws(JSONSyntaxError) in
                    if key == "ephemeral_5m_input_tokens" {
                        counts.cacheCreation5m = try reader.readInteger()
                    } else if key == "ephemeral_1h_input_tokens" {
                        counts.cacheCreation1h = try reader.readInteger()
                    } else {
                        try reader.skipValue()
                    }
                }
            } else {
                try reader.skipValue()
            }
        }
        return counts
    }

    /// Reads a nested object key by key; any other kind of value (`null`) is skipped.
    private static func readDetails(
        _ reader: inout JSONReader,
        _ field: (JSONKey, inout JSONReader) throws(JSONSyntaxError) -> Void
    ) throws(JSONSyntaxError) {
        guard reader.peekKind() == .object else {
            try reader.skipValue()
            return
        }
        var object = try reader.beginObject()
        while let key = try reader.nextKey(&object) { try field(key, &reader) }
    }

    /// These counts with every field present in `later` replacing this one: Anthropic's
    /// `message_delta` counts are cumulative, so the last value wins, never a sum.
    func updated(with later: UsageCounts) -> UsageCounts {
        var merged = self
        merged.input = later.input ?? input
        merged.output = later.output ?? output
        merged.cacheRead = later.cacheRead ?? cacheRead
        merged.cacheCreation = later.cacheCreation ?? cacheCreation
        merged.cacheCreation5m = later.cacheCreation5m ?? cacheCreation5m
        merged.cacheCreation1h = later.cacheCreation1h ?? cacheCreation1h
        return merged
    }

    /// The usage of an OpenAI-family report: the prompt includes cache reads and writes, the
    /// completion includes reasoning. DeepSeek's `prompt_cache_hit_tokens` and
    /// `prompt_cache_miss_tokens` stand in when `prompt_tokens_details.cached_tokens` is absent.
    var inclusiveUsage: Usage {
        let completion = completion ?? 0
        let reasoning = reasoning ?? 0
        if cached == nil, let hit = cacheHit {
            let prompt = prompt ?? (hit &+ (cacheMiss ?? 0))
            var usage = Usage.fromInclusive(
                prompt: prompt, cached: hit, cacheWrite: cacheWrite ?? 0,
                completion: completion, reasoning: reasoning
            )
            if let miss = cacheMiss {
                usage.input = miss
                if miss < 0 { usage.flags.insert(.negativeCount) }
            }
            return usage
        }
        return Usage.fromInclusive(
            prompt: prompt ?? 0, cached: cached ?? 0, cacheWrite: cacheWrite ?? 0,
            completion: completion, reasoning: reasoning
        )
    }

    /// The usage of an OpenAI-family report read by `convention`'s rule (xAI: the completion
    /// excludes the reasoning).
    func inclusiveUsage(_ convention: UsageConvention) -> Usage {
        switch convention {
        case .standard:
            return inclusiveUsage
        case .xAI:
            // The reasoning sits beside the completion: add it in, and the OpenAI rule (which
            // subtracts it) gives output = completion_tokens, with the cache rules unchanged.
            var counts = self
            counts.completion = (completion ?? 0) &+ (reasoning ?? 0)
            var usage = counts.inclusiveUsage
            usage.flags.remove(.reasoningExceedsCompletion)
            if (completion ?? 0) < 0 { usage.flags.insert(.negativeCount) }
            return usage
        }
    }

    /// The usage of an Anthropic report: `input_tokens` excludes the cache; thinking is inside
    /// `output_tokens`. Cache writes are split into 5-minute and 1-hour writes when
    /// `cache_creation` gives the split; tokens of `cache_creation_input_tokens` the split does
    /// not account for count as 5-minute writes, so none go unpriced.
    var anthropicUsage: Usage {
        var usage = Usage(
            input: input ?? 0,
            cachedInput: cacheRead ?? 0,
            cacheWrite: cacheCreation ?? 0,
            output: output ?? 0
        )
        if cacheCreation5m != nil || cacheCreation1h != nil {
            let fiveMinutes = cacheCreation5m ?? 0
            let oneHour = cacheCreation1h ?? 0
            let unaccounted = (cacheCreation ?? 0) &- fiveMinutes &- oneHour
            usage.cacheWrite = fiveMinutes &+ max(0, unaccounted)
            usage.cacheWrite1h = oneHour
        }
        let reported = [input, output, cacheRead, cacheCreation, cacheCreation5m, cacheCreation1h]
        if reported.contains(where: { ($0 ?? 0) < 0 }) { usage.flags.insert(.negativeCount) }
        return usage
    }
}
