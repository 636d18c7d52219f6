import ArgumentParser
import TallyLedger

/// `tally ledger copy FROM TO`: a SQLite ledger into a PostgreSQL one, resumable, checked at the end.
struct LedgerCopyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy a SQLite ledger file into a PostgreSQL ledger, then compare both sides month by month.",
        discussion: """
            Rows go in append order under their own sequence numbers, 2,000 to a transaction; interrupted, \
            a second run goes on after the target's last row, and a run with nothing left copies nothing. \
            It ends by comparing rows and exact cost and list-cost sums per UTC month (exit 65 on a difference). \
            Requests still in flight in the source are not copied.
            """
    )

    @Argument(help: ArgumentHelp("The SQLite ledger file to read.", valueName: "from"))
    var source: String

    @Argument(help: ArgumentHelp("The postgres:// URL to write.", valueName: "to"))
    var target: String

    func run() async throws {
        try await reportingLedgerFailures {
            guard case .file(let path) = try LedgerLocation(source) else {
                throw Failure("\(try LedgerLocation(source)): copy reads a SQLite ledger file; copying from PostgreSQL is not supported yet", status: ExitStatus.usage)
            }
            guard case .postgres(let address) = try LedgerLocation(target) else {
                throw Failure("\(target): copy writes a PostgreSQL ledger (a postgres:// URL); to copy a file, copy the file", status: ExitStatus.usage)
            }
            let reader = try LedgerReader(path: path)
            let bar = ProgressBar("\(address): copying")
            let outcome: LedgerCopy.Outcome
            do {
                defer { bar.finish() }
                outcome = try await LedgerCopy(source: reader, target: PostgresLedgerStore(address: address)).run { done, total in
                    bar.update(Int(done), of: Int(total))
                }
            }
            let rows = outcome.months.reduce(Int64(0)) { $0 + $1.rows }
            print("\(address): copied \(outcome.copied) row(s), \(outcome.alreadyThere) already there; \(rows) row(s) in \(outcome.months.count) month(s) match \(path)")
        }
    }
}
