package import HTTPTypes

extension Transport {
    /// The head of a response (its final header block, after any 1xx or followed redirect) and
    /// its body as a sequence of byte chunks.
    ///
    /// The transfer lives as long as this value or an iterator of ``body``: dropping both, or
    /// cancelling the task that reads the body, removes the transfer from libcurl at once.
    package struct Response: Sendable {
        /// The HTTP status code of the final response.
        package var status: Int
        /// The final header block's fields, in the order received.
        package var headers: HTTPFields
        /// The HTTP version the response came over: `"1.1"`, `"2"`, …
        package var httpVersion: String
        /// The body, in chunks as libcurl hands them over; writes that arrived while the reader
        /// was busy come joined, up to 64 KiB a chunk.
        package var body: Body

        /// Reads the whole body, failing with `TransportError` code `invalidResponse` past `limit` bytes.
        package func collectBody(upTo limit: Int) async throws -> [UInt8] {
            var bytes: [UInt8] = []
            for try await chunk in body {
                if bytes.count + chunk.count > limit {
                    throw TransportError(
                        code: .invalidResponse,
                        url: body.handle.state.url,
                        message: "response body from \(body.handle.state.url) is larger than \(limit) bytes",
                        receivedResponseBytes: true
                    )
                }
                bytes.append(contentsOf: chunk)
            }
            return bytes
        }
    }

    /// A response body: byte chunks in order, then the end or a `TransportError`.
    package struct Body: AsyncSequence, Sendable {
        package typealias Element = [UInt8]

        let handle: TransferHandle

        package func makeAsyncIterator() -> Iterator {
            Iterator(handle: handle)
        }

        /// Reads the body's chunks; keeps the transfer alive while it exists.
        package struct Iterator: AsyncIteratorProtocol {
            let handle: TransferHandle

            package mutating func next() async throws -> [UInt8]? {
                try await handle.nextChunk()
            }
        }
    }
}
