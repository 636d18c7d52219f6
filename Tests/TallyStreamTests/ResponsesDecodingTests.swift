import Testing
import TallyStream
import TallyUsage

struct ResponsesDecodingTests {
    @Test func textAndReasoningDeltasAndTheCompletedUsageAreDecoded() throws {
        let (events, decoder) = try Fixture.decoded("responses-text.sse", format: .openAIResponses)
        let usage = Usage(input: 301, cachedInput: 1536, output: 20, reasoning: 256)
        #expect(events == [
            .started(model: "o4-mini-2025-04-16", id: "resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b"),
            .reasoning("**Answering a simple question**", index: 0),
            .text("Hi", index: 1),
            .text(" there!", index: 1),
            .usage(usage),
            .finished(reason: "completed", index: 0),
            .done,
        ])
        #expect(decoder.usage == usage)
    }

    @Test func functionCallsArriveAsToolCallFragments() throws {
        let (events, decoder) = try Fixture.decoded("responses-function-call.sse", format: .openAIResponses, chunkSize: 3)
        #expect(events.contains(.toolCall(ToolCallDelta(index: 0, id: "call_12345xyz", name: "get_weather", arguments: ""))))
        #expect(toolArguments(events) == [0: "{\"location\":\"Paris\"}"])
        #expect(decoder.usage == Usage(input: 291, output: 23))
        #expect(decoder.model == "gpt-4.1-2025-04-14")
    }

    @Test func aFailedResponseCarriesItsErrorAndEndsTheStream() throws {
        let (events, decoder) = try Fixture.decoded("responses-failed.sse", format: .openAIResponses)
        #expect(events.contains(.providerError(ProviderError(code: "server_error", message: "The model failed to generate a response."))))
        #expect(decoder.finishReason == "failed")
        #expect(decoder.isDone)
        #expect(decoder.usage == nil)
    }

    @Test func anErrorEventBecomesAProviderError() {
        var decoder = StreamDecoder(format: .openAIResponses)
        let events = decoder.decode(SSEEvent(type: "error", text: #"{"type":"error","code":"ERR_SOMETHING","message":"Something went wrong","param":null,"sequence_number":1}"#))
        #expect(events == [.providerError(ProviderError(code: "ERR_SOMETHING", message: "Something went wrong"))])
    }

    @Test func anIncompleteResponseReportsWhyAndItsUsage() {
        var decoder = StreamDecoder(format: .openAIResponses)
        let events = decoder.decode(SSEEvent(text: #"{"type":"response.incomplete","response":{"id":"r","model":"gpt-4.1","status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"usage":{"input_tokens":10,"output_tokens":16}}}"#))
        #expect(events.contains(.finished(reason: "max_output_tokens", index: 0)))
        #expect(decoder.usage == Usage(input: 10, output: 16))
    }
}
