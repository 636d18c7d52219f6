import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

extension LedgerError {
    /// What a PostgreSQL failure means for the ledger, in one line naming the server (never the
    /// password): the SQLSTATE when the server answered, else what stopped the connection.
    init(postgres error: any Error, address: PostgresAddress, connecting: Bool) {
        let location = address.description
        if let error = error as? LedgerError {
            self = error
            return
        }
        guard let error = error as? PSQLError else {
            self.init(connecting ? .unavailable : .io, location: location, message: Self.reason(error, address))
            return
        }
        let server = "\(address.host):\(address.port)"
        switch error.code {
        case .server:
            let state = error.serverInfo?[.sqlState] ?? ""
            let message = error.serverInfo?[.message] ?? "an error without a message"
            switch state {
            case "28P01", "28000":  // invalid_password, invalid_authorization_specification
                self.init(.permissionDenied, location: location, message: "the server refused user \(address.user): \(message)")
            case "42501":  // insufficient_privilege
                self.init(.permissionDenied, location: location, message: "user \(address.user) lacks a right: \(message)")
            case "23503":  // foreign_key_violation: an adjustment of a row that is not there
                self.init(.invalidValue, location: location, message: "\(message); nothing of the failed batch was written")
            case "3D000":  // invalid_catalog_name
                self.init(
                    .unavailable, location: location,
                    message: "database \(address.database) does not exist on \(server); create it first (createdb \(address.database))"
                )
            case let state where state.hasPrefix("08") || state.hasPrefix("57") || state.hasPrefix("53"):
                // connection exceptions, operator intervention (shutdown), insufficient resources
                self.init(.unavailable, location: location, message: "the server cannot serve the ledger now: \(message) (SQLSTATE \(state))")
            default:
                self.init(.notALedger, location: location, message: "\(message) (SQLSTATE \(state))")
            }
        case .sslUnsupported:
            self.init(
                .unavailable, location: location,
                message: "\(server) does not offer TLS and sslmode=\(address.tls.rawValue) requires it; use sslmode=disable only on a trusted network"
            )
        case .failedToAddSSLHandler:
            self.init(.unavailable, location: location, message: "cannot start TLS with \(server): \(Self.reason(error.underlying, address))")
        case .messageDecodingFailure, .unexpectedBackendMessage, .receivedUnencryptedDataAfterSSLRequest:
            self.init(.unavailable, location: location, message: "\(server) did not answer as a PostgreSQL server does")
        case .authMechanismRequiresPassword:
            self.init(
                .permissionDenied, location: location,
                message: "the server asks user \(address.user) for a password and none was given (the URL, PGPASSWORD or ~/.pgpass)"
            )
        case .unsupportedAuthMechanism, .saslError:
            self.init(.permissionDenied, location: location, message: "cannot log in as \(address.user): \(error.code)")
        case .serverClosedConnection, .uncleanShutdown, .clientClosedConnection:
            self.init(.unavailable, location: location, message: "\(server) closed the connection (the transaction it was in rolled back)")
        case .connectionError:
            self.init(.unavailable, location: location, message: Self.reason(error.underlying, address))
        default:
            self.init(connecting ? .unavailable : .io, location: location, message: "\(error.code)")
        }
    }

    /// A connection failure below PostgreSQL's protocol, in words: refused, timed out, no such host.
    private static func reason(_ error: (any Error)?, _ address: PostgresAddress) -> String {
        let server = address.host.hasPrefix("/") ? "the socket in \(address.host)" : "\(address.host):\(address.port)"
        switch error {
        case let error as NIOConnectionError:
            if let first = error.connectionErrors.first?.error { return reason(first, address) }
            if error.dnsAAAAError != nil || error.dnsAError != nil { return "cannot resolve \(address.host)" }
            return "cannot connect to \(server)"
        case let error as IOError where error.errnoCode == ECONNREFUSED:
            return "cannot connect to \(server): connection refused (is PostgreSQL running there?)"
        case let error as IOError where error.errnoCode == ENOENT:
            return "cannot connect to \(server): no server socket there (is PostgreSQL running?)"
        case let error as IOError:
            return "cannot connect to \(server): \(error.description)"
        case let error as ChannelError where error == .connectTimeout(.zero) || "\(error)".contains("connectTimeout"):
            return "cannot connect to \(server): no answer within \(address.connectTimeout) (connect_timeout)"
        case let error as NIOSSLError:
            return "TLS with \(server) failed: \(error)"
        case let error as BoringSSLError:
            return "TLS with \(server) failed: \(error)"
        case let error?:
            return "cannot reach \(server): \(String(describing: error).prefix(200))"
        case nil:
            return "cannot reach \(server)"
        }
    }
}
