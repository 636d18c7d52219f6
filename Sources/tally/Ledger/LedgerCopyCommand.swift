import ArgumentParser
import Foundation
import TallyLedger

/// `tally ledger copy FROM TO`: one ledger into another, file or database either way, resumable,
/// checked at the end.
struct LedgerCopyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy a ledger into another (a file or a postgres:// URL, either way), then compare both sides month by month.",
        discussion: """
            SQLite → PostgreSQL moves an existing ledger to a server; PostgreSQL → SQLite makes a local copy. \
            Rows go in append order under their own sequence numbers, 2,000 to a transaction, so ids, order and \
            adjustments arrive as they were; interrupted, a second run goes on after the target's last row, and a run \
            with nothing left copies nothing. A target holding other rows is refused (exit 65). It ends by comparing \
            rows and exact cost and list-cost sums per UTC month (exit 65 on a difference). Requests still in flight \
            in the source are not copied. On a terminal a progress bar shows the count and the rate.
            """
    )

    @Argument(help: ArgumentHelp("The ledger to read: a file path or a postgres:// URL.", valueName: "from"))
    var source: String

    @Argument(help: ArgumentHelp("The ledger to write: a file path (created when missing) or a postgres:// URL.", valueName: "to"))
    var target: String

    func run() async throws {
        try await reportingLedgerFailures {
            let from = try LedgerLocation(source)
            let to = try LedgerLocation(target)
            if from == to {
                throw Failure("\(to): copy needs two different ledgers; FROM and TO are the same", status: ExitStatus.usage)
            }
            if case .file(let path) = from, !FileManager.default.fileExists(atPath: path) {
                throw Failure("\(path): no ledger here to copy from", status: ExitStatus.io)
            }
            let reader = try LedgerReader(location: from)
            let bar = ProgressBar("\(to): copying", counting: "rows")
            let outcome: LedgerCopy.Outcome
            do {
                defer { bar.finish() }
                outcome = try await LedgerCopy(source: reader, target: to).run { done, total in
                    bar.update(Int(done), of: Int(total))
                }
            }
            let rows = outcome.months.reduce(Int64(0)) { $0 + $1.rows }
            print("\(to): copied \(outcome.copied) row(s), \(outcome.alreadyThere) already there; \(rows) row(s) in \(outcome.months.count) month(s) match \(reader.location)")
        }
    }
}
