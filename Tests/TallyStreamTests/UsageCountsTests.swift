import Testing
import TallyStream
import TallyUsage

/// The usage mapping of DESIGN.md "Usage, exactly", checked through the public decoders.
struct UsageCountsTests {
    private func chatUsage(_ usage: String) throws -> Usage? {
        try ResponseSummary(decoding: Array(#"{"usage":\#(usage)}"#.utf8), format: .openAIChat).usage
    }

    private func anthropicUsage(_ usage: String) throws -> Usage? {
        try ResponseSummary(decoding: Array(#"{"usage":\#(usage)}"#.utf8), format: .anthropicMessages).usage
    }

    @Test func openAIPromptIncludesCacheReadsAndWritesAndCompletionIncludesReasoning() throws {
        let usage = try chatUsage(#"{"prompt_tokens":1000,"completion_tokens":300,"prompt_tokens_details":{"cached_tokens":600,"cache_write_tokens":100},"completion_tokens_details":{"reasoning_tokens":200}}"#)
        #expect(usage == Usage(input: 300, cachedInput: 600, cacheWrite: 100, output: 100, reasoning: 200))
    }

    @Test func missingFieldsAreZero() throws {
        #expect(try chatUsage("{}") == Usage())
        #expect(try chatUsage(#"{"prompt_tokens":7,"prompt_tokens_details":null}"#) == Usage(input: 7))
        #expect(try anthropicUsage(#"{"output_tokens":3}"#) == Usage(output: 3))
    }

    @Test func cachedAbovePromptIsKeptAsReportedAndFlagged() throws {
        let usage = try chatUsage(#"{"prompt_tokens":10,"completion_tokens":5,"prompt_tokens_details":{"cached_tokens":15}}"#)
        #expect(usage?.input == -5)
        #expect(usage?.cachedInput == 15)
        #expect(usage?.flags == [.cacheExceedsPrompt])
    }

    @Test func reasoningAboveCompletionIsFlagged() throws {
        let usage = try chatUsage(#"{"prompt_tokens":1,"completion_tokens":5,"completion_tokens_details":{"reasoning_tokens":9}}"#)
        #expect(usage?.output == -4)
        #expect(usage?.flags == [.reasoningExceedsCompletion])
    }

    @Test func negativeCountsAreKeptAndFlagged() throws {
        let usage = try chatUsage(#"{"prompt_tokens":-3,"completion_tokens":2}"#)
        #expect(usage?.input == -3)
        #expect(usage?.flags.contains(.negativeCount) == true)
        let anthropic = try anthropicUsage(#"{"input_tokens":-1,"output_tokens":2}"#)
        #expect(anthropic?.input == -1)
        #expect(anthropic?.flags == [.negativeCount])
    }

    @Test func deepSeekOldFieldsAreUsedOnlyWithoutPromptDetails() throws {
        let old = try chatUsage(#"{"prompt_tokens":100,"completion_tokens":5,"prompt_cache_hit_tokens":80,"prompt_cache_miss_tokens":20}"#)
        #expect(old == Usage(input: 20, cachedInput: 80, output: 5))
        let both = try chatUsage(#"{"prompt_tokens":100,"completion_tokens":5,"prompt_tokens_details":{"cached_tokens":64},"prompt_cache_hit_tokens":80,"prompt_cache_miss_tokens":20}"#)
        #expect(both == Usage(input: 36, cachedInput: 64, output: 5))
        let hitOnly = try chatUsage(#"{"prompt_tokens":100,"prompt_cache_hit_tokens":30}"#)
        #expect(hitOnly == Usage(input: 70, cachedInput: 30))
    }

    @Test func responsesNamesMapLikeChatCompletions() throws {
        let usage = try ResponseSummary(
            decoding: Array(#"{"usage":{"input_tokens":50,"input_tokens_details":{"cached_tokens":20},"output_tokens":40,"output_tokens_details":{"reasoning_tokens":30}}}"#.utf8),
            format: .openAIResponses
        ).usage
        #expect(usage == Usage(input: 30, cachedInput: 20, output: 10, reasoning: 30))
    }

    @Test func anthropicInputExcludesTheCacheAndThinkingStaysInOutput() throws {
        let usage = try anthropicUsage(#"{"input_tokens":20,"cache_read_input_tokens":300,"cache_creation_input_tokens":50,"output_tokens":70}"#)
        #expect(usage == Usage(input: 20, cachedInput: 300, cacheWrite: 50, output: 70))
    }

    @Test func anthropicCacheWritesAreSplitByLifetime() throws {
        let split = try anthropicUsage(#"{"input_tokens":1,"cache_creation_input_tokens":500,"cache_creation":{"ephemeral_5m_input_tokens":200,"ephemeral_1h_input_tokens":300}}"#)
        #expect(split == Usage(input: 1, cacheWrite: 200, cacheWrite1h: 300))
        // Tokens the split does not account for are priced as default (5-minute) writes.
        let partial = try anthropicUsage(#"{"cache_creation_input_tokens":500,"cache_creation":{"ephemeral_1h_input_tokens":300}}"#)
        #expect(partial == Usage(cacheWrite: 200, cacheWrite1h: 300))
    }
}
