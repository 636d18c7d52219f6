import Logging
import PostgresNIO

/// The connections a `Ledger` on PostgreSQL reuses: an operation takes an idle one (or opens a
/// new one, within the address's connect timeout) and gives it back when it is done, unless the
/// operation failed on it, which closes it. `close()` closes the idle ones and makes every
/// later operation open and close its own.
///
/// Kept here rather than postgres-nio's `PostgresClient`, whose pool (in 1.33) holds a lease for
/// up to a minute while the server is down, whatever the connect timeout: here a server that is
/// down fails the operation after the URL's `connect_timeout`, and a connection an operation
/// failed on is never handed out again.
actor PostgresConnectionPool {
    private let configuration: @Sendable () throws -> PostgresConnection.Configuration
    private let logger: Logger
    private var idle: [PostgresConnection] = []
    private var nextID = 1
    private var closed = false

    /// Idle connections kept; more are closed when given back.
    static let maximumIdle = 4

    init(configuration: @escaping @Sendable () throws -> PostgresConnection.Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// An open connection: an idle one, or a new one.
    func take() async throws -> PostgresConnection {
        while let connection = idle.popLast() {
            if !connection.isClosed { return connection }
        }
        let id = nextID
        nextID += 1
        return try await PostgresConnection.connect(configuration: try configuration(), id: id, logger: logger)
    }

    /// Takes `connection` back: kept for the next operation when the last one succeeded on it
    /// and there is room, else closed.
    func giveBack(_ connection: PostgresConnection, healthy: Bool) async {
        if healthy, !closed, !connection.isClosed, idle.count < Self.maximumIdle {
            idle.append(connection)
        } else {
            try? await connection.close()
        }
    }

    /// Closes the idle connections; connections in use are closed when given back.
    func close() async {
        closed = true
        let connections = idle
        idle = []
        for connection in connections { try? await connection.close() }
    }
}
