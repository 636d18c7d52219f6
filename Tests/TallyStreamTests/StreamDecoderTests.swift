import TallyDemo
import TallyTestSupport
import Testing
import TallyStream
import TallyUsage

struct StreamDecoderTests {
    static let streams: [(String, WireFormat)] = [
        ("openai-chat-tools.sse", .openAIChat),
        ("openai-chat-reasoning.sse", .openAIChat),
        ("deepseek-reasoner.sse", .openAIChat),
        ("openrouter-reasoning.sse", .openAIChat),
        ("relay-crlf-garbage.sse", .openAIChat),
        ("anthropic-thinking-tools.sse", .anthropicMessages),
        ("responses-text.sse", .openAIResponses),
        ("responses-function-call.sse", .openAIResponses),
    ]

    @Test(arguments: streams)
    func decodedEventsDoNotDependOnHowTheStreamWasCut(name: String, format: WireFormat) throws {
        let whole = try Fixture.decoded(name, format: format, chunkSize: 1 << 20)
        for chunkSize in [1, 2, 3, 7, 64] {
            let split = try Fixture.decoded(name, format: format, chunkSize: chunkSize)
            #expect(split.events == whole.events, "\(name) in \(chunkSize)-byte reads")
            #expect(split.decoder.usage == whole.decoder.usage)
        }
        #expect(whole.decoder.usage != nil)
    }

    @Test func dataThatIsNotJSONBecomesAnUndecodableEventWithABoundedExcerpt() {
        var decoder = StreamDecoder(format: .openAIChat)
        let long = String(repeating: "é", count: 2000) // 4000 bytes, two per character
        let events = decoder.decode(SSEEvent(text: "not json " + long))
        guard case .undecodable(let error) = events.first, events.count == 1 else {
            Issue.record("expected one undecodable event, got \(events)")
            return
        }
        #expect(error.byteCount == 4009)
        #expect(error.offset == 0)
        #expect(error.excerpt.utf8.count <= DecodeError.excerptLimit)
        #expect(error.excerpt.hasPrefix("not json é"))
        #expect(!error.excerpt.contains("\u{FFFD}"))
    }

    @Test func anUndecodableEventChangesNothingAndTheUsageAfterItIsKept() {
        var decoder = StreamDecoder(format: .openAIChat)
        // Valid up to the cut: the model it names must not be taken from a rejected event.
        let rejected = decoder.decode(SSEEvent(text: #"{"model":"wrong","choices":[{"delta":{"content":"lost"}}"#))
        #expect(rejected.count == 1)
        #expect(decoder.model == nil)
        _ = decoder.decode(SSEEvent(text: #"{"model":"right","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":1}}"#))
        #expect(decoder.model == "right")
        #expect(decoder.usage == Usage(input: 5, output: 1))
    }

    @Test func corruptingEveryOtherEventNeverLosesTheUsageEvent() throws {
        var random = SeededGenerator(seed: 42)
        let events = try Fixture.sseEvents("openai-chat-tools.sse")
        for _ in 0..<200 {
            var decoder = StreamDecoder(format: .openAIChat)
            for event in events {
                var damaged = event
                if !event.text.contains("\"usage\":{"), Bool.random(using: &random) {
                    // Truncate, flip a byte, or append garbage.
                    switch Int.random(in: 0..<3, using: &random) {
                    case 0: damaged.data = Array(event.data.prefix(Int.random(in: 0..<max(1, event.data.count), using: &random)))
                    case 1:
                        if !damaged.data.isEmpty {
                            let at = Int.random(in: 0..<damaged.data.count, using: &random)
                            damaged.data[at] = UInt8.random(in: 0...255, using: &random)
                        }
                    default: damaged.data += Array("}]garbage".utf8)
                    }
                }
                decoder.decode(damaged) { _ in }
            }
            #expect(decoder.usage == Usage(input: 86, cachedInput: 1920, output: 54))
        }
    }

    @Test func doneAndBlankDataAreRecognisedInEveryFormat() {
        for format in WireFormat.allCases {
            var decoder = StreamDecoder(format: format)
            #expect(decoder.decode(SSEEvent(text: "   ")) == [])
            #expect(decoder.decode(SSEEvent(text: "[DONE]")) == [.done])
            #expect(decoder.isDone)
        }
    }
}
