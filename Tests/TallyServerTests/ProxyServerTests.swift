import Foundation
import Hummingbird
import HTTPTypes
import NIOCore
import HummingbirdTesting
import Logging
import Testing
import TallyGateway
import TallyLedger
import TallyPricing
import TallyServer
import TallyTestSupport
import TallyUsage

/// A proxy in front of a fake upstream, with a fresh ledger in a temporary folder.
struct ProxyFixture {
    let upstream: FakeUpstream
    let folder: URL
    let ledger: Ledger
    let server: ProxyServer
    let transport: Transport

    init(transport configuration: Transport.Configuration = .init(), configure: (inout ServerConfiguration, FakeUpstream) -> Void = { _, _ in }) throws {
        upstream = try FakeUpstream()
        folder = FileManager.default.temporaryDirectory.appending(path: "tally-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let book = try PriceBook()
        ledger = try Ledger(path: folder.appending(path: "ledger.sqlite").path, prices: book)
        let transportConfiguration = configuration
        var configuration = ServerConfiguration()
        configuration.upstreams = [
            .init(name: "relay", upstream: Upstream(provider: "holysheep", baseURL: upstream.baseURL + "/v1", dialect: .openAI, apiKey: "sk-upstream-secret-1"),
                  apiKeyEnvironment: nil, models: ["gpt-*"], isDefault: true),
            .init(name: "anthropic", upstream: Upstream(provider: "anthropic", baseURL: upstream.baseURL + "/v1", dialect: .anthropic, apiKey: "sk-ant-upstream-secret-2"),
                  apiKeyEnvironment: nil, models: [], isDefault: true),
        ]
        configure(&configuration, upstream)
        transport = try Transport(configuration: transportConfiguration)
        server = try ProxyServer(configuration: configuration, ledger: ledger, prices: book, transport: transport, logger: Logger(label: "test"))
    }

    func rows() async throws -> [LedgerEntry] {
        var rows: [LedgerEntry] = []
        rows = try await ledger.reader.entries().map(\.entry)
        return rows
    }

    func finish() {
        upstream.stop()
        try? FileManager.default.removeItem(at: folder)
    }

    /// Runs `body` against the server as `tally serve` runs it (its router and its HTTP server).
    func run(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = server.application(host: "127.0.0.1", port: 0)
        try await app.test(.live, body)
    }

    /// Waits up to `limit` for the ledger to hold `count` rows; returns them.
    func rows(count: Int, within limit: Duration) async throws -> [LedgerEntry] {
        let deadline = ContinuousClock.now + limit
        while true {
            let rows = try await rows()
            if rows.count >= count || ContinuousClock.now > deadline { return rows }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

let chatBody = #"{"model":"gpt-4.1","messages":[{"role":"user","content":"Hello"}]}"#
let streamBody = #"{"model":"gpt-4.1","stream":true,"messages":[{"role":"user","content":"Hello"}]}"#

struct ProxyServerTests {
    @Test func relaysAChatCompletionAndLedgersItsUsage() async throws {
        let fixture = try ProxyFixture()
        defer { fixture.finish() }
        fixture.upstream.respond(to: "/v1/chat/completions", with: .openAIChatCompletion(model: "gpt-4.1", promptTokens: 1_000_000, completionTokens: 100_000))
        try await fixture.run { client in
            let response = try await client.execute(
                uri: "/v1/chat/completions", method: .post,
                headers: [.contentType: "application/json", HTTPField.Name("x-request-id")!: "req-123", HTTPField.Name("x-tally-project")!: "alpha"],
                body: ByteBuffer(string: chatBody))
            #expect(response.status == .ok)
            #expect(response.headers[HTTPField.Name("x-request-id")!] == "req-123")
            #expect(String(buffer: response.body).contains("\"chat.completion\""))
        }
        let rows = try await fixture.rows()
        #expect(rows.count == 1)
        let row = try #require(rows.first)
        #expect(row.id == "req-123")
        #expect(row.outcome == .ok)
        #expect(row.usage.input == 1_000_000)
        #expect(row.attribution.project == "alpha")
        // 1M in × $2 + 100k out × $8, in holysheep credits at $0.1406.
        #expect(row.cost == Money(decimalUSD: "0.39368"))
        #expect(row.listCost == Money(decimalUSD: "2.80"))
        // The upstream got the server's key, not a client's.
        #expect(fixture.upstream.requests.first?.header("authorization") == "Bearer sk-upstream-secret-1")
    }

    @Test func streamsEventByEventAndHidesTheInjectedUsageChunk() async throws {
        let fixture = try ProxyFixture()
        defer { fixture.finish() }
        fixture.upstream.respond(to: "/v1/chat/completions", with: .openAIChatStream(model: "gpt-4.1", pieces: ["Hel", "lo"], promptTokens: 20, completionTokens: 2))
        try await fixture.run { client in
            let response = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: streamBody))
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/event-stream") == true)
            let text = String(buffer: response.body)
            #expect(text.contains("\"Hel\""))
            #expect(text.contains("data: [DONE]"))
            #expect(!text.contains("\"usage\""))
        }
        #expect(fixture.upstream.requests.first?.bodyText.contains("\"include_usage\":true") == true)
        let row = try #require(try await fixture.rows().first)
        #expect(row.streamed)
        #expect(row.usage.input == 20)
        #expect(row.usageSource == .reported)
    }

    @Test func aStreamedResponseEndsOnlyOnceItsRowIsWritten() async throws {
        // A client that saw its response end has its row, even if the proxy dies the next moment.
        let fixture = try ProxyFixture()
        defer { fixture.finish() }
        fixture.upstream.respond(to: "/v1/chat/completions", with: .openAIChatStream(model: "gpt-4.1", pieces: ["Hel", "lo"], promptTokens: 20, completionTokens: 2))
        try await fixture.run { client in
            for round in 1...20 {
                let response = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: streamBody))
                #expect(String(buffer: response.body).hasSuffix("data: [DONE]\n\n"))
                let rows = try await fixture.rows()
                #expect(rows.count == round)
                #expect(rows.last?.outcome == .ok)
            }
        }
    }

    @Test func relaysAnthropicMessages() async throws {
        let fixture = try ProxyFixture()
        defer { fixture.finish() }
        fixture.upstream.respond(to: "/v1/messages", with: .anthropicStream(model: "claude-sonnet-4-5", inputTokens: 100, outputTokens: 7))
        try await fixture.run { client in
            let response = try await client.execute(
                uri: "/v1/messages", method: .post, headers: [.contentType: "application/json", HTTPField.Name("x-api-key")!: "client-key-ignored"],
                body: ByteBuffer(string: #"{"model":"claude-sonnet-4-5","max_tokens":64,"stream":true,"metadata":{"user_id":"u-7"},"messages":[{"role":"user","content":"Hi"}]}"#))
            #expect(response.status == .ok)
            #expect(String(buffer: response.body).contains("message_stop"))
        }
        let row = try #require(try await fixture.rows().first)
        #expect(row.provider == "anthropic")
        #expect(row.usage.output == 7)
        #expect(row.attribution.user == "u-7")
        #expect(fixture.upstream.requests.first?.header("x-api-key") == "sk-ant-upstream-secret-2")
    }

    @Test func refusesBadRequestsInTheRoutesWireFormat() async throws {
        let fixture = try ProxyFixture { configuration, _ in configuration.maximumBodyBytes = 1024 }
        defer { fixture.finish() }
        try await fixture.run { client in
            let invalid = try await client.execute(uri: "/v1/chat/completions", method: .post, body: ByteBuffer(string: "{not json"))
            #expect(invalid.status == .badRequest)
            #expect(String(buffer: invalid.body).hasPrefix("{\"error\":{\"message\":"))
            let anthropic = try await client.execute(uri: "/v1/messages", method: .post, body: ByteBuffer(string: "[]"))
            #expect(anthropic.status == .badRequest)
            #expect(String(buffer: anthropic.body).hasPrefix("{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\""))
            let large = try await client.execute(uri: "/v1/chat/completions", method: .post, body: ByteBuffer(string: String(repeating: "x", count: 4096)))
            #expect(large.status == .contentTooLarge)
            let unknown = try await client.execute(uri: "/v1/nothing", method: .get)
            #expect(unknown.status == .notFound)
        }
        #expect(fixture.upstream.requests.isEmpty)
        #expect(try await fixture.rows().isEmpty)
    }

    @Test func requiresAGatewayKeyWhenKeysAreConfigured() async throws {
        let fixture = try ProxyFixture { configuration, _ in
            configuration.gatewayKeys = [.init(key: "tk-team-alpha-0123456789", project: "team-alpha")]
        }
        defer { fixture.finish() }
        fixture.upstream.respond(to: "/v1/chat/completions", with: .openAIChatCompletion(model: "gpt-4.1"))
        try await fixture.run { client in
            let missing = try await client.execute(uri: "/v1/chat/completions", method: .post, body: ByteBuffer(string: chatBody))
            #expect(missing.status == .unauthorized)
            let wrong = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: [.authorization: "Bearer tk-team-alpha-0123456788"], body: ByteBuffer(string: chatBody))
            #expect(wrong.status == .unauthorized)
            #expect(String(buffer: wrong.body).contains("invalid gateway key"))
            let right = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: [.authorization: "Bearer tk-team-alpha-0123456789"], body: ByteBuffer(string: chatBody))
            #expect(right.status == .ok)
        }
        let rows = try await fixture.rows()
        #expect(rows.count == 1)
        #expect(rows.first?.attribution.project == "team-alpha")
    }

    @Test func refusesAProjectOverItsBudgetWith429() async throws {
        let fixture = try ProxyFixture { configuration, _ in
            configuration.budgets = [Budget(name: "alpha", limit: Money(decimalUSD: "0.10") ?? .zero, period: BudgetPeriod(.month), project: "alpha")]
        }
        defer { fixture.finish() }
        fixture.upstream.respond(to: "/v1/chat/completions", with: .openAIChatCompletion(model: "gpt-4.1", promptTokens: 1_000_000, completionTokens: 0))
        try await fixture.run { client in
            let headers: HTTPFields = [HTTPField.Name("x-tally-project")!: "alpha"]
            let first = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: headers, body: ByteBuffer(string: chatBody))
            #expect(first.status == .ok)  // spends $0.2812 of $0.10
            try await Task.sleep(for: .milliseconds(1100))  // past the spend cache
            let second = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: headers, body: ByteBuffer(string: chatBody))
            #expect(second.status == .tooManyRequests)
            #expect(String(buffer: second.body).contains("project alpha is over its month budget"))
            let other = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: [HTTPField.Name("x-tally-project")!: "beta"], body: ByteBuffer(string: chatBody))
            #expect(other.status == .ok)
        }
    }

    @Test func aClientsOwnKeyGoesUpstreamWithItsRequestWhenAllowed() async throws {
        let fixture = try ProxyFixture { configuration, _ in
            configuration.gatewayKeys = [.init(key: "tk-team-alpha-0123456789", project: "team-alpha")]
            configuration.allowClientKeys = true
        }
        defer { fixture.finish() }
        fixture.upstream.respond(to: "/v1/chat/completions", with: .openAIChatCompletion(model: "gpt-4.1"))
        try await fixture.run { client in
            let own = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: [.authorization: "Bearer sk-client-own-key"], body: ByteBuffer(string: chatBody))
            #expect(own.status == .ok)
            let team = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: [.authorization: "Bearer tk-team-alpha-0123456789"], body: ByteBuffer(string: chatBody))
            #expect(team.status == .ok)
        }
        // The client's key went with its own request only; the gateway key's request used the server's.
        let keys = fixture.upstream.requests.map { $0.header("authorization") }
        #expect(keys == ["Bearer sk-client-own-key", "Bearer sk-upstream-secret-1"])
        let projects = try await fixture.rows().map(\.attribution.project)
        #expect(projects == [nil, "team-alpha"])
    }

    @Test func refusesARequestWhileAUserBudgetCoveringItIsSpent() async throws {
        let fixture = try ProxyFixture { configuration, _ in
            // A limit of one nano-USD: the first priced request spends it.
            configuration.budgets = [Budget(name: "ann", limit: Money(nanoUSD: 1), user: "ann")]
        }
        defer { fixture.finish() }
        fixture.upstream.respond(to: "/v1/chat/completions", with: .openAIChatCompletion(model: "gpt-4.1"))
        try await fixture.run { client in
            let ann: HTTPFields = [HTTPField.Name("x-tally-user")!: "ann", HTTPField.Name("x-request-id")!: "req-ann"]
            let first = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: ann, body: ByteBuffer(string: chatBody))
            #expect(first.status == .ok)
            try await Task.sleep(for: .milliseconds(1100))  // past the spend cache
            let refused = try await client.execute(uri: "/v1/messages", method: .post, headers: ann,
                                                   body: ByteBuffer(string: #"{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[]}"#))
            #expect(refused.status == .tooManyRequests)
            #expect(isAnthropicError(refused.body))
            #expect(refused.headers[HTTPField.Name("x-request-id")!] == "req-ann")
            let message = String(buffer: refused.body)
            #expect(message.contains(#"user ann is over its month budget \"ann\""#), "\(message)")
            let bob = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: [HTTPField.Name("x-tally-user")!: "bob"], body: ByteBuffer(string: chatBody))
            #expect(bob.status == .ok)
        }
    }

    @Test func passesUpstreamErrorsThrough() async throws {
        let fixture = try ProxyFixture()
        defer { fixture.finish() }
        fixture.upstream.respond(to: "/v1/chat/completions", with: .error(status: 401, message: "Incorrect API key provided", type: "invalid_request_error"))
        try await fixture.run { client in
            let response = try await client.execute(uri: "/v1/chat/completions", method: .post, body: ByteBuffer(string: chatBody))
            #expect(response.status == .unauthorized)
            #expect(String(buffer: response.body).contains("Incorrect API key provided"))
        }
        #expect(try await fixture.rows().first?.outcome == .error)
    }

    @Test func answersCORSForListedOriginsOnly() async throws {
        let fixture = try ProxyFixture { configuration, _ in configuration.corsOrigins = ["https://app.example.com"] }
        defer { fixture.finish() }
        fixture.upstream.respond(to: "/v1/chat/completions", with: .openAIChatCompletion(model: "gpt-4.1"))
        try await fixture.run { client in
            let preflight = try await client.execute(
                uri: "/v1/chat/completions", method: .options,
                headers: [.origin: "https://app.example.com", .accessControlRequestMethod: "POST", .accessControlRequestHeaders: "authorization, content-type"])
            #expect(preflight.status == .noContent)
            #expect(preflight.headers[.accessControlAllowOrigin] == "https://app.example.com")
            #expect(preflight.headers[.accessControlAllowHeaders] == "authorization, content-type")
            let stranger = try await client.execute(
                uri: "/v1/chat/completions", method: .options, headers: [.origin: "https://evil.example", .accessControlRequestMethod: "POST"])
            #expect(stranger.status == .forbidden)
            #expect(stranger.headers[.accessControlAllowOrigin] == nil)
            let request = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: [.origin: "https://app.example.com"], body: ByteBuffer(string: chatBody))
            #expect(request.status == .ok)
            #expect(request.headers[.accessControlAllowOrigin] == "https://app.example.com")
        }
    }

    @Test func aBrowserCanReadTheProxysRefusals() async throws {
        let fixture = try ProxyFixture { configuration, _ in
            configuration.corsOrigins = ["https://app.example.com"]
            configuration.gatewayKeys = [.init(key: "tk-team-alpha-0123456789", project: "team-alpha")]
        }
        defer { fixture.finish() }
        try await fixture.run { client in
            let refused = try await client.execute(uri: "/v1/chat/completions", method: .post, headers: [.origin: "https://app.example.com"], body: ByteBuffer(string: chatBody))
            #expect(refused.status == .unauthorized)
            #expect(isOpenAIError(refused.body))
            #expect(refused.headers[.accessControlAllowOrigin] == "https://app.example.com")
        }
    }

    @Test func answers502WhenA200BodyIsNotJSON() async throws {
        let fixture = try ProxyFixture()
        defer { fixture.finish() }
        let page = FakeUpstream.Reply(status: 200, headers: [("Content-Type", "text/html")], parts: [Array("<html>maintenance</html>".utf8)], chunked: false)
        fixture.upstream.respond(to: "/v1/chat/completions", with: page)
        fixture.upstream.respond(to: "/v1/messages", with: .json("[1, 2, 3]"))
        try await fixture.run { client in
            let openAI = try await client.execute(uri: "/v1/chat/completions", method: .post, body: ByteBuffer(string: chatBody))
            #expect(openAI.status == .badGateway)
            #expect(isOpenAIError(openAI.body))
            #expect(String(buffer: openAI.body).contains("not a JSON response"))
            let anthropic = try await client.execute(
                uri: "/v1/messages", method: .post, body: ByteBuffer(string: #"{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[]}"#))
            #expect(anthropic.status == .badGateway)
            #expect(isAnthropicError(anthropic.body))
        }
        let rows = try await fixture.rows()
        #expect(rows.map(\.outcome) == [.error, .error])
        #expect(rows.map(\.httpStatus) == [200, 200])
    }

    @Test(arguments: [
        FakeUpstream.Reply.openAIChatCompletion(model: "gpt-4.1"),  // an upstream that ignored "stream": true
        FakeUpstream.Reply(status: 200, headers: [("Content-Type", "text/event-stream")], parts: [Array("hello\nworld\n\n".utf8)], chunked: true),
        FakeUpstream.Reply.sse(["data: not json\n\n", "data: {\"nothing\":1}\n\n"]),
    ])
    func answers502WhenA200StreamHoldsNoEvent(_ reply: FakeUpstream.Reply) async throws {
        let fixture = try ProxyFixture()
        defer { fixture.finish() }
        fixture.upstream.respond(to: "/v1/chat/completions", with: reply)
        try await fixture.run { client in
            let response = try await client.execute(uri: "/v1/chat/completions", method: .post, body: ByteBuffer(string: streamBody))
            #expect(response.status == .badGateway)
            #expect(response.headers[.contentType] == "application/json")
            #expect(isOpenAIError(response.body))
            #expect(String(buffer: response.body).contains("not an event stream"))
        }
        let row = try #require(try await fixture.rows().first)
        #expect(row.outcome == .error)
        #expect(row.streamed)
    }

    @Test func aStreamThatOpensWithCommentsStillStreams() async throws {
        let fixture = try ProxyFixture()
        defer { fixture.finish() }
        var reply = FakeUpstream.Reply.openAIChatStream(model: "gpt-4.1", pieces: ["Hi"], promptTokens: 3, completionTokens: 1)
        reply.parts.insert(Array(": OPENROUTER PROCESSING\n\n".utf8), at: 0)
        fixture.upstream.respond(to: "/v1/chat/completions", with: reply)
        try await fixture.run { client in
            let response = try await client.execute(uri: "/v1/chat/completions", method: .post, body: ByteBuffer(string: streamBody))
            #expect(response.status == .ok)
            let text = String(buffer: response.body)
            #expect(text.hasPrefix(": OPENROUTER PROCESSING"))
            #expect(text.hasSuffix("data: [DONE]\n\n"))
        }
        #expect(try await fixture.rows().first?.outcome == .ok)
    }

    @Test func errorBodiesNeverNameTheUpstreamsURL() async throws {
        let closed = try ClosedPort()
        let fixture = try ProxyFixture(transport: .init(connectTimeout: .seconds(2), idleTimeout: .seconds(1))) { configuration, _ in
            configuration.upstreams.append(.init(
                name: "gone", upstream: Upstream(provider: "openai", baseURL: closed.baseURL + "/v1", dialect: .openAI, apiKey: "sk-x"),
                apiKeyEnvironment: nil, models: ["gone-*"], isDefault: false))
            configuration.upstreams[0].models = ["gpt-*"]
        }
        defer { fixture.finish() }
        fixture.upstream.respond(to: "/v1/chat/completions", with: .silent)
        fixture.upstream.respond(to: "/v1/responses", with: .json("<not json>"))
        let cases: [(body: String, uri: String, status: HTTPResponse.Status)] = [
            (#"{"model":"gpt-4.1","stream":"yes","messages":[]}"#, "/v1/chat/completions", .badRequest),
            (chatBody, "/v1/chat/completions", .gatewayTimeout),
            (streamBody, "/v1/chat/completions", .gatewayTimeout),
            (#"{"model":"gone-1","messages":[]}"#, "/v1/chat/completions", .badGateway),
            (#"{"model":"gpt-4.1","input":"hi"}"#, "/v1/responses", .badGateway),
        ]
        try await fixture.run { client in
            for (index, item) in cases.enumerated() {
                let id = "req-url-\(index)"
                let response = try await client.execute(
                    uri: item.uri, method: .post, headers: [HTTPField.Name("x-request-id")!: id], body: ByteBuffer(string: item.body))
                let text = String(buffer: response.body)
                #expect(response.status == item.status, "\(item.body): \(text)")
                #expect(isOpenAIError(response.body), "\(text)")
                #expect(text.contains(id), "\(text)")
                #expect(!text.contains("127.0.0.1") && !text.contains("http://"), "\(text)")
                #expect(!text.contains(fixture.folder.path), "\(text)")
            }
        }
    }

    @Test func servesHealthAndMetricsWithoutKeys() async throws {
        let folder: URL
        do {
            let fixture = try ProxyFixture()
            folder = fixture.folder
            defer { fixture.upstream.stop() }
            fixture.upstream.respond(to: "/v1/chat/completions", with: .openAIChatCompletion(model: "gpt-4.1"))
            try await fixture.run { client in
                let health = try await client.execute(uri: "/healthz", method: .get)
                #expect(health.status == .ok)
                _ = try await client.execute(
                    uri: "/v1/chat/completions", method: .post,
                    headers: [.authorization: "Bearer sk-client-planted-key-999", HTTPField.Name("x-request-id")!: "req-row-marker-42"],
                    body: ByteBuffer(string: chatBody))
                let metrics = try await client.execute(uri: "/metrics", method: .get)
                let text = String(buffer: metrics.body)
                #expect(text.contains(#"tally_requests_total{provider="holysheep",model="gpt-4.1",outcome="ok"} 1"#))
                #expect(text.contains("tally_cost_nano_usd_total"))
                #expect(!text.contains("sk-"))
            }
            #expect(try await fixture.rows().count == 1)
        }
        defer { try? FileManager.default.removeItem(at: folder) }
        // The fixture is gone, so the ledger is closed: search every file it left (the main file
        // and any -wal or -shm), and check the search sees the row at all.
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("ledger.sqlite") }
        var everything = Data()
        for file in files { everything.append(try Data(contentsOf: folder.appending(path: file))) }
        #expect(everything.range(of: Data("req-row-marker-42".utf8)) != nil)
        #expect(everything.range(of: Data("sk-client-planted-key-999".utf8)) == nil)
        #expect(everything.range(of: Data("sk-upstream-secret-1".utf8)) == nil)
    }
}
