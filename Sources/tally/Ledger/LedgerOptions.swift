import ArgumentParser
import TallyLedger

/// The `--ledger` option every command that reads or writes the ledger shares.
struct LedgerOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The ledger file.",
            discussion: "Default: $TALLY_LEDGER, else $XDG_DATA_HOME/tally/ledger.sqlite (~/.local/share/tally/ledger.sqlite).",
            valueName: "path"
        )
    )
    var ledger: String?

    /// Refuses `--ledger ''`: an empty path is a mistake (an unset variable), not a request for the default.
    func validate() throws {
        if ledger?.isEmpty == true {
            throw ValidationError("--ledger: the path is empty; leave the flag out for $TALLY_LEDGER or the default path")
        }
    }

    /// The ledger path: `--ledger`, else `TALLY_LEDGER`, else the platform data directory.
    var path: String { LedgerLocation.resolve(explicit: ledger) }
}

extension Failure {
    /// A ledger failure: exit 65 when the file's contents are at fault, 74 when the file could not be reached.
    init(_ error: LedgerError) {
        self.init(error.description, status: error.isDataError ? ExitStatus.data : ExitStatus.io)
    }
}

/// Runs a ledger command's body, turning a `LedgerError` into a `Failure` with its exit status.
func reportingLedgerFailures(_ body: () async throws -> Void) async throws {
    try await reportingFailures {
        do {
            try await body()
        } catch let error as LedgerError {
            throw Failure(error)
        }
    }
}
