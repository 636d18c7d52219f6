import Glibc

/// A loopback port whose accept queue is full, so a new connection's SYN is dropped and the
/// connect hangs: the way to test a connect timeout without an unroutable address.
package final class BlackHoleListener: Sendable {
    /// The port that never completes a connection.
    package let port: Int
    private let sockets: [Int32]

    package init() throws {
        let (listener, boundAddress) = try LoopbackSocket.bound(reuseAddress: false)
        var address = boundAddress
        guard listen(listener, 0) == 0 else {
            let code = errno
            close(listener)
            throw FakeUpstreamError("listen on 127.0.0.1 failed: errno \(code)")
        }
        var sockets = [listener]
        // Connections nobody accepts fill the queue (a backlog of 0 still holds one or two).
        for _ in 0..<3 {
            let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            sockets.append(client)
        }
        usleep(50_000)
        self.port = Int(UInt16(bigEndian: address.sin_port))
        self.sockets = sockets
    }

    deinit {
        for socket in sockets { close(socket) }
    }
}
