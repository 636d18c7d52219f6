import Testing
import TallyPricing
import TallyStream

struct ResponseSummaryTests {
    @Test func aChatCompletionBodyGivesUsageModelAndFinishReason() throws {
        let summary = try ResponseSummary(decoding: Fixture.bytes("openai-chat-response.json"), format: .openAIChat)
        #expect(summary.usage == Usage(input: 93, cachedInput: 1024, output: 46))
        #expect(summary.model == "gpt-4o-2024-08-06")
        #expect(summary.finishReason == "stop")
        #expect(summary.error == nil)
    }

    @Test func aDeepSeekBodyWithOnlyTheOldCacheFieldsIsRead() throws {
        let summary = try ResponseSummary(decoding: Fixture.bytes("deepseek-response.json"), format: .openAIChat)
        #expect(summary.usage == Usage(input: 16, output: 10))
    }

    @Test func anAnthropicBodyGivesCacheWritesByLifetime() throws {
        let summary = try ResponseSummary(decoding: Fixture.bytes("anthropic-message-response.json"), format: .anthropicMessages)
        #expect(summary.usage == Usage(input: 2095, cacheWrite1h: 3000, output: 503))
        #expect(summary.model == "claude-opus-4-1-20250805")
        #expect(summary.finishReason == "end_turn")
    }

    @Test func anAnthropicErrorBodyHasAnErrorAndNoUsage() throws {
        let summary = try ResponseSummary(decoding: Fixture.bytes("anthropic-error-response.json"), format: .anthropicMessages)
        #expect(summary.usage == nil)
        #expect(summary.error?.type == "rate_limit_error")
    }

    @Test func aResponsesBodyGivesItsUsage() throws {
        let summary = try ResponseSummary(decoding: Fixture.bytes("responses-response.json"), format: .openAIResponses)
        #expect(summary.usage == Usage(input: 17, cachedInput: 64, output: 203, reasoning: 832))
        #expect(summary.model == "o3-2025-04-16")
        #expect(summary.finishReason == "completed")
    }

    @Test func aBodyThatIsNotJSONThrowsWithItsOffsetAndExcerpt() {
        #expect {
            _ = try ResponseSummary(decoding: Array("<html>502 Bad Gateway</html>".utf8), format: .openAIChat)
        } throws: { error in
            guard let error = error as? DecodeError else { return false }
            return error.offset == 0 && error.excerpt == "<html>502 Bad Gateway</html>"
        }
    }
}
