import Foundation
import Testing
import TallyStream
import TallyUsage

struct ResponseSummaryTests {
    @Test func aChatCompletionBodyGivesUsageModelAndFinishReason() throws {
        let summary = try ResponseSummary(decoding: Fixture.bytes("openai-chat-response.json"), format: .openAIChat)
        #expect(summary.usage == Usage(input: 93, cachedInput: 1024, output: 46))
        #expect(summary.model == "gpt-4o-2024-08-06")
        #expect(summary.finishReason == "stop")
        #expect(summary.error == nil)
    }

    @Test func anXAIBodyIsReadByXAIsRuleItsCompletionExcludingTheReasoning() throws {
        let summary = try ResponseSummary(decoding: Fixture.bytes("xai-chat-response.json"), format: .openAIChat, usageConvention: .xAI)
        #expect(summary.usage == Usage(input: 21, cachedInput: 6, output: 9, reasoning: 318))
        #expect(summary.usage?.flags.isEmpty == true)
        #expect(summary.model == "grok-3-mini")
    }

    @Test func xAIsRuleKeepsNegativeCountsAsReportedAndFlagged() throws {
        let body = #"{"usage":{"prompt_tokens":10,"completion_tokens":-4,"completion_tokens_details":{"reasoning_tokens":7}}}"#
        let summary = try ResponseSummary(decoding: Array(body.utf8), format: .openAIChat, usageConvention: .xAI)
        #expect(summary.usage?.output == -4)
        #expect(summary.usage?.reasoning == 7)
        #expect(summary.usage?.flags == [.negativeCount])
    }

    @Test func theResponsesFormatIgnoresTheXAIDialect() throws {
        let summary = try ResponseSummary(decoding: Fixture.bytes("responses-response.json"), format: .openAIResponses, usageConvention: .xAI)
        #expect(summary.usage == Usage(input: 17, cachedInput: 64, output: 203, reasoning: 832))
    }

    @Test func aBodyWithoutUsageKeepsItsTextForAnEstimate() throws {
        let chat = try ResponseSummary(decoding: Fixture.bytes("xai-chat-response.json").replacingUsage(), format: .openAIChat)
        #expect(chat.usage == nil)
        #expect(String(decoding: chat.outputText, as: UTF8.self)
            == "The user asks for 101 times 3. 100 times 3 is 300, plus 3 is 303.101 multiplied by 3 is 303.")
        let parts = #"{"choices":[{"message":{"content":[{"type":"text","text":"Hi"},{"type":"text","text":" there"}],"tool_calls":[{"function":{"name":"f","arguments":"{}"}}]}}]}"#
        let summary = try ResponseSummary(decoding: Array(parts.utf8), format: .openAIChat)
        #expect(String(decoding: summary.outputText, as: UTF8.self) == "Hi theref{}")
        let anthropic = #"{"content":[{"type":"thinking","thinking":"Hmm.","signature":"x"},{"type":"text","text":"Yes."},{"type":"tool_use","id":"t","name":"run","input":{"cmd": "ls"}}]}"#
        let message = try ResponseSummary(decoding: Array(anthropic.utf8), format: .anthropicMessages)
        #expect(String(decoding: message.outputText, as: UTF8.self) == #"Hmm.Yes.run{"cmd": "ls"}"#)
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

extension [UInt8] {
    /// The JSON body with its `"usage"` member renamed, so it reports no usage.
    func replacingUsage() -> [UInt8] {
        Array(String(decoding: self, as: UTF8.self).replacingOccurrences(of: #""usage""#, with: #""usage_was""#).utf8)
    }
}
