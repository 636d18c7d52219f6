import HTTPTypes
import Foundation
import Testing
import TallyDemo
import TallyGateway
import TallyLedger

struct SimulatedProviderTests {
    func post(_ transport: Transport, _ url: String) async throws -> (status: Int, headers: HTTPFields, body: String) {
        let response = try await transport.execute(.init(method: "POST", url: url, body: Array(#"{"model":"m"}"#.utf8)))
        let body = try await response.collectBody(upTo: 1 << 20)
        return (response.status, response.headers, String(decoding: body, as: UTF8.self))
    }

    @Test func answersEachPathWithItsRepliesInTurnThenTheLastAgainAndStopsAfterward() async throws {
        let provider = SimulatedProvider()
        provider.respond(to: "/a/v1/chat/completions", with: [.rateLimited(retryAfter: "0"), .openAIChatStream(model: "m", pieces: ["Hi"])])
        let transport = try Transport()
        let baseURL = try await provider.serving { baseURL in
            let url = baseURL + "/a/v1/chat/completions"
            let limited = try await post(transport, url)
            #expect(limited.status == 429)
            #expect(limited.headers[.retryAfter] == "0")
            #expect(limited.body.contains(#""type":"rate_limit_error""#))
            for _ in 0..<2 {
                let stream = try await post(transport, url)
                #expect(stream.status == 200)
                #expect(stream.headers[.contentType] == "text/event-stream")
                #expect(stream.body.hasSuffix("data: [DONE]\n\n"))
                #expect(stream.body.contains(#""content":"Hi""#))
            }
            let unknown = try await post(transport, baseURL + "/nowhere")
            #expect(unknown.status == 404)
            return baseURL
        }
        // Once `serving` returned, nothing listens there any more.
        await #expect(throws: TransportError.self) {
            _ = try await post(transport, baseURL + "/a/v1/chat/completions")
        }
    }

    @Test func theDemoWritesTheSameRowsOnEveryRun() async throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "tally-demo-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var totals: [String] = []
        for run in 0..<2 {
            let simulation = try DemoSimulation(ledgerPath: folder.appending(path: "\(run).sqlite").path, prices: PriceBookFixture.bundled)
            let outcome = try await simulation.run(requests: 9)
            #expect(outcome.sent == 13)
            #expect(outcome.failures.count == 4)
            let rows = try await simulation.ledger.reader.entries().map {
                "\($0.entry.id) \($0.entry.outcome) \($0.entry.usage) \($0.entry.cost.map { "\($0)" } ?? "-")"
            }
            #expect(rows.count == 13)
            totals.append(rows.joined(separator: "\n"))
        }
        #expect(totals[0] == totals[1])
    }
}
