import HTTPTypes
import TallyTestSupport
import Testing
import TallyPricing
@testable import TallyGateway
import TallyJSON

struct RequestAdapterTests {
    let openAI = Upstream(provider: "openai", baseURL: "https://api.example/v1/", dialect: .openAI, apiKey: "sk-up", headers: .named(["OpenAI-Organization": "org-1"]))
    let keyless = Upstream(provider: "relay", baseURL: "https://relay.example/v1", dialect: .openAI)

    @Test func theIncludeUsageMemberIsSplicedBeforeTheClosingBraceKeepingEveryOtherByte() throws {
        let body = "{ \"model\" : \"gpt-4.1\",\n  \"stream\": true, \"temperature\": 1e-3 }\n\n"
        let prepared = try RequestAdapter.prepare(GatewayRequest(endpoint: .chatCompletions, json: body), for: openAI, streaming: true)
        #expect(prepared.callerAskedForUsage == false)
        let sent = String(decoding: prepared.transportRequest.body ?? [], as: UTF8.self)
        #expect(sent == "{ \"model\" : \"gpt-4.1\",\n  \"stream\": true, \"temperature\": 1e-3 ,\"stream_options\":{\"include_usage\":true}}\n\n")
        #expect(prepared.originalBody == Array(body.utf8))
    }

    @Test func aBodyThatAsksForUsageIsSentUnchanged() throws {
        let body = #"{"model":"gpt-4.1","stream":true,"stream_options":{"include_usage":true}}"#
        let prepared = try RequestAdapter.prepare(GatewayRequest(endpoint: .completions, json: body), for: openAI, streaming: true)
        #expect(prepared.callerAskedForUsage)
        #expect(prepared.transportRequest.body == Array(body.utf8))
    }

    @Test func responsesAndAnthropicStreamsAreNeverRewritten() throws {
        let body = #"{"model":"gpt-4.1","stream":true,"input":"hi"}"#
        let prepared = try RequestAdapter.prepare(GatewayRequest(endpoint: .responses, json: body), for: openAI, streaming: true)
        #expect(prepared.callerAskedForUsage)
        #expect(prepared.transportRequest.body == Array(body.utf8))
    }

    @Test func aStreamOptionsOfAnotherKindIsReplacedAndNumbersKeepTheirText() throws {
        let body = #"{"model":"m","stream":true,"stream_options":null,"n":1.50,"big":12345678901234567890123,"s":"a\"b\u0001"}"#
        let prepared = try RequestAdapter.prepare(GatewayRequest(endpoint: .chatCompletions, json: body), for: openAI, streaming: true)
        let sent = String(decoding: prepared.transportRequest.body ?? [], as: UTF8.self)
        #expect(sent == #"{"model":"m","stream":true,"stream_options":{"include_usage":true},"n":1.50,"big":12345678901234567890123,"s":"a\"b\u0001"}"#)
    }

    @Test func theUpstreamsKeyReplacesTheCallersAndOtherHeadersPassThrough() throws {
        let request = GatewayRequest(
            endpoint: .chatCompletions, json: #"{"model":"m"}"#,
            headers: .named(["Authorization": "Bearer caller", "OpenAI-Organization": "org-2", "Content-Length": "99", "X-Trace": "t"]))
        let prepared = try RequestAdapter.prepare(request, for: openAI, streaming: false)
        let headers = prepared.transportRequest.headers
        #expect(prepared.url == "https://api.example/v1/chat/completions")
        #expect(headers[values: .authorization] == ["Bearer sk-up"])
        #expect(headers[values: HTTPField.Name("openai-organization")!] == ["org-2"])
        #expect(headers[.contentLength] == nil)
        #expect(headers[HTTPField.Name("x-trace")!] == "t")
        #expect(headers[.contentType] == "application/json")

        let passed = try RequestAdapter.prepare(request, for: keyless, streaming: false)
        #expect(passed.transportRequest.headers[.authorization] == "Bearer caller")
    }

    @Test func anAnthropicVersionTheCallerSentIsKept() throws {
        let anthropic = Upstream(provider: "anthropic", baseURL: "https://api.anthropic.example/v1", dialect: .anthropic, apiKey: "k")
        let own = try RequestAdapter.prepare(
            GatewayRequest(endpoint: .messages, json: #"{"model":"c"}"#, headers: .named(["anthropic-version": "2024-01-01"])), for: anthropic, streaming: false)
        #expect(own.transportRequest.headers[values: .anthropicVersion] == ["2024-01-01"])
        #expect(own.transportRequest.headers[.xAPIKey] == "k")
        let plain = try RequestAdapter.prepare(GatewayRequest(endpoint: .messages, json: #"{"model":"c"}"#), for: anthropic, streaming: false)
        #expect(plain.transportRequest.headers[.anthropicVersion] == "2023-06-01")
    }

    @Test(arguments: [
        (#"[1,2]"#, "not a JSON object"),
        (#"{"model":""}"#, "no \"model\""),
        (#"{"model":"m","stream":"yes"}"#, "not a boolean"),
        (#"{"model":"m",}"#, "not valid JSON"),
        ("", "not valid JSON"),
    ])
    func badBodiesAreRefusedWithTheReason(body: String, reason: String) {
        #expect {
            try RequestAdapter.prepare(GatewayRequest(endpoint: .chatCompletions, json: body, id: "r1"), for: openAI, streaming: false)
        } throws: { error in
            guard let error = error as? GatewayError else { return false }
            return error.code == .invalidRequest && error.message.contains(reason) && error.message.contains("r1")
                && error.message.contains("https://api.example/v1/chat/completions")
        }
    }

    @Test func embeddingsCannotBeStreamed() {
        #expect(throws: GatewayError.self) {
            try RequestAdapter.prepare(GatewayRequest(endpoint: .embeddings, json: #"{"model":"e","stream":true}"#), for: openAI, streaming: true)
        }
    }

    @Test func aBodyParsedByTheCallerIsUsedUntilTheBodyIsReplaced() throws {
        let upstream = Upstream(provider: "openai", baseURL: "https://api.example/v1", dialect: .openAI, apiKey: nil)
        let body = Array(#"{"model":"gpt-4.1","messages":[]}"#.utf8)
        var request = GatewayRequest(endpoint: .chatCompletions, body: body, parsedBody: try JSONReader.parse(body), id: nil, headers: [:])
        #expect(request.parsedBody != nil)
        #expect(try RequestAdapter.prepare(request, for: upstream, streaming: false).model == "gpt-4.1")

        request.body = Array(#"{"model":"gpt-4.1-mini","messages":[]}"#.utf8)
        #expect(request.parsedBody == nil, "a replaced body is parsed again")
        #expect(try RequestAdapter.prepare(request, for: upstream, streaming: false).model == "gpt-4.1-mini")
    }

}
