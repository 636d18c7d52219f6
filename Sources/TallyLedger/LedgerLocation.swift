public import Foundation

/// Where a ledger lives: a SQLite file (the embedded default), or a database on a PostgreSQL server.
public enum LedgerLocation: Sendable, Hashable, CustomStringConvertible {
    /// A SQLite ledger file.
    case file(String)
    /// A PostgreSQL database, from a `postgres://` URL.
    case postgres(PostgresAddress)

    /// The environment variable that names the ledger: a file path or a `postgres://` URL.
    public static let environmentVariable = "TALLY_LEDGER"

    /// Reads a location: a `postgres://` or `postgresql://` URL is a server, any other `scheme://` is
    /// refused, and anything else is a file path.
    public init(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(LedgerError) {
        if Self.looksLikeURL(text) {
            self = .postgres(try PostgresAddress(url: text, environment: environment))
        } else {
            self = .file(text)
        }
    }

    /// The location `explicit` names when given, else `$TALLY_LEDGER`, else the platform data directory's file.
    public static func resolving(
        explicit: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(LedgerError) -> LedgerLocation {
        try LedgerLocation(resolve(explicit: explicit, environment: environment), environment: environment)
    }

    /// The ledger named as text: `explicit` when given, else `$TALLY_LEDGER`, else the platform data
    /// directory (`$XDG_DATA_HOME/tally/ledger.sqlite`, falling back to `~/.local/share/tally/ledger.sqlite`).
    public static func resolve(
        explicit: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> String {
        if let explicit, !explicit.isEmpty { return explicit }
        if let fromEnvironment = environment[environmentVariable], !fromEnvironment.isEmpty { return fromEnvironment }
        return defaultPath(environment: environment)
    }

    /// The platform data directory's ledger path.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let dataHome: String
        if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") {
            dataHome = xdg  // the XDG spec ignores relative paths
        } else {
            let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
            dataHome = home + "/.local/share"
        }
        return dataHome + "/tally/ledger.sqlite"
    }

    /// Where a gateway spools what it ships to `ledger` when not told: one file per shared
    /// ledger in the platform state directory, `$XDG_STATE_HOME/tally/spool-HASH.sqlite` (else
    /// `~/.local/state/…`), HASH being the FNV-1a hash of the ledger's description (no password).
    package static func defaultSpoolPath(
        for ledger: LedgerLocation, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> String {
        let stateHome: String
        if let xdg = environment["XDG_STATE_HOME"], xdg.hasPrefix("/") {
            stateHome = xdg
        } else {
            let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
            stateHome = home + "/.local/state"
        }
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in ledger.description.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return stateHome + "/tally/spool-" + String(repeating: "0", count: 16 - hex.count) + hex + ".sqlite"
    }

    /// The file path, or the server URL without its password.
    public var description: String {
        switch self {
        case .file(let path): path
        case .postgres(let address): address.description
        }
    }

    /// Whether `text` starts with a URL scheme (`letters://`), not a path.
    static func looksLikeURL(_ text: String) -> Bool {
        guard let separator = text.range(of: "://") else { return false }
        let scheme = text[..<separator.lowerBound]
        guard let first = scheme.first, first.isASCII, first.isLetter else { return false }
        return scheme.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "+.-".contains($0)) }
    }
}
