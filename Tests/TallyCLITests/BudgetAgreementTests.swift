import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing
import TallyGateway
import TallyLedger
import TallyPricing
import TallyServer
import TallyTestSupport
import TallyUsage

/// `tally budget check` and `tally serve` read one budget file and judge it by one rule: a
/// budget is spent at its limit, in its own zone's calendar month.
struct BudgetAgreementTests {
    @Test(arguments: [
        ("4.50", "Asia/Bangkok"),  // spend == limit in Bangkok's month: spent
        ("4.500000001", "Asia/Bangkok"),  // a nano-USD under the limit: not spent
        ("4.50", "UTC"),  // the row is last month in UTC (but for the hours when UTC is still there too)
    ])
    func theServerRefusesExactlyWhenBudgetCheckIsCritical(limit: String, zone: String) async throws {
        let now = Date()
        // The first instant of this month in Bangkok: 17:00 UTC on the last day of the month before.
        let monthStart = BudgetPeriod(.month, in: TimeZone(identifier: "Asia/Bangkok")!).range(containing: now).lowerBound
        let fixture = try await ReportFixture(requests: [
            // $0.45 in and $4.05 out: $4.50.
            (ISO8601DateFormatter().string(from: monthStart), "anthropic", "claude-sonnet-4-5", Usage(input: 150_000, output: 270_000), "alpha", nil, .reported),
        ])
        defer { fixture.remove() }
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        upstream.respond(to: "/v1/chat/completions", with: .openAIChatCompletion(model: "gpt-4.1"))
        let file = fixture.folder.appending(path: "serve.json")
        try Data("""
            { "upstreams": [ { "name": "relay", "provider": "holysheep", "base_url": "\(upstream.baseURL)/v1", "dialect": "openai", "default": true } ],
              "budgets": [ { "name": "alpha", "project": "alpha", "limit": "\(limit)", "tz": "\(zone)" } ] }
            """.utf8).write(to: file)
        let counted = BudgetPeriod(.month, in: TimeZone(identifier: zone)!).range(containing: now).contains(monthStart)
        let spent = counted && limit == "4.50"

        let check = try TallyProcess.run(["budget", "check", "--config", file.path, "--ledger", fixture.path])
        #expect(check.status == (spent ? 2 : counted ? 1 : 0), "\(check.stdout)")

        let configuration = try ServerConfiguration.load(try Data(contentsOf: file), file: file.path, environment: [:])
        let ledger = try Ledger(path: fixture.path)
        let server = try ProxyServer(
            configuration: configuration, ledger: ledger, prices: try PriceBook(), transport: try Transport(configuration: .init()), logger: Logger(label: "test")
        )
        try await server.application(host: "127.0.0.1", port: 0).test(.live) { client in
            let response = try await client.execute(
                uri: "/v1/chat/completions", method: .post, headers: [HTTPField.Name("x-tally-project")!: "alpha"],
                body: ByteBuffer(string: #"{"model":"gpt-4.1","messages":[{"role":"user","content":"Hi"}]}"#))
            #expect(response.status == (spent ? .tooManyRequests : .ok), "\(String(buffer: response.body))")
        }
    }
}
