import Foundation
import TallyTestSupport
import Testing

/// `tally serve` refusing to start: each case one line on standard error and a documented status.
struct ServeCommandTests {
    let environment = ["OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "OPENAI_API_KEY": "sk-test", "ANTHROPIC_API_KEY": "sk-ant-test"]

    @Test func aPortAlreadyInUseExits69NamingTheAddress() throws {
        let folder = try TallyProcess.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let taken = try FakeUpstream()  // a server listening on the port
        defer { taken.stop() }
        let port = taken.port

        let result = try TallyProcess.run(
            ["serve", "--listen", "127.0.0.1:\(port)", "--ledger", folder.appending(path: "ledger.sqlite").path],
            environment: environment)

        #expect(result.status == 69)
        #expect(result.stderr.contains("tally: cannot listen on 127.0.0.1:\(port): address already in use (--listen)\n"))
        #expect(!result.stderr.contains("Error:"))
    }

    @Test func aStartThatCannotListenCreatesNeitherTheLedgerNorItsFolder() throws {
        let folder = try TallyProcess.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let taken = try FakeUpstream()
        defer { taken.stop() }
        let ledgerFolder = folder.appending(path: "not-yet")
        let ledger = ledgerFolder.appending(path: "ledger.sqlite")

        let result = try TallyProcess.run(
            ["serve", "--listen", "127.0.0.1:\(taken.port)", "--ledger", ledger.path], environment: environment)

        #expect(result.status == 69)
        #expect(!FileManager.default.fileExists(atPath: ledger.path))
        #expect(!FileManager.default.fileExists(atPath: ledgerFolder.path))
    }

    @Test func aMalformedListenAddressExits64() throws {
        let folder = try TallyProcess.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }

        let result = try TallyProcess.run(
            ["serve", "--listen", "localhost", "--ledger", folder.appending(path: "ledger.sqlite").path], environment: environment)

        #expect(result.status == 64)
        #expect(result.stderr == "tally: --listen localhost: expected HOST:PORT such as 127.0.0.1:8787\n")
    }
}
