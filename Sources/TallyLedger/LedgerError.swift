/// A ledger operation that failed: what failed, on which file, and whether the file or the disk is at fault.
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
        /// One line for logs.
        public var description: String { name }
    }

    /// The kind of failure.
    public var code: Code
    /// The ledger file concerned.
    public var path: String
    /// What went wrong, in one line, without the path.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, path: String, message: String) {
        self.code = code
        self.path = path
        self.message = message
    }

    /// Whether the fault lies in the file's contents rather than in reaching the file.
    public var isDataError: Bool { code != .io }

    /// One line: the path, then the message.
    public var description: String { "\(path): \(message)" }
}
