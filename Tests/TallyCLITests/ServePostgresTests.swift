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
        let upstream = try Self.twoAnswerUpstream()
        defer { upstream.stop() }
        let (server, url) = try PostgresServer.sharedDatabase()
        let shown = try LedgerLocation(url, environment: [:]).description

        let (process, errors, port, startLog) = try Self.startServe(["--ledger", url, "--no-spool"], upstream: upstream)
        defer { if process.isRunning { process.terminate() } }
        var log = startLog
        #expect(log.contains("(ledger \(shown);"), "\(log)")
        #expect(!log.contains(server.password))

        try await Self.sendTwoRequests(port: port)
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

    @Test func aServerLedgerThatCannotBeReachedStopsTheStartWithExit69OnlyWithoutASpool() async throws {
        let closed = try ClosedPort()
        let url = "postgres://tally:secret@127.0.0.1:\(closed.port)/spend?sslmode=disable"
        let result = try TallyProcess.run(
            ["serve", "--listen", "127.0.0.1:0", "--ledger", url, "--no-spool"],
            environment: ["OPENAI_API_KEY": "sk-test"]
        )
        #expect(result.status == 69)
        #expect(result.stderr.hasPrefix("tally: postgres://tally@127.0.0.1:\(closed.port)/spend?sslmode=disable: "), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(!result.stderr.contains("secret"))

        // With the default spool it starts, meters into a file of the state directory, and says
        // the ledger cannot be reached yet.
        let state = NSTemporaryDirectory() + "tally-cli-tests-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: state) }
        let upstream = try Self.twoAnswerUpstream()
        defer { upstream.stop() }
        let (process, errors, port, startLog) = try Self.startServe(["--ledger", url], upstream: upstream, environment: ["XDG_STATE_HOME": state])
        defer { if process.isRunning { process.terminate() } }
        let spool = LedgerLocation.defaultSpoolPath(for: try LedgerLocation(url, environment: [:]), environment: ["XDG_STATE_HOME": state])
        #expect(spool.hasPrefix(state + "/tally/spool-") && spool.hasSuffix(".sqlite"))
        #expect(startLog.contains("(spool \(spool), shipped to postgres://tally@127.0.0.1:\(closed.port)/spend?sslmode=disable;"), "\(startLog)")
        try await Self.sendTwoRequests(port: port)
        process.interrupt()
        process.waitUntilExit()
        let log = startLog + String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(log)")
        #expect(log.contains("shipping the spool failed, rows wait in \(spool)"), "\(log)")
        #expect(log.contains("stopped; every ledger row written to the spool \(spool), some row(s) wait in it"), "\(log)")
        #expect(!log.contains("secret"))
        #expect(try await LedgerReader(path: spool).entries().count == 2)
    }

    @Test func withASpoolServingStartsWhileTheServerIsDownAndShipsEveryRowOnceWhenItIsBack() async throws {
        let upstream = try Self.twoAnswerUpstream()
        defer { upstream.stop() }
        let server = try PostgresServer()
        defer { server.stop() }
        try server.createDatabase("spend")
        let url = server.url(database: "spend")
        let location = try LedgerLocation(url, environment: [:])
        let directory = NSTemporaryDirectory() + "tally-cli-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let spool = directory + "/spool.sqlite"
        try server.pause()

        let (process, errors, port, startLog) = try Self.startServe(["--ledger", url, "--spool", spool], upstream: upstream)
        defer { if process.isRunning { process.terminate() } }
        #expect(startLog.contains("(spool \(spool), shipped to \(location.description);"), "\(startLog)")
        try await Self.sendTwoRequests(port: port)
        // Metered into the spool while the server is down, and shown as its backlog.
        #expect(try await LedgerReader(path: spool).entries().count == 2)
        #expect(try await Self.waitForMetric("tally_spool_unshipped_rows 2.0", port: port), "the backlog never reached /metrics")

        try server.resume()
        let reader = try LedgerReader(location: location)
        let deadline = ContinuousClock.now + .seconds(90)
        var shipped: [StoredLedgerEntry] = []
        while ContinuousClock.now < deadline {
            shipped = (try? await reader.entries()) ?? []
            if shipped.count >= 2 { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(shipped.map(\.entry.usage.input) == [1_000, 2_000])
        #expect(try await Self.waitForMetric("tally_spool_unshipped_rows 0.0", port: port))
        process.interrupt()
        process.waitUntilExit()
        let log = startLog + String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(log)")
        #expect(log.contains("tally serve: shipping the spool failed, rows wait in \(spool)"), "\(log)")
        #expect(log.contains("tally serve: shipping to \(location.description) resumed"), "\(log)")
        #expect(log.contains("stopped; every ledger row written to the spool \(spool), every row shipped to \(location.description)"), "\(log)")
        #expect(!log.contains(server.password))
        #expect(try await reader.entries().count == 2)
        #expect(try await reader.verify().isConsistent)
        let backlog = try await LedgerShipper.backlog(spool: try LedgerReader(path: spool), target: reader)
        #expect(backlog.rows == 0 && backlog.through == 2)
    }

    /// An OpenAI upstream answering one plain chat completion (1,000 prompt tokens), then one
    /// stream (2,000): what ``sendTwoRequests(port:)`` asks for.
    static func twoAnswerUpstream() throws -> FakeUpstream {
        let upstream = try FakeUpstream()
        upstream.respond(
            to: "/v1/chat/completions",
            with: .openAIChatCompletion(model: "gpt-4.1", promptTokens: 1_000, completionTokens: 100),
            .openAIChatStream(model: "gpt-4.1", promptTokens: 2_000, completionTokens: 200)
        )
        return upstream
    }

    /// Starts `tally serve` on a free port with `arguments`, the OpenAI upstream `upstream`;
    /// returns once it says where it listens, with what it said so far.
    static func startServe(_ arguments: [String], upstream: FakeUpstream, environment extra: [String: String] = [:]) throws -> (Process, Pipe, Int, String) {
        let process = Process()
        process.executableURL = TallyProcess.executable
        process.arguments = ["serve", "--listen", "127.0.0.1:0"] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["OPENAI_BASE_URL"] = upstream.baseURL + "/v1"
        environment["OPENAI_API_KEY"] = "sk-test"
        environment["ANTHROPIC_API_KEY"] = "sk-ant-test"
        environment["TALLY_PRICING"] = nil
        environment.merge(extra) { $1 }
        process.environment = environment
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // "tally serve: listening on http://127.0.0.1:PORT (ledger URL; upstreams: …)"
        var log = ""
        while !log.contains("tally serve: listening on") || !log.hasSuffix("\n") {
            let data = errors.fileHandleForReading.availableData
            if data.isEmpty { break }
            log += String(decoding: data, as: UTF8.self)
        }
        let portText = try #require(log.split(separator: "http://127.0.0.1:").dropFirst().first?.prefix { $0.isNumber }, "\(log)")
        return (process, errors, try #require(Int(portText)), log)
    }

    /// Whether the proxy's `/metrics` holds the line `line` within 60 s.
    static func waitForMetric(_ line: String, port: Int) async throws -> Bool {
        let url = try #require(URL(string: "http://127.0.0.1:\(port)/metrics"))
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let (data, _) = try await URLSession.shared.data(from: url)
            if String(decoding: data, as: UTF8.self).split(separator: "\n").contains(Substring(line)) { return true }
            try await Task.sleep(for: .milliseconds(200))
        }
        return false
    }

    /// One plain and one streamed chat completion through the proxy on `port`, each answered 200.
    static func sendTwoRequests(port: Int) async throws {
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
    }
}
