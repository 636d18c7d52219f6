import Foundation
import Synchronization

extension PostgresServer {
    /// The one cluster a whole test process shares, each test in a database of its own: started
    /// on first use, stopped and removed when the process exits.
    package static func shared() throws -> PostgresServer {
        try sharedCluster.withLock { cluster in
            if let cluster { return try cluster.get() }
            let started = Result { try PostgresServer() }
            cluster = started
            if case .success = started {
                atexit { try? PostgresServer.sharedCluster.withLock { try $0?.get() }?.stop() }
            }
            return try started.get()
        }
    }

    /// A new, empty database on the shared cluster, and its URL.
    package static func sharedDatabase() throws -> (server: PostgresServer, url: String) {
        let server = try shared()
        let name = "t_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
        try server.createDatabase(name)
        // A minute to connect: a whole test run keeps both cores busy, and a pool's first
        // connection can wait behind it for more than libpq's usual ten seconds.
        return (server, server.url(database: name) + "&connect_timeout=60")
    }

    private static let sharedCluster = Mutex<Result<PostgresServer, any Error>?>(nil)
}
