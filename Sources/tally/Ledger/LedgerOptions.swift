import ArgumentParser
import Foundation
import TallyLedger

/// The `--ledger` option every command that reads or writes the ledger shares.
struct LedgerOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The ledger: a file path, or a postgres:// URL.",
            discussion: """
                Default: $TALLY_LEDGER, else $XDG_DATA_HOME/tally/ledger.sqlite (~/.local/share/tally/ledger.sqlite). \
                A URL reads like libpq's: postgres://user@host:5432/db?sslmode=require, the password from the URL, \
                $PGPASSWORD or ~/.pgpass.
                """,
            valueName: "path-or-url"
        )
    )
    var ledger: String?

    /// Refuses `--ledger ''`: an empty path is a mistake (an unset variable), not a request for the default.
    func validate() throws {
        if ledger?.isEmpty == true {
            throw ValidationError("--ledger: the path is empty; leave the flag out for $TALLY_LEDGER or the default path")
        }
    }

    /// The ledger: `--ledger`, else `TALLY_LEDGER`, else the platform data directory's file.
    func location() throws(Failure) -> LedgerLocation {
        do {
            return try LedgerLocation.resolving(explicit: ledger)
        } catch {
            throw Failure(error)
        }
    }

    /// The ledger opened read-only, a file or a PostgreSQL database; a file that does not exist
    /// yet is refused with exit 74 and a hint (a database is found missing when first read).
    func reader() throws -> LedgerReader {
        try LedgerReader(location: existingLocation())
    }

    /// The ledger's location, refusing a file that does not exist yet (exit 74, with a hint), for
    /// the commands that read or amend a ledger but never create one.
    func existingLocation() throws -> LedgerLocation {
        let location = try location()
        if case .file(let path) = location, !FileManager.default.fileExists(atPath: path) {
            throw Failure("\(path): no ledger here yet (pass --ledger PATH or set TALLY_LEDGER; `tally demo` writes one)", status: ExitStatus.io)
        }
        return location
    }

    /// The ledger file, for the commands that read SQLite ledgers only; a PostgreSQL URL is refused
    /// with exit 64, naming the commands that take one.
    func path() throws(Failure) -> String {
        switch try location() {
        case .file(let path):
            return path
        case .postgres(let address):
            throw Failure(
                "\(address): this command reads SQLite ledger files only so far; a PostgreSQL ledger takes `tally report`, `budget check` and the `tally ledger` commands",
                status: ExitStatus.usage
            )
        }
    }
}

/// A spool's path from `--spool`: a SQLite file; a URL is refused (exit 64) naming the server
/// without its password, and so is the ledger it ships to (`shippingTo`).
func spoolPath(_ text: String, shippingTo ledger: LedgerLocation? = nil) throws -> String {
    switch try LedgerLocation(text) {
    case .file(let path) where ledger == .file(path):
        throw Failure("\(path): a spool cannot ship into itself; pass the shared ledger with --ledger", status: ExitStatus.usage)
    case .file(let path):
        return path
    case .postgres(let address):
        throw Failure("--spool \(address): a spool is a SQLite file, not a server", status: ExitStatus.usage)
    }
}

extension Failure {
    /// A ledger failure, with the exit status its code documents: 64 for a malformed location, 65 when the
    /// ledger's contents are at fault, 69 when its server cannot be reached, 74 when its file cannot,
    /// 77 when the server refuses the credentials or the role's rights.
    init(_ error: LedgerError) {
        let status: Int32 =
            switch error.code {
            case .invalidLocation: ExitStatus.usage
            case .unavailable: ExitStatus.unavailable
            case .permissionDenied: ExitStatus.noPermission
            case .io: ExitStatus.io
            default: ExitStatus.data
            }
        self.init(error.description, status: status)
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
