import Glibc

/// A loopback port that refuses connections: held bound but never listening, so a connect gets
/// a reset at once, and no server started meanwhile can take the port. (A stopped server's port
/// is free for the next test that binds one, running in parallel.)
package final class ClosedPort: Sendable {
    /// The port that refuses every connection.
    package let port: Int
    private let socket: Int32

    package init() throws {
        let (socket, address) = try LoopbackSocket.bound(reuseAddress: false)
        self.socket = socket
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// `http://127.0.0.1:PORT`.
    package var baseURL: String { "http://127.0.0.1:\(port)" }

    deinit {
        close(socket)
    }
}
