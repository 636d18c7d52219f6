import Foundation
import Testing

/// The root command: how usage errors are reported.
struct TallyTests {
    @Test func aUsageErrorIsOneLineNamingTheFlagWithExit64() throws {
        for arguments in [
            ["report", "whatif"],  // a missing option
            ["report", "--format", "yaml"],  // a bad value
            ["report", "--colour"],  // an unknown flag
            ["estimate", "--model", "gpt-4.1", "--output-tokens", "many"],
            ["ledger", "export", "--since", "soon"],
        ] {
            let run = try TallyProcess.run(arguments, input: "x")
            #expect(run.status == 64, "\(arguments): \(run.stderr)")
            let lines = run.stderr.split(separator: "\n")
            #expect(lines.count == 1, "\(arguments): \(run.stderr)")
            #expect(lines.first?.hasPrefix("tally: ") == true, "\(arguments): \(run.stderr)")
            #expect(!run.stderr.contains("Usage:") && !run.stderr.contains("Error:"), "\(arguments): \(run.stderr)")
        }
        let missing = try TallyProcess.run(["report", "whatif"])
        #expect(missing.stderr.contains("--provider"))
    }

    @Test func anEmptyLedgerPathIsRefusedNotTakenForTheDefault() throws {
        let folder = try TallyProcess.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let environment = ["TALLY_LEDGER": "", "XDG_DATA_HOME": folder.path, "HOME": folder.path]
        for arguments in [["report"], ["ledger", "migrate"], ["ledger", "info"]] {
            let run = try TallyProcess.run(arguments + ["--ledger", ""], environment: environment)
            #expect(run.status == 64, "\(arguments): \(run.stderr)")
            #expect(run.stderr == "tally: --ledger: the path is empty; leave the flag out for $TALLY_LEDGER or the default path\n", "\(arguments)")
        }
        #expect(!FileManager.default.fileExists(atPath: folder.appending(path: "tally").path))
        let check = try TallyProcess.run(["budget", "check", "--limit", "5", "--ledger", ""], environment: environment)
        #expect(check.status == 3)
        #expect(check.stdout.hasPrefix("TALLY UNKNOWN - --ledger: the path is empty"))
    }
}
