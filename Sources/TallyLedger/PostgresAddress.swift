public import Foundation

/// A PostgreSQL server and database a ledger lives in, read from a libpq-style URL
/// (`postgres://user@host:5432/db?sslmode=require`) with libpq's environment defaults.
///
/// The password is never part of `description`: print the address, not the URL it came from.
public struct PostgresAddress: Sendable, Hashable, CustomStringConvertible {
    /// How the connection uses TLS, as libpq's `sslmode` names it.
    public enum TLSMode: String, Sendable, Hashable, CaseIterable {
        /// Plain TCP; the server's TLS is never asked for.
        case disable
        /// TLS when the server offers it, plain TCP otherwise (libpq's default).
        case prefer
        /// TLS or no connection; the server's certificate is not checked.
        case require
        /// TLS with a certificate signed by a trusted authority, any host name.
        case verifyCA = "verify-ca"
        /// TLS with a trusted certificate issued for the host connected to.
        case verifyFull = "verify-full"
    }

    /// The host name or IP address, or a directory holding the server's Unix socket (starting with `/`).
    public var host: String
    /// The TCP port, which also names the Unix socket file (`.s.PGSQL.<port>`).
    public var port: Int
    /// The role to connect as.
    public var user: String
    /// The database holding the ledger's tables.
    public var database: String
    /// The password, from the URL, `PGPASSWORD` or the password file; `nil` when none applies.
    public var password: String?
    /// How the connection uses TLS.
    public var tls: TLSMode
    /// A file of trusted certificate authorities (PEM) for `verify-ca` and `verify-full`; `nil`: the system's.
    public var rootCertificatePath: String?
    /// How long to wait for the server to answer a connection attempt.
    public var connectTimeout: Duration
    /// The name the server shows for the connection in `pg_stat_activity`.
    public var applicationName: String

    /// The URL parameters an address accepts (libpq's names).
    static let parameters: Set<String> = [
        "host", "port", "user", "password", "dbname", "sslmode", "sslrootcert", "connect_timeout",
        "application_name", "passfile",
    ]

    /// Reads a `postgres://` or `postgresql://` URL; what it leaves out comes from `PGHOST`, `PGPORT`,
    /// `PGUSER`, `PGDATABASE`, `PGPASSWORD`, `PGSSLMODE`, then the password file (`PGPASSFILE`, else `~/.pgpass`).
    public init(url text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(LedgerError) {
        var parts = try URLParts(text)
        func value(_ name: String, _ variable: String) -> String? {
            if let given = parts.query[name], !given.isEmpty { return given }
            if let fromEnvironment = environment[variable], !fromEnvironment.isEmpty { return fromEnvironment }
            return nil
        }
        if parts.host.isEmpty, let host = parts.query["host"] { parts.host = host }
        if parts.port == nil, let port = parts.query["port"] { parts.port = port }
        if parts.user.isEmpty, let user = parts.query["user"] { parts.user = user }
        if parts.database.isEmpty, let database = parts.query["dbname"] { parts.database = database }
        if parts.password == nil, let password = parts.query["password"] { parts.password = password }

        host = parts.host.isEmpty ? (environment["PGHOST"].flatMap { $0.isEmpty ? nil : $0 } ?? "localhost") : parts.host
        let portText = parts.port ?? environment["PGPORT"].flatMap { $0.isEmpty ? nil : $0 } ?? "5432"
        guard let port = Int(portText), (1...65_535).contains(port) else {
            throw Self.invalid(parts, "port '\(portText)' is not a number from 1 to 65535")
        }
        self.port = port
        user = parts.user.isEmpty
            ? (environment["PGUSER"].flatMap { $0.isEmpty ? nil : $0 } ?? environment["USER"].flatMap { $0.isEmpty ? nil : $0 } ?? "postgres")
            : parts.user
        database = parts.database.isEmpty ? (environment["PGDATABASE"].flatMap { $0.isEmpty ? nil : $0 } ?? user) : parts.database

        let modeText = value("sslmode", "PGSSLMODE") ?? TLSMode.prefer.rawValue
        guard let tls = TLSMode(rawValue: modeText) else {
            let known = TLSMode.allCases.map(\.rawValue).joined(separator: ", ")
            throw Self.invalid(parts, "sslmode '\(modeText)' is not one of \(known)")
        }
        self.tls = tls
        rootCertificatePath = value("sslrootcert", "PGSSLROOTCERT")

        let timeoutText = value("connect_timeout", "PGCONNECT_TIMEOUT") ?? "10"
        guard let seconds = Int(timeoutText), seconds >= 0, seconds <= 3_600 else {
            throw Self.invalid(parts, "connect_timeout '\(timeoutText)' is not a whole number of seconds from 0 to 3600")
        }
        connectTimeout = .seconds(seconds == 0 ? 3_600 : max(seconds, 2))  // libpq: 0 waits "forever", less than 2 means 2
        applicationName = value("application_name", "PGAPPNAME") ?? "tally"

        if let password = parts.password {
            self.password = password
        } else if let password = environment["PGPASSWORD"], !password.isEmpty {
            self.password = password
        } else {
            let passwordFile = parts.query["passfile"] ?? environment["PGPASSFILE"] ?? Self.defaultPasswordFile(environment)
            self.password = try passwordFile.flatMap { path throws(LedgerError) in
                try PasswordFile.password(in: path, host: host, port: port, database: database, user: user, describing: parts)
            }
        }
    }

    /// The URL without its password, for messages, logs and `ledger info`.
    public var description: String {
        var text = "postgres://\(Self.encoded(user))@"
        if host.hasPrefix("/") {
            text += "/\(Self.encoded(database))?host=\(Self.encoded(host))&port=\(port)"
        } else {
            text += host.contains(":") ? "[\(host)]" : host
            text += ":\(port)/\(Self.encoded(database))"
        }
        if tls != .prefer { text += (host.hasPrefix("/") ? "&" : "?") + "sslmode=\(tls.rawValue)" }
        return text
    }

    /// `~/.pgpass`, when a home directory is known.
    private static func defaultPasswordFile(_ environment: [String: String]) -> String? {
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return home + "/.pgpass"
    }

    /// A location error naming the URL without its password.
    static func invalid(_ parts: URLParts, _ reason: String) -> LedgerError {
        LedgerError(.invalidLocation, location: parts.redacted, message: reason)
    }

    /// Percent-encodes what a URL's user or path part cannot hold as it is.
    static func encoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

/// The pieces of a libpq URL before defaults apply: `postgres://[user[:password]@][host][:port][/database][?name=value&…]`.
struct URLParts {
    var host = ""
    var port: String?
    var user = ""
    var password: String?
    var database = ""
    var query: [String: String] = [:]
    /// The URL as given, with any password replaced by `***`.
    var redacted: String

    init(_ text: String) throws(LedgerError) {
        var rest = Substring(text)
        guard let schemeEnd = rest.range(of: "://") else {
            throw LedgerError(.invalidLocation, location: text, message: "not a postgres:// URL")
        }
        let scheme = rest[..<schemeEnd.lowerBound].lowercased()
        rest = rest[schemeEnd.upperBound...]
        redacted = String(text[..<schemeEnd.upperBound])
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw LedgerError(
                .invalidLocation, location: Self.mask(text), message: "unknown scheme '\(scheme)': a ledger is a file path or a postgres:// URL"
            )
        }
        if let queryStart = rest.firstIndex(of: "?") {
            let queryText = rest[rest.index(after: queryStart)...]
            rest = rest[..<queryStart]
            for pair in queryText.split(separator: "&", omittingEmptySubsequences: true) {
                let nameAndValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let name = String(nameAndValue[0])
                guard PostgresAddress.parameters.contains(name) else {
                    throw LedgerError(
                        .invalidLocation, location: Self.mask(text),
                        message: "unknown URL parameter '\(name)' (known: \(PostgresAddress.parameters.sorted().joined(separator: ", ")))"
                    )
                }
                guard nameAndValue.count == 2, let value = nameAndValue[1].removingPercentEncoding else {
                    throw LedgerError(.invalidLocation, location: Self.mask(text), message: "URL parameter '\(name)' has no value")
                }
                query[name] = value
            }
        }
        let authority: Substring
        if let slash = rest.firstIndex(of: "/") {
            authority = rest[..<slash]
            guard let database = rest[rest.index(after: slash)...].removingPercentEncoding else {
                throw LedgerError(.invalidLocation, location: Self.mask(text), message: "the database name is not valid percent-encoding")
            }
            self.database = database
        } else {
            authority = rest
        }
        var hostPart = authority
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            hostPart = authority[authority.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                user = userInfo[..<colon].removingPercentEncoding ?? ""
                password = userInfo[userInfo.index(after: colon)...].removingPercentEncoding ?? ""
            } else {
                user = userInfo.removingPercentEncoding ?? ""
            }
        }
        if hostPart.hasPrefix("[") {
            guard let close = hostPart.firstIndex(of: "]") else {
                throw LedgerError(.invalidLocation, location: Self.mask(text), message: "an IPv6 address opened with '[' is not closed")
            }
            host = String(hostPart[hostPart.index(after: hostPart.startIndex)..<close])
            let after = hostPart[hostPart.index(after: close)...]
            if after.hasPrefix(":") { port = String(after.dropFirst()) } else if !after.isEmpty {
                throw LedgerError(.invalidLocation, location: Self.mask(text), message: "unexpected '\(after)' after the IPv6 address")
            }
        } else if let colon = hostPart.lastIndex(of: ":") {
            host = hostPart[..<colon].removingPercentEncoding ?? ""
            port = String(hostPart[hostPart.index(after: colon)...])
        } else {
            host = hostPart.removingPercentEncoding ?? ""
        }
        if hostPart.contains(",") {
            throw LedgerError(.invalidLocation, location: Self.mask(text), message: "several hosts in one URL are not supported; name one server")
        }
        redacted = Self.mask(text)
    }

    /// The URL with the password in its user part, and any `password=` parameter, replaced by `***`.
    static func mask(_ text: String) -> String {
        var masked = text
        if let schemeEnd = masked.range(of: "://") {
            let authorityEnd = masked[schemeEnd.upperBound...].firstIndex { $0 == "/" || $0 == "?" } ?? masked.endIndex
            let authority = masked[schemeEnd.upperBound..<authorityEnd]
            if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
                masked.replaceSubrange(masked.index(after: colon)..<at, with: "***")
            }
        }
        if let query = masked.firstIndex(of: "?") {
            let parameters = masked[masked.index(after: query)...].split(separator: "&", omittingEmptySubsequences: false).map { pair in
                pair.hasPrefix("password=") ? "password=***" : String(pair)
            }
            masked = String(masked[...query]) + parameters.joined(separator: "&")
        }
        return masked
    }
}

/// libpq's password file: lines of `host:port:database:user:password`, `*` matching anything,
/// `\:` and `\\` escaping; ignored, as libpq ignores it, when others may read it.
enum PasswordFile {
    static func password(
        in path: String, host: String, port: Int, database: String, user: String, describing parts: URLParts
    ) throws(LedgerError) -> String? {
        var status = stat()
        guard stat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return nil }
        guard status.st_mode & 0o077 == 0 else {
            throw LedgerError(
                .permissionDenied, location: parts.redacted,
                message: "the password file \(path) may be read by others; chmod 600 it (libpq ignores it too)"
            )
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw LedgerError(.io, location: parts.redacted, message: "cannot read the password file \(path)")
        }
        // libpq matches "localhost" for a Unix socket connection, and the socket directory as given.
        let hostNames = host.hasPrefix("/") ? ["localhost", host] : [host]
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            let fields = Self.fields(line)
            guard fields.count == 5 else { continue }
            func matches(_ field: String, _ value: String) -> Bool { field == "*" || field == value }
            if hostNames.contains(where: { matches(fields[0], $0) }), matches(fields[1], String(port)),
                matches(fields[2], database), matches(fields[3], user)
            {
                return fields[4]
            }
        }
        return nil
    }

    /// One line's colon-separated fields, with `\:` and `\\` unescaped.
    static func fields(_ line: Substring) -> [String] {
        var fields: [String] = []
        var current = ""
        var escaped = false
        for character in line {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == ":" && fields.count < 4 {
                fields.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        fields.append(current)
        return fields
    }
}
