import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TallyLedger
import TallyTestSupport
import Testing

/// `tally serve` writing straight to a PostgreSQL ledger: its pool runs beside the server, rows
/// of real requests land on the server, and a graceful stop writes every one.
struct ServePostgresTests {
    @Test func servingWritesEachRequestsRowToThePostgreSQLLedgerAndStopsCleanly() async throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        upstream.respond(
            to: "/v1/chat/completions",
            with: .openAIChatCompletion(model: "gpt-4.1", promptTokens: 1_000, completionTokens: 100),
            .openAIChatStream(model: "gpt-4.1", promptTokens: 2_000, completionTokens: 200)
        )
        let (server, url) = try PostgresServer.sharedDatabase()
        let shown = try LedgerLocation(url, environment: [:]).description

        let process = Process()
        process.executableURL = TallyProcess.executable
        process.arguments = ["serve", "--listen", "127.0.0.1:0", "--ledger", url]
        var environment = ProcessInfo.processInfo.environment
        environment["OPENAI_BASE_URL"] = upstream.baseURL + "/v1"
        environment["OPENAI_API_KEY"] = "sk-test"
        environment["ANTHROPIC_API_KEY"] = "sk-ant-test"
        environment["TALLY_PRICING"] = nil
        process.environment = environment
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        // "tally serve: listening on http://127.0.0.1:PORT (ledger URL; upstreams: …)"
        var log = ""
        while !log.contains("tally serve: listening on") || !log.hasSuffix("\n") {
            let data = errors.fileHandleForReading.availableData
            if data.isEmpty { break }
            log += String(decoding: data, as: UTF8.self)
        }
        #expect(log.contains("(ledger \(shown);"), "\(log)")
        #expect(!log.contains(server.password))
        let portText = try #require(log.split(separator: "http://127.0.0.1:").dropFirst().first?.prefix { $0.isNumber })
        let port = try #require(Int(portText))

        for body in [
            #"{"model":"gpt-4.1","messages":[{"role":"user","content":"hi"}]}"#,
            #"{"model":"gpt-4.1","stream":true,"messages":[{"role":"user","content":"hi"}]}"#,
        ] {
            var request = URLRequest(url: try #require(URL(string: "http://127.0.0.1:\(port)/v1/chat/completions")))
            request.httpMethod = "POST"
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(body.utf8)
            let (_, response) = try await URLSession.shared.data(for: request)
            #expect((response as? HTTPURLResponse)?.statusCode == 200)
        }
        process.interrupt()
        process.waitUntilExit()
        log += String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(log)")
        #expect(log.contains("every ledger row written"), "\(log)")

        let reader = try LedgerReader(location: try LedgerLocation(url, environment: [:]))
        let rows = try await reader.entries().map(\.entry)
        #expect(rows.map(\.usage.input) == [1_000, 2_000])
        #expect(rows.map(\.streamed) == [false, true])
        #expect(rows.allSatisfy { $0.cost != nil && $0.provider == "openai" })
        #expect(try await reader.info().journalRows == 0)
        #expect(try await reader.verify().isConsistent)
    }

    @Test func aServerLedgerThatCannotBeReachedStopsTheStartWithExit69() throws {
        let closed = try ClosedPort()
        let result = try TallyProcess.run(
            ["serve", "--listen", "127.0.0.1:0", "--ledger", "postgres://tally:secret@127.0.0.1:\(closed.port)/spend?sslmode=disable"],
            environment: ["OPENAI_API_KEY": "sk-test"]
        )
        #expect(result.status == 69)
        #expect(result.stderr.hasPrefix("tally: postgres://tally@127.0.0.1:\(closed.port)/spend?sslmode=disable: "), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(!result.stderr.contains("secret"))
    }
}
