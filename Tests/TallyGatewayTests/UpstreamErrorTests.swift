import HTTPTypes
import Testing
@testable import TallyGateway

struct UpstreamErrorTests {
    func error(_ body: String, status: Int = 400) -> UpstreamError {
        UpstreamError(status: status, url: "https://api.example/v1/x", headers: [:], body: Array(body.utf8), retryAfter: nil)
    }

    @Test func theMessageIsTheUpstreamsOwnInTheOpenAIShape() {
        let e = error(#"{"error":{"message":"Incorrect API key provided: sk-te****","type":"invalid_request_error","code":"invalid_api_key"}}"#, status: 401)
        #expect(e.message == "Incorrect API key provided: sk-te****")
        #expect(e.type == "invalid_request_error")
        #expect(e.description == "https://api.example/v1/x answered 401: Incorrect API key provided: sk-te****")
    }

    @Test func theMessageIsTheUpstreamsOwnInTheAnthropicShape() {
        let e = error(#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#, status: 401)
        #expect(e.message == "invalid x-api-key")
        #expect(e.type == "authentication_error")
    }

    @Test func relayShapesAndPlainTextBodiesStillGiveAMessage() {
        #expect(error(#"{"error":"quota exhausted"}"#).message == "quota exhausted")
        #expect(error(#"{"message":"model not found","code":"404"}"#).message == "model not found")
        #expect(error(#"{"detail":"Not authenticated"}"#).message == "Not authenticated")
        #expect(error("  <html>Bad Gateway</html>\n", status: 502).message == "<html>Bad Gateway</html>")
        #expect(error("", status: 503).message == "HTTP 503 with an empty body")
    }
}
