import Foundation
import Glibc
import HummingbirdTesting
import NIOCore
import Testing
import Hummingbird
import HTTPTypes
import TallyGateway
import TallyLedger
import TallyServer
import TallyTestSupport

/// A raw client connection, so a test can send a request and leave without reading the answer.
struct RawClient {
    let socket: Int32

    init(port: Int) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(socket)
            throw CocoaError(.fileReadUnknown)
        }
    }

    func send(post path: String, body: String) {
        let text = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let written = bytes[sent...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { return }
            sent += written
        }
    }

    func leave() { close(socket) }
}

struct ClientDisconnectHandlerTests {
    @Test(arguments: [chatBody, streamBody])
    func aClientThatLeavesBeforeTheUpstreamAnswersIsRecordedCancelledWhenItLeaves(_ body: String) async throws {
        // The upstream never answers, and the idle timeout is the default 300 s: only noticing
        // the client leave can end the request within the bound.
        let fixture = try ProxyFixture()
        defer { fixture.finish() }
        fixture.upstream.respond(to: "/v1/chat/completions", with: .silent)
        try await fixture.run { client in
            let raw = try RawClient(port: try #require(client.port))
            raw.send(post: "/v1/chat/completions", body: body)
            let deadline = ContinuousClock.now + .seconds(10)
            while fixture.upstream.requests.isEmpty, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            #expect(fixture.upstream.requests.count == 1)
            let left = ContinuousClock.now
            raw.leave()
            let rows = try await fixture.rows(count: 1, within: .seconds(5))
            #expect(ContinuousClock.now - left < .seconds(5))
            #expect(rows.count == 1)
            #expect(rows.first?.outcome == .cancelled)
        }
    }

    @Test func aClientThatStaysStillGetsItsAnswerOnAKeptAliveConnection() async throws {
        let fixture = try ProxyFixture()
        defer { fixture.finish() }
        fixture.upstream.respond(to: "/v1/chat/completions", with: .openAIChatCompletion(model: "gpt-4.1"))
        try await fixture.run { client in
            for _ in 1...3 {
                let response = try await client.execute(uri: "/v1/chat/completions", method: .post, body: ByteBuffer(string: chatBody))
                #expect(response.status == .ok)
            }
        }
        #expect(try await fixture.rows().map(\.outcome) == [.ok, .ok, .ok])
    }
}
