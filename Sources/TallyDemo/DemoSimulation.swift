import Foundation
package import TallyGateway
package import TallyLedger
package import TallyPricing
import TallyStream

/// The traffic of `tally demo`: a ``SimulatedProvider`` on loopback and metering gateways to it,
/// one per route, sending the same requests and faults on every run into a fresh ledger.
package struct DemoSimulation: Sendable {
    /// What was sent, and how it ended, as the callers saw it.
    package struct Outcome: Sendable {
        /// The simulated provider's base URL.
        package var simulatedAt = ""
        package var sent = 0
        package var streamed = 0
        package var failures: [String] = []
    }

    /// One simulated upstream: a path on the fake server, the dialect, the price table, the model.
    struct Route: Sendable {
        var name: String
        var provider: String
        var dialect: Upstream.Dialect
        var model: String
        var returnedModel: String
    }

    static let routes = [
        Route(name: "holysheep-gpt", provider: "holysheep", dialect: .openAI, model: "gpt-4.1", returnedModel: "gpt-4.1-2025-04-14"),
        Route(name: "holysheep-claude", provider: "holysheep", dialect: .anthropic, model: "claude-sonnet-4.5", returnedModel: "claude-sonnet-4-5-20250929"),
        Route(name: "holysheep-deepseek", provider: "holysheep", dialect: .openAI, model: "deepseek-v3.2", returnedModel: "deepseek-v3.2"),
        Route(name: "openai", provider: "openai", dialect: .openAI, model: "gpt-4.1-mini", returnedModel: "gpt-4.1-mini-2025-04-14"),
    ]
    /// Which route each successful request takes, in turn.
    static let rotation = [0, 1, 0, 2, 1, 3, 0, 1, 2]
    static let projects = ["search", "support", "research"]
    static let users = ["ana", "bo", "chen", "dmitri"]
    static let answer = ["The ", "ledger ", "balances ", "to ", "the ", "nano-dollar."]

    let provider = SimulatedProvider()
    let transport: Transport
    /// The ledger the demo writes.
    package let ledger: Ledger
    let prices: PriceBook

    /// Opens (creating) the ledger at `ledgerPath`, priced with `prices`.
    package init(ledgerPath: String, prices: PriceBook) throws {
        transport = try Transport()
        ledger = try Ledger(path: ledgerPath, prices: prices)
        self.prices = prices
    }

    private func gateway(_ route: Route, at baseURL: String, path: String? = nil) throws -> Gateway {
        try Gateway(
            upstream: Upstream(
                provider: route.provider, baseURL: "\(baseURL)/\(path ?? route.name)/v1", dialect: route.dialect,
                apiKey: "sk-simulated"),
            ledger: ledger, prices: prices, transport: transport,
            retry: RetryPolicy(maximumAttempts: 3, initialBackoff: .milliseconds(5), maximumBackoff: .milliseconds(20)))
    }

    /// Starts the simulated provider, sends `requests` requests one after another and then the
    /// faults, and returns what happened.
    package func run(requests: Int) async throws -> Outcome {
        try await provider.serving { baseURL in try await run(requests: requests, at: baseURL) }
    }

    private func run(requests: Int, at baseURL: String) async throws -> Outcome {
        var generator = DemoRandom(seed: 2026)
        var plan: [(route: Int, streamed: Bool, attribution: Attribution)] = []
        var replies = Array(repeating: [CannedReply](), count: Self.routes.count)
        for index in 0..<requests {
            let routeIndex = Self.rotation[index % Self.rotation.count]
            let route = Self.routes[routeIndex]
            let streamed = index % 3 != 2
            let prompt = Int(generator.next(in: 2_000...30_000))
            let completion = Int(generator.next(in: 200...3_000))
            let cached = index % 4 == 0 ? prompt / 2 : 0
            replies[routeIndex].append(Self.reply(route, streamed: streamed, prompt: prompt, completion: completion, cached: cached))
            let project = Self.projects[Int(generator.next(in: 0...5)) % Self.projects.count]
            let user = Self.users[Int(generator.next(in: 0...3))]
            plan.append((routeIndex, streamed, Attribution(project: project, user: user, tags: ["demo"])))
        }
        for (index, route) in Self.routes.enumerated() {
            provider.respond(to: "/\(route.name)/v1/\(Self.endpoint(route).path)", with: replies[index])
        }

        var outcome = Outcome(simulatedAt: baseURL)
        let gateways = try Self.routes.map { try gateway($0, at: baseURL) }
        for request in plan {
            let route = Self.routes[request.route]
            let body = Self.body(route, streamed: request.streamed)
            let gatewayRequest = GatewayRequest(endpoint: Self.endpoint(route), json: body, id: Self.requestID(outcome.sent + 1))
            if request.streamed {
                try await gateways[request.route].stream(gatewayRequest, attribution: request.attribution) { stream in
                    for try await _ in stream.events {}
                }
                outcome.streamed += 1
            } else {
                _ = try await gateways[request.route].send(gatewayRequest, attribution: request.attribution)
            }
            outcome.sent += 1
        }
        try await runFaults(&outcome, at: baseURL)
        return outcome
    }

    /// A rate-limit storm, a refused key, a stream cut short and a caller that leaves early.
    private func runFaults(_ outcome: inout Outcome, at baseURL: String) async throws {
        let gpt = Self.routes[0]
        let claude = Self.routes[1]
        let support = Attribution(project: "support", user: "bo", tags: ["demo"])
        provider.respond(to: "/busy/v1/chat/completions", with: .rateLimited(retryAfter: "0"))
        provider.respond(to: "/revoked/v1/messages", with: .error(status: 401, message: "invalid x-api-key", type: "authentication_error"))
        provider.respond(
            to: "/cut/v1/chat/completions",
            with: .openAIChatStream(model: gpt.returnedModel, pieces: Self.answer, includeUsage: false, done: false))
        // The caller below leaves after 5 words; the stream holds after them (message_start,
        // content_block_start, 5 deltas), so the row's estimate counts exactly those 5 on every run.
        var slow = CannedReply.anthropicStream(model: claude.returnedModel, pieces: Array(repeating: "word ", count: 400), inputTokens: 900, delay: .milliseconds(2))
        slow.stallAfterEvents = 7
        provider.respond(to: "/slow/v1/messages", with: slow)

        let base = outcome.sent
        let faults: [(String, () async throws -> Void)] = [
            ("rate limited", {
                _ = try await gateway(gpt, at: baseURL, path: "busy").send(
                    GatewayRequest(endpoint: .chatCompletions, json: Self.body(gpt, streamed: false), id: Self.requestID(base + 1)), attribution: support)
            }),
            ("key refused", {
                _ = try await gateway(claude, at: baseURL, path: "revoked").send(
                    GatewayRequest(endpoint: .messages, json: Self.body(claude, streamed: false), id: Self.requestID(base + 2)), attribution: support)
            }),
            ("stream cut short", {
                try await gateway(gpt, at: baseURL, path: "cut").stream(
                    GatewayRequest(endpoint: .chatCompletions, json: Self.body(gpt, streamed: true), id: Self.requestID(base + 3)), attribution: support
                ) { stream in
                    for try await _ in stream.events {}
                }
            }),
        ]
        for (label, fault) in faults {
            do {
                try await fault()
            } catch let error as GatewayError {
                outcome.failures.append("\(label): \(error.code) — \(error.message)")
            }
            outcome.sent += 1
        }
        // A caller that stops reading after a few words: the transfer is cancelled, the row says so.
        try await gateway(claude, at: baseURL, path: "slow").stream(
            GatewayRequest(endpoint: .messages, json: Self.body(claude, streamed: true), id: Self.requestID(outcome.sent + 1)),
            attribution: Attribution(project: "research", user: "chen", tags: ["demo"])
        ) { stream in
            var words = 0
            for try await event in stream.events {
                if case .text = event { words += 1 }
                if words == 5 { break }
            }
        }
        outcome.failures.append("caller left a stream early: cancelled after 5 words")
        outcome.sent += 1
        outcome.streamed += 2
    }

    /// "demo-001": readable IDs in the ledger and in error messages.
    static func requestID(_ number: Int) -> String {
        let digits = String(number)
        return "demo-" + String(repeating: "0", count: max(0, 3 - digits.count)) + digits
    }

    static func endpoint(_ route: Route) -> Endpoint {
        route.dialect == .anthropic ? .messages : .chatCompletions
    }

    static func body(_ route: Route, streamed: Bool) -> String {
        let stream = streamed ? #","stream":true"# : ""
        switch route.dialect {
        case .anthropic:
            return #"{"model":"\#(route.model)","max_tokens":1024,"system":"You are a concise assistant.","messages":[{"role":"user","content":"How does a ledger balance?"}]\#(stream)}"#
        case .openAI:
            return #"{"model":"\#(route.model)","messages":[{"role":"system","content":"You are a concise assistant."},{"role":"user","content":"How does a ledger balance?"}]\#(stream)}"#
        }
    }

    static func reply(_ route: Route, streamed: Bool, prompt: Int, completion: Int, cached: Int) -> CannedReply {
        switch (route.dialect, streamed) {
        case (.openAI, true):
            // The gateway adds include_usage, so the simulated provider always reports usage.
            return .openAIChatStream(model: route.returnedModel, pieces: answer, promptTokens: prompt, completionTokens: completion)
        case (.openAI, false):
            return .openAIChatCompletion(
                model: route.returnedModel, content: answer.joined(), promptTokens: prompt, completionTokens: completion, cachedTokens: cached)
        case (.anthropic, true):
            return .anthropicStream(model: route.returnedModel, pieces: answer, inputTokens: prompt - cached, outputTokens: completion, cacheReadTokens: cached)
        case (.anthropic, false):
            return .anthropicMessage(
                model: route.returnedModel, text: answer.joined(), inputTokens: prompt - cached, outputTokens: completion, cacheReadTokens: cached)
        }
    }
}

/// Seeded numbers in a range, so every demo run sends the same traffic.
struct DemoRandom: Sendable {
    private var generator: SeededGenerator

    init(seed: UInt64) { generator = SeededGenerator(seed: seed) }

    mutating func next(in range: ClosedRange<Int64>) -> Int64 {
        range.lowerBound + Int64(generator.next() % UInt64(range.upperBound - range.lowerBound + 1))
    }
}
