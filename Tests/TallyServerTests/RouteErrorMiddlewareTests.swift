import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
import Hummingbird
import TallyGateway
import TallyTestSupport
import TallyLedger
import TallyServer

/// The JSON object of an error body, or nil when the body is not one.
func errorObject(_ body: ByteBuffer) -> [String: Any]? {
    try? JSONSerialization.jsonObject(with: Data(String(buffer: body).utf8)) as? [String: Any]
}

/// Whether `body` is an OpenAI-style error: `{"error":{"message","type","code"}}` with a message.
func isOpenAIError(_ body: ByteBuffer) -> Bool {
    guard let error = errorObject(body)?["error"] as? [String: Any] else { return false }
    return (error["message"] as? String)?.isEmpty == false && error["type"] is String && error.keys.contains("code")
}

/// Whether `body` is an Anthropic-style error: `{"type":"error","error":{"type","message"}}`.
func isAnthropicError(_ body: ByteBuffer) -> Bool {
    guard let object = errorObject(body), object["type"] as? String == "error",
          let error = object["error"] as? [String: Any] else { return false }
    return (error["message"] as? String)?.isEmpty == false && error["type"] is String
}

struct RouteErrorMiddlewareTests {
    @Test func unknownRoutesAnswer404InTheWireFormatOfTheirPath() async throws {
        let fixture = try ProxyFixture()
        defer { fixture.finish() }
        try await fixture.run { client in
            let openAI = try await client.execute(uri: "/v1/nothing", method: .get)
            #expect(openAI.status == .notFound)
            #expect(openAI.headers[.contentType] == "application/json")
            #expect(isOpenAIError(openAI.body))
            let root = try await client.execute(uri: "/", method: .post, body: ByteBuffer(string: chatBody))
            #expect(root.status == .notFound)
            #expect(isOpenAIError(root.body))
            let anthropic = try await client.execute(uri: "/v1/messages/batches", method: .post, body: ByteBuffer(string: "{}"))
            #expect(anthropic.status == .notFound)
            #expect(isAnthropicError(anthropic.body))
        }
        #expect(fixture.upstream.requests.isEmpty)
    }

    @Test func aRoutedPathAskedWithAnotherMethodAnswers405WithAllow() async throws {
        let fixture = try ProxyFixture()
        defer { fixture.finish() }
        try await fixture.run { client in
            let chat = try await client.execute(uri: "/v1/chat/completions", method: .get)
            #expect(chat.status == .methodNotAllowed)
            #expect(chat.headers[.allow] == "POST")
            #expect(isOpenAIError(chat.body))
            let messages = try await client.execute(uri: "/v1/messages", method: .get)
            #expect(messages.status == .methodNotAllowed)
            #expect(isAnthropicError(messages.body))
            let health = try await client.execute(uri: "/healthz", method: .post)
            #expect(health.status == .methodNotAllowed)
            #expect(health.headers[.allow] == "GET")
            #expect(isOpenAIError(health.body))
        }
        #expect(fixture.upstream.requests.isEmpty)
    }
}
