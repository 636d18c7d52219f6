import Testing
import TallyJSON
@testable import TallyGateway

/// The gateway hands the estimator the request's one parse; the count must be the one the bytes
/// alone give, for every endpoint and for bodies no rule reads.
struct UsageEstimatorTests {
    static let bodies: [(Endpoint, String)] = [
        (.chatCompletions, #"{"model":"gpt-4.1","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Hi \u00e9"},{"type":"image_url","image_url":{"url":"x"}}]},{"role":"assistant","content":null,"tool_calls":[{"id":"1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]}],"tools":[{"type":"function","function":{"name":"f","description":"d","parameters":{"type":"object","properties":{"b":{"type":"string","enum":["x","y"]},"a":{"type":"integer"}},"required":["a"]}}}]}"#),
        (.responses, #"{"model":"gpt-4.1","instructions":"Answer.","input":[{"role":"user","content":"What?"},{"type":"function_call","name":"f","arguments":"{}"},{"type":"function_call_output","output":"42"}]}"#),
        (.messages, #"{"model":"claude-sonnet-4-5","system":[{"type":"text","text":"S"}],"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"g","input":{"z":1,"a":[true,null]}}]}],"tools":[{"name":"g","input_schema":{"type":"object"}}]}"#),
        (.completions, #"{"model":"gpt-3.5-turbo-instruct","prompt":["one two",[1,2,3]]}"#),
        (.embeddings, #"{"model":"text-embedding-3-small","input":"some text"}"#),
        (.embeddings, #"{"model":"text-embedding-3-small"}"#),
        (.chatCompletions, #"{"model":"gpt-4.1","messages":"not an array"}"#),
        (.chatCompletions, #"[1,2]"#),
    ]

    @Test(arguments: 0..<bodies.count)
    func aParsedBodyCountsAsItsBytesDo(index: Int) throws {
        let (endpoint, text) = Self.bodies[index]
        let bytes = Array(text.utf8)
        let estimator = TokenizerEstimator()
        let model = (try? JSONReader.parse(bytes))?["model"]?.stringValue ?? "gpt-4.1"
        let fromBytes = estimator.inputTokens(ofRequest: bytes, endpoint: endpoint, model: model)
        let fromParse = estimator.inputTokens(ofRequest: try JSONReader.parse(bytes), bytes: bytes, endpoint: endpoint, model: model)
        #expect(fromBytes > 0)
        #expect(fromParse == fromBytes)
    }

    @Test func aBodyThatIsNotJSONIsCountedAsText() {
        let bytes = Array("plain words, not JSON".utf8)
        #expect(TokenizerEstimator().inputTokens(ofRequest: bytes, endpoint: .chatCompletions, model: "gpt-4.1") == 5)
    }
}
