import Foundation
import Testing

/// Every command's `--help`, as a user reads it.
struct HelpTextTests {
    @Test func helpTextHasNoLiteralBackslashes() throws {
        // (`prices diff` belongs to the prices work and is checked there.)
        for command in [["serve"], ["budget", "check"], ["report", "whatif"], ["estimate"], ["ledger", "reprice"], ["ledger", "export"], ["report"]] {
            let result = try TallyProcess.run(command + ["--help"])
            #expect(result.status == 0, "\(command)")
            #expect(!result.stdout.contains("\\"), "\(command): \(result.stdout)")
        }
    }
}
