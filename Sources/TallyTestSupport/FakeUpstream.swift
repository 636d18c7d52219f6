import Foundation
import Glibc
import Synchronization

/// A real HTTP/1.1 server on 127.0.0.1 (an ephemeral port) serving canned replies and faults,
/// for tests and benchmarks of everything that talks to an upstream. Never for production.
///
/// Each connection is served by its own thread with blocking sockets, so every byte, pause and
/// reset happens exactly where a ``FakeUpstream/Reply`` says. Every request is recorded.
package final class FakeUpstream: Sendable {
    /// A request as the fake upstream received it.
    package struct RecordedRequest: Sendable {
        package var method: String
        /// The request target: path and query.
        package var path: String
        package var headers: [(name: String, value: String)]
        package var body: [UInt8]
        /// Which accepted connection (1, 2, …) carried it.
        package var connection: Int

        /// The first value of header `name`, compared case-insensitively.
        package func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }

        package var bodyText: String { String(decoding: body, as: UTF8.self) }
    }

    private struct State {
        var routes: [String: (replies: [Reply], served: Int)] = [:]
        var requests: [RecordedRequest] = []
        var connectionsAccepted = 0
        var abandonedResponses = 0
        var openSockets: Set<Int32> = []
        var stopped = false
        var bodyReadPause: Duration = .zero
    }

    /// The port the server listens on.
    package let port: Int
    private let listener: Int32
    private let state = Mutex(State())

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    package var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Binds to an ephemeral loopback port and starts accepting connections.
    package init() throws {
        let (fd, address) = try LoopbackSocket.bound(reuseAddress: true)
        guard listen(fd, 1024) == 0 else {
            let code = errno
            close(fd)
            throw FakeUpstreamError("listen on 127.0.0.1 failed: errno \(code)")
        }
        self.listener = fd
        self.port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "fake-upstream-accept"
        thread.start()
    }

    deinit {
        stop()
    }

    /// Serves `replies` in order to requests for `path` (the path without its query); the last
    /// reply repeats. A path with no replies gets a 404 with an OpenAI-style error body.
    package func respond(to path: String, with replies: Reply...) {
        respond(to: path, with: replies)
    }

    /// Serves `replies` in order to requests for `path`; the last reply repeats.
    package func respond(to path: String, with replies: [Reply]) {
        state.withLock { $0.routes[path] = (replies, 0) }
    }

    /// A pause before each read of a request body (64 KiB at most per read), to make a large
    /// upload slow. Default: none.
    package var bodyReadPause: Duration {
        get { state.withLock { $0.bodyReadPause } }
        set { state.withLock { $0.bodyReadPause = newValue } }
    }

    /// Every request received so far, in order of arrival.
    package var requests: [RecordedRequest] { state.withLock { $0.requests } }

    /// TCP connections accepted so far.
    package var connectionsAccepted: Int { state.withLock { $0.connectionsAccepted } }

    /// Replies cut short because the client closed the connection before all bytes were written
    /// (or, for an idle or endless reply, at any time).
    package var abandonedResponses: Int { state.withLock { $0.abandonedResponses } }

    /// Stops accepting and closes every open connection. Called by `deinit` too.
    package func stop() {
        // Under the lock, so no descriptor here can have been closed and reused meanwhile.
        state.withLock { state in
            if state.stopped { return }
            state.stopped = true
            shutdown(listener, Int32(SHUT_RDWR))
            for socket in state.openSockets { shutdown(socket, Int32(SHUT_RDWR)) }
        }
    }

    // MARK: Serving

    private func acceptLoop() {
        while true {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                if state.withLock({ $0.stopped }) { break }
                usleep(1000)  // ECONNABORTED, EMFILE, …: keep serving
                continue
            }
            let number = state.withLock { state -> Int? in
                if state.stopped { return nil }
                state.connectionsAccepted += 1
                state.openSockets.insert(fd)
                return state.connectionsAccepted
            }
            guard let number else {
                close(fd)
                break
            }
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let thread = Thread { [self] in serve(Connection(fd: fd), number: number) }
            thread.stackSize = 256 * 1024
            thread.start()
        }
        state.withLock { _ in _ = close(listener) }
    }

    private func serve(_ connection: Connection, number: Int) {
        defer {
            state.withLock { state in
                state.openSockets.remove(connection.fd)
                close(connection.fd)
            }
        }
        while let request = connection.readRequest(number: number, bodyReadPause: { self.bodyReadPause }) {
            let reply = state.withLock { state -> Reply in
                state.requests.append(request)
                let path = String(request.path.prefix { $0 != "?" })
                guard var route = state.routes[path], !route.replies.isEmpty else {
                    return .json(
                        #"{"error":{"message":"no route for \#(path) in the fake upstream","type":"not_found"}}"#,
                        status: 404)
                }
                let reply = route.replies[min(route.served, route.replies.count - 1)]
                route.served += 1
                state.routes[path] = route
                return reply
            }
            let outcome = reply.play(on: connection)
            switch outcome {
            case .complete: continue
            case .closed: return
            case .abandoned:
                state.withLock { $0.abandonedResponses += 1 }
                return
            }
        }
    }
}

func pauseThread(_ duration: Duration) {
    let (seconds, attoseconds) = duration.components
    Thread.sleep(forTimeInterval: Double(seconds) + Double(attoseconds) / 1e18)
}

/// The fake upstream could not start.
package struct FakeUpstreamError: Error, CustomStringConvertible {
    package var description: String
    init(_ description: String) { self.description = description }
}

/// One accepted socket, used by one thread only.
final class Connection {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(fd: Int32) {
        self.fd = fd
    }

    /// Reads one request (headers and a `Content-Length` or chunked body); nil at end of stream.
    func readRequest(number: Int, bodyReadPause: () -> Duration) -> FakeUpstream.RecordedRequest? {
        let terminator: [UInt8] = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        while headEnd == nil {
            if buffer.first == 0x16 {
                // A TLS ClientHello: answer in plain text, as a real plain-HTTP server would,
                // so the client's TLS layer fails at once instead of waiting.
                _ = write(Array("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".utf8))
                return nil
            }
            headEnd = buffer.firstRange(of: terminator)?.upperBound
            if headEnd == nil, !fill() { return nil }
        }
        guard let headEnd else { return nil }
        let headText = String(decoding: buffer[..<headEnd], as: UTF8.self)
        buffer.removeFirst(headEnd)
        var lines = headText.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        guard !lines.isEmpty else { return nil }
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count >= 2 else { return nil }
        let headers = lines.compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        var request = FakeUpstream.RecordedRequest(
            method: String(requestLine[0]), path: String(requestLine[1]), headers: headers, body: [], connection: number)
        if let length = request.header("content-length").flatMap(Int.init) {
            let pause = bodyReadPause()
            while buffer.count < length {
                if pause > .zero { pauseThread(pause) }
                if !fill() { return nil }
            }
            request.body = Array(buffer[..<length])
            buffer.removeFirst(length)
        } else if request.header("transfer-encoding")?.lowercased() == "chunked" {
            guard let body = readChunkedBody() else { return nil }
            request.body = body
        }
        return request
    }

    private func readChunkedBody() -> [UInt8]? {
        var body: [UInt8] = []
        while true {
            guard let line = readLine(), let size = Int(line.split(separator: ";")[0], radix: 16) else { return nil }
            if size == 0 {
                while let trailer = readLine(), !trailer.isEmpty {}
                return body
            }
            while buffer.count < size + 2 {
                if !fill() { return nil }
            }
            body.append(contentsOf: buffer[..<size])
            buffer.removeFirst(size + 2)
        }
    }

    private func readLine() -> String? {
        let crlf: [UInt8] = [13, 10]
        while true {
            if let range = buffer.firstRange(of: crlf) {
                let line = String(decoding: buffer[..<range.lowerBound], as: UTF8.self)
                buffer.removeFirst(range.upperBound)
                return line
            }
            if !fill() { return nil }
        }
    }

    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return false }
        buffer.append(contentsOf: chunk[..<count])
        return true
    }

    /// Writes all of `bytes`; false when the peer has gone.
    func write(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes {
                send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if sent < 0, errno == EINTR { continue }
            guard sent > 0 else { return false }
            offset += sent
        }
        return true
    }

    /// Blocks until the peer closes the connection (or the server stops).
    func waitForPeerToClose() {
        while fill() {}
    }

    /// Makes the coming close a TCP reset instead of an orderly FIN.
    func reset() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
    }
}
