public import Foundation

/// Where the ledger file lives when no path is given.
public enum LedgerLocation {
    /// The environment variable that names the ledger file.
    public static let environmentVariable = "TALLY_LEDGER"

    /// The ledger path: `explicit` when given, else `$TALLY_LEDGER`, else the platform data directory
    /// (`$XDG_DATA_HOME/tally/ledger.sqlite`, falling back to `~/.local/share/tally/ledger.sqlite`).
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
}
