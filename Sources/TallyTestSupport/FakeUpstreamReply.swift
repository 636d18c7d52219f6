import Foundation
import TallyJSON

extension FakeUpstream {
    /// What the fake upstream does with one request: a head, body parts, their pacing, and how
    /// the reply ends (normally, with a reset, hanging, or never).
    package struct Reply: Sendable {
        /// How a reply ends once its head and parts are written.
        package enum Ending: Sendable {
            /// The body is complete and the connection is kept for the next request.
            case complete
            /// The body is complete, then the connection is closed (FIN) without `Connection: close`.
            case close
            /// Sends nothing more and holds the connection open until the client closes it.
            case hang
            /// Repeats a chunk of this many bytes until the client closes the connection.
            case endless(chunkSize: Int)
        }

        package var status: Int
        package var headers: [(name: String, value: String)]
        /// Body parts, each written with one `send` (framed as one chunk when `chunked`).
        package var parts: [[UInt8]]
        /// Framing: chunked transfer encoding, else `Content-Length`.
        package var chunked: Bool
        /// Pause before each body part (and between single bytes when `bytePerWrite`).
        package var delay: Duration = .zero
        /// Pause before the first body part instead of `delay`, when set.
        package var firstPartDelay: Duration?
        /// Writes every byte of the reply (head included) with its own `send`.
        package var bytePerWrite = false
        /// Resets the connection (TCP RST) after this many bytes of the reply; 0 resets before
        /// any response byte.
        package var resetAfterBytes: Int?
        package var ending: Ending = .complete
        /// False for a reply that sends no head at all (see ``silent``).
        package var sendsHead = true

        package init(
            status: Int, headers: [(name: String, value: String)] = [], parts: [[UInt8]], chunked: Bool
        ) {
            self.status = status
            self.headers = headers
            self.parts = parts
            self.chunked = chunked
        }

        // MARK: Canned replies

        /// A complete body with `Content-Length`.
        package static func json(
            _ body: String, status: Int = 200, headers: [(name: String, value: String)] = []
        ) -> Reply {
            Reply(
                status: status, headers: [("Content-Type", "application/json")] + headers,
                parts: [Array(body.utf8)], chunked: false)
        }

        /// An error status with an OpenAI/Anthropic-style `{"error":{"message":…}}` body.
        package static func error(
            status: Int, message: String, type: String = "error", headers: [(name: String, value: String)] = []
        ) -> Reply {
            json(
                #"{"error":{"message":"\#(jsonEscaped(message))","type":"\#(type)"}}"#,
                status: status, headers: headers)
        }

        /// 429 with `Retry-After` (seconds or an HTTP date, as given).
        package static func rateLimited(retryAfter: String) -> Reply {
            error(status: 429, message: "Rate limit reached", type: "rate_limit_error",
                  headers: [("Retry-After", retryAfter)])
        }

        /// A `text/event-stream` body, one chunk per event, each event written as given
        /// (include the trailing blank line: `"data: x\n\n"`).
        package static func sse(_ events: [String], delay: Duration = .zero) -> Reply {
            var reply = Reply(
                status: 200, headers: [("Content-Type", "text/event-stream"), ("Cache-Control", "no-cache")],
                parts: events.map { Array($0.utf8) }, chunked: true)
            reply.delay = delay
            return reply
        }

        /// Accepts the request, then resets the connection before sending any byte.
        package static var resetBeforeResponse: Reply {
            var reply = Reply(status: 200, parts: [], chunked: false)
            reply.resetAfterBytes = 0
            return reply
        }

        /// Sends a streaming head, then nothing, holding the connection until the client leaves.
        package static var idle: Reply {
            var reply = sse([])
            reply.ending = .hang
            return reply
        }

        /// Accepts the request and sends nothing at all, not even a head.
        package static var silent: Reply {
            var reply = Reply(status: 200, parts: [], chunked: false)
            reply.ending = .hang
            reply.sendsHead = false
            return reply
        }

        /// A stream that never ends: chunks of `chunkSize` bytes of SSE comments, as fast as the
        /// client reads.
        package static func endless(chunkSize: Int = 16 * 1024) -> Reply {
            var reply = sse([])
            reply.ending = .endless(chunkSize: chunkSize)
            return reply
        }

        // MARK: Modifiers

        /// The same reply, paced: `delay` before each part.
        package func paced(_ delay: Duration) -> Reply {
            var reply = self
            reply.delay = delay
            return reply
        }

        /// The same reply as a model streams it: the head and first part at once, then
        /// `interval` before each later part.
        package func streamed(every interval: Duration) -> Reply {
            var reply = self
            reply.delay = interval
            reply.firstPartDelay = .zero
            return reply
        }

        /// The same reply, one byte per `send`, with `delay` between bytes.
        package func bytePerWrite(delay: Duration = .zero) -> Reply {
            var reply = self
            reply.bytePerWrite = true
            reply.delay = delay
            return reply
        }

        /// The same reply, cut by a TCP reset after `bytes` bytes of it (head included).
        package func resetting(afterBytes bytes: Int) -> Reply {
            var reply = self
            reply.resetAfterBytes = bytes
            return reply
        }

        /// The same reply, ending as given.
        package func ending(_ ending: Ending) -> Reply {
            var reply = self
            reply.ending = ending
            return reply
        }

        // MARK: Playing

        enum Outcome {
            case complete
            case closed
            case abandoned
        }

        /// The bytes on the wire, as separate writes.
        private func writes() -> [[UInt8]] {
            if !sendsHead { return [] }
            var head = "HTTP/1.1 \(status) \(reasonPhrase(status))\r\n"
            for header in headers { head += "\(header.name): \(header.value)\r\n" }
            if chunked {
                head += "Transfer-Encoding: chunked\r\n"
            } else {
                head += "Content-Length: \(parts.reduce(0) { $0 + $1.count })\r\n"
            }
            head += "\r\n"
            var writes = [Array(head.utf8)]
            for part in parts where !part.isEmpty {
                writes.append(chunked ? chunk(part) : part)
            }
            switch ending {
            case .complete, .close:
                if chunked { writes.append(Array("0\r\n\r\n".utf8)) }
            case .hang, .endless:
                break
            }
            return writes
        }

        func play(on connection: Connection) -> Outcome {
            var written = 0
            if resetAfterBytes == 0 {
                connection.reset()
                return .closed
            }
            for (index, write) in writes().enumerated() {
                let pieces = bytePerWrite ? write.map { [$0] } : [write]
                for piece in pieces {
                    if index > 0 || bytePerWrite {
                        let pause = index == 1 && !bytePerWrite ? firstPartDelay ?? delay : delay
                        if pause > .zero { sleep(pause) }
                    }
                    var piece = piece
                    if let limit = resetAfterBytes, written + piece.count >= limit {
                        piece = Array(piece.prefix(limit - written))
                        if !piece.isEmpty, !connection.write(piece) { return .abandoned }
                        sleep(.milliseconds(20))  // let the bytes leave before the reset
                        connection.reset()
                        return .closed
                    }
                    guard connection.write(piece) else { return .abandoned }
                    written += piece.count
                }
            }
            switch ending {
            case .complete:
                return .complete
            case .close:
                return .closed
            case .hang:
                connection.waitForPeerToClose()
                return .abandoned
            case .endless(let size):
                let part = chunk(Array(repeating: UInt8(ascii: ":"), count: max(size - 1, 1)) + [10])
                while true {
                    if delay > .zero { sleep(delay) }
                    guard connection.write(part) else { return .abandoned }
                }
            }
        }

        private func chunk(_ bytes: [UInt8]) -> [UInt8] {
            Array(String(bytes.count, radix: 16).utf8) + [13, 10] + bytes + [13, 10]
        }
    }
}

private func sleep(_ duration: Duration) {
    pauseThread(duration)
}

private func reasonPhrase(_ status: Int) -> String {
    switch status {
    case 200: "OK"
    case 400: "Bad Request"
    case 401: "Unauthorized"
    case 403: "Forbidden"
    case 404: "Not Found"
    case 408: "Request Timeout"
    case 429: "Too Many Requests"
    case 500: "Internal Server Error"
    case 502: "Bad Gateway"
    case 503: "Service Unavailable"
    case 504: "Gateway Timeout"
    default: "Status"
    }
}

/// `text` as the inside of a JSON string literal.
package func jsonEscaped(_ text: String) -> String {
    let quoted: Substring = JSONValue.quoted(text)[...]
    return String(quoted.dropFirst().dropLast())
}
