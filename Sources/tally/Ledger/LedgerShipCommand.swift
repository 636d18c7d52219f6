import ArgumentParser
import Foundation
import TallyLedger

/// `tally ledger ship --spool PATH`: a gateway's spool into the shared ledger, exactly once.
struct LedgerShipCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ship",
        abstract: "Ship a spool's rows into the ledger (a postgres:// URL or a file), each exactly once.",
        discussion: """
            A spool is the SQLite ledger a gateway meters into first. Every row goes into the ledger with its \
            origin (the spool's instance id, made once and kept in the spool, and the row's number there), a batch \
            of rows, tags and rollups per transaction; the ledger is asked how far the spool has shipped before \
            anything is sent, and skips what it already holds, so running this twice, or beside a gateway's own \
            shipper, writes every row once. Requests the spool's journal holds for processes that are gone \
            become `interrupted` rows first, and ship like any other. On a terminal a progress bar shows the \
            count and the rate.
            """
    )

    @Option(help: ArgumentHelp("The spool to ship from: a SQLite ledger file.", valueName: "path"))
    var spool: String

    @OptionGroup var options: LedgerOptions

    @Option(help: "Rows per transaction at most.")
    var batch = 20_000

    func validate() throws {
        if spool.isEmpty { throw ValidationError("--spool: the path is empty") }
        if !(1...100_000).contains(batch) { throw ValidationError("--batch: \(batch) is not between 1 and 100000") }
    }

    func run() async throws {
        try await reportingLedgerFailures {
            let target = try options.location()
            let path = try spoolPath(spool, shippingTo: target)
            guard FileManager.default.fileExists(atPath: path) else {
                throw Failure("\(path): no spool here to ship from", status: ExitStatus.io)
            }
            let spoolLedger = try await Ledger.open(.file(path))
            let targetLedger = try await Ledger.open(target)
            let outcome = try await spoolLedger.whileRunning {
                try await targetLedger.whileRunning {
                    var shipper = LedgerShipper(spool: spoolLedger, target: targetLedger)
                    shipper.batchRows = batch
                    let pending = try await LedgerShipper.backlog(spool: spoolLedger.reader, target: targetLedger.reader).rows
                    let bar = ProgressBar("\(targetLedger.location): shipping", counting: "rows")
                    defer { bar.finish() }
                    return try await shipper.run { shipped in bar.update(Int(shipped), of: Int(max(pending, shipped))) }
                }
            }
            print("\(targetLedger.location): shipped \(outcome.shipped) row(s) of spool \(path) (instance \(outcome.instance)), through its row \(outcome.through)")
        }
    }
}
