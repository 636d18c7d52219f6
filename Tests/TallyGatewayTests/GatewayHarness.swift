import Foundation
import TallyGateway
import TallyLedger
import TallyPricing
import TallyTestSupport
import TallyUsage

/// A fake upstream on loopback, a real ledger file in a fresh temporary directory, and
/// gateways to the fake upstream in both dialects.
final class GatewayHarness: Sendable {
    /// The bundled price tables, loaded once for every test.
    static let prices: PriceBook = {
        do { return try PriceBook() } catch { preconditionFailure("bundled price tables do not load: \(error)") }
    }()

    /// Retries that do not make tests wait.
    static let quickRetry = RetryPolicy(maximumAttempts: 3, initialBackoff: .milliseconds(1), maximumBackoff: .milliseconds(2))

    let directory: String
    let upstream: FakeUpstream
    let transport: Transport
    let ledger: Ledger
    /// OpenAI-dialect upstream priced as the `holysheep` relay.
    let openAI: Gateway
    /// Anthropic-dialect upstream priced as `anthropic`.
    let anthropic: Gateway

    init(retry: RetryPolicy = GatewayHarness.quickRetry, transport: Transport? = nil) throws {
        directory = NSTemporaryDirectory() + "tally-gateway-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        upstream = try FakeUpstream()
        self.transport = try transport ?? Transport()
        ledger = try Ledger(path: directory + "/ledger.sqlite")
        openAI = try Gateway(
            upstream: Upstream(provider: "holysheep", baseURL: upstream.baseURL + "/v1", dialect: .openAI, apiKey: "sk-test-openai"),
            ledger: ledger, prices: Self.prices, transport: self.transport, retry: retry)
        anthropic = try Gateway(
            upstream: Upstream(provider: "anthropic", baseURL: upstream.baseURL + "/v1/", dialect: .anthropic, apiKey: "sk-ant-test"),
            ledger: ledger, prices: Self.prices, transport: self.transport, retry: retry)
    }

    deinit {
        upstream.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Every row in the ledger, in append order.
    func rows() async throws -> [LedgerEntry] {
        try await ledger.reader.entries().map(\.entry)
    }

    /// Rows in the in-flight journal now.
    func journalRows() async throws -> Int64 {
        try await ledger.reader.info().journalRows ?? -1
    }

    /// What the price table charges for `usage` of `model` at `provider` now.
    func charge(_ usage: Usage, provider: String, model: String, at date: Date) -> Charge? {
        Self.prices.charge(provider: provider, requestedModel: model, at: date, usage: usage).charge
    }
}

/// A streamed chat request body for `model`, optionally asking for usage.
func chatBody(model: String = "gpt-4.1", stream: Bool, includeUsage: Bool? = nil) -> String {
    var body = #"{"model":"\#(model)","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Say hello to the ledger, please."}],"temperature":0.70"#
    if stream { body += #","stream":true"# }
    if let includeUsage { body += #","stream_options":{"include_usage":\#(includeUsage)}"# }
    return body + "}"
}

/// A messages request body for `model`.
func messagesBody(model: String = "claude-sonnet-4-5", stream: Bool) -> String {
    #"{"model":"\#(model)","max_tokens":256,"system":"Be brief.","messages":[{"role":"user","content":"Say hello to the ledger, please."}]\#(stream ? #","stream":true"# : "")}"#
}

/// Runs `body` and returns the GatewayError it throws, or nil.
func gatewayError(_ body: () async throws -> Void) async -> GatewayError? {
    do {
        try await body()
        return nil
    } catch let error as GatewayError {
        return error
    } catch {
        return nil
    }
}
