import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// The provider `tally demo` talks to: an HTTP server on 127.0.0.1 inside the process that answers
/// each path with the replies queued for it, in turn (the last one again once the queue is down to
/// one). Nothing leaves the machine, no key is checked, nothing is billed.
package final class SimulatedProvider: Sendable {
    private let replies = Mutex<[String: [CannedReply]]>([:])

    package init() {}

    /// Answers `path` with `replies`, one per request, the last one repeated.
    package func respond(to path: String, with replies: [CannedReply]) {
        self.replies.withLock { $0[path] = replies }
    }

    /// Answers `path` with `reply` to every request.
    package func respond(to path: String, with reply: CannedReply) {
        respond(to: path, with: [reply])
    }

    /// Serves on a free loopback port while `body` runs, handing it the server's base URL
    /// ("http://127.0.0.1:PORT"); the server stops when `body` returns or throws.
    package func serving<R: Sendable>(_ body: @Sendable (String) async throws -> R) async throws -> R {
        let router = Router()
        router.post("**") { request, _ in self.answer(request.uri.path) }
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "tally.demo.provider")
        logger.logLevel = .warning
        let application = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: nil),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: logger
        )
        let services = ServiceGroup(configuration: .init(services: [application], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await services.run() }
            var port: Int?
            for await bound in ports { port = bound }
            // Stopped gracefully whatever `body` does: in-flight replies end, then the server.
            var result: Result<R, any Error> = .failure(SimulatedProviderError(message: "the simulated provider could not listen on 127.0.0.1"))
            if let port, port > 0 {
                do {
                    result = .success(try await body("http://127.0.0.1:\(port)"))
                } catch {
                    result = .failure(error)
                }
            }
            await services.triggerGracefulShutdown()
            try await group.waitForAll()
            return try result.get()
        }
    }

    private func answer(_ path: String) -> Response {
        let reply = replies.withLock { queue -> CannedReply? in
            guard var replies = queue[path], let first = replies.first else { return nil }
            if replies.count > 1 {
                replies.removeFirst()
                queue[path] = replies
            }
            return first
        } ?? .error(status: 404, message: "the simulated provider has no route \(path)", type: "not_found_error")
        var headers = reply.headers
        switch reply.body {
        case .json(let text):
            headers[.contentType] = "application/json"
            return Response(status: .init(code: reply.status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
        case .events(let events):
            headers[.contentType] = "text/event-stream"
            headers[.cacheControl] = "no-cache"
            let delay = reply.delay
            let stallAfter = reply.stallAfterEvents
            return Response(status: .init(code: reply.status), headers: headers, body: ResponseBody { writer in
                for (index, event) in events.enumerated() {
                    if index == stallAfter { try await Task.sleep(for: .seconds(1)) }
                    if delay > .zero { try await Task.sleep(for: delay) }
                    try await writer.write(ByteBuffer(string: event))
                }
                try await writer.finish(nil)
            })
        }
    }
}

/// The simulated provider could not start.
package struct SimulatedProviderError: Error, CustomStringConvertible {
    package var message: String
    package var description: String { message }
}
