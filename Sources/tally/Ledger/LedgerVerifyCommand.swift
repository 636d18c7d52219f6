import ArgumentParser
import TallyLedger

/// `tally ledger verify`: integrity check, rollups against a recount, journal state.
struct LedgerVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the file's integrity, that every rollup equals a recount of the rows, and the journal.",
        discussion: "Exits 0 when everything matches, 65 on any mismatch or corruption, 74 when the file cannot be read."
    )

    @OptionGroup var options: LedgerOptions

    func run() async throws {
        try await reportingLedgerFailures {
            let reader = try options.reader()
            let result = try await reader.verify()
            var problems: [String] = []
            if result.integrity == ["ok"] {
                print("integrity: ok")
            } else {
                problems += result.integrity.map { "\(reader.location): integrity: \($0)" }
            }
            if result.rollupMismatches.isEmpty {
                print("rollups: match a recount of \(result.rows) rows")
            } else {
                for mismatch in result.rollupMismatches {
                    problems.append(
                        "\(reader.location): rollup \(mismatch.grain): \(mismatch.rowsNotMatchingRecount) stored row(s) differ from a recount, \(mismatch.recountRowsNotStored) recounted row(s) missing"
                    )
                }
            }
            if result.journal.isEmpty {
                print("journal: no request in flight")
            }
            for owner in result.journal {
                print("journal: \(owner.rows) request(s) in flight from pid \(owner.pid), "
                    + (owner.isAlive ? "still running" : "gone: recovered as interrupted at the next open for writing"))
            }
            if !problems.isEmpty {
                throw Failure(lines: problems, status: ExitStatus.data)
            }
        }
    }
}
