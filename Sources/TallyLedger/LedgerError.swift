/// A ledger operation that failed: what failed, on which ledger (a file, or a server named without its
/// password), and whether the ledger's contents or reaching it is at fault.
public struct LedgerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure; new codes may be added, so match with a `default`.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        let name: String
        /// The file or directory could not be created, opened, read or written (exit status 74).
        public static let io = Code(name: "io")
        /// The file is not a Tally ledger, or it is corrupted (exit status 65).
        public static let notALedger = Code(name: "notALedger")
        /// The ledger was migrated by a newer Tally than this one (exit status 65).
        public static let newerSchema = Code(name: "newerSchema")
        /// A recorded migration differs from the one this Tally carries (exit status 65).
        public static let migrationMismatch = Code(name: "migrationMismatch")
        /// The ledger's schema is older than this Tally's; `tally ledger migrate` upgrades it (exit status 65).
        public static let needsMigration = Code(name: "needsMigration")
        /// A value handed to the ledger is invalid (a tag with a control character, an unknown row).
        public static let invalidValue = Code(name: "invalidValue")
        /// A report's sum passes the largest amount Tally reports, about $9.2 billion (exit status 65).
        public static let sumOutOfRange = Code(name: "sumOutOfRange")
        /// After `tally ledger copy`, the two ledgers' row counts or monthly sums differ, or the
        /// target holds rows that are not the source's (exit status 65).
        public static let copyMismatch = Code(name: "copyMismatch")
        /// The ledger location itself is malformed: an unknown URL scheme, a bad port, an unknown
        /// URL parameter (exit status 64).
        public static let invalidLocation = Code(name: "invalidLocation")
        /// The ledger's server could not be reached or is not a PostgreSQL server (exit status 69).
        public static let unavailable = Code(name: "unavailable")
        /// The server refused the credentials, or the role may not read or write the ledger's tables
        /// (exit status 77).
        public static let permissionDenied = Code(name: "permissionDenied")
        /// One line for logs.
        public var description: String { name }
    }

    /// The kind of failure.
    public var code: Code
    /// The ledger concerned: a file path, or a server URL with its password left out.
    public var location: String
    /// What went wrong, in one line, without the location.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, location: String, message: String) {
        self.code = code
        self.location = location
        self.message = message
    }

    /// Whether the fault lies in the ledger's contents rather than in reaching the ledger.
    public var isDataError: Bool { ![.io, .invalidLocation, .unavailable, .permissionDenied].contains(code) }

    /// One line: the location, then the message.
    public var description: String { "\(location): \(message)" }
}
