import HTTPTypes
import Synchronization

/// What the curl thread and the consuming task share about one transfer: the response head,
/// buffered body chunks, the backpressure flag and the end. Every field is behind one lock;
/// continuations are resumed after the lock is released.
final class TransferState: Sendable {
    struct Head: Sendable {
        var status: Int
        var headers: HTTPFields
        var httpVersion: String
    }

    /// What the write callback should tell libcurl.
    enum Admission {
        case accepted
        case pause
    }

    private enum End {
        case finished
        case failed(TransportError)
    }

    private struct Inner {
        var head: Head?
        var headWaiter: CheckedContinuation<Head, any Error>?
        var chunks: [[UInt8]] = []
        var firstChunk = 0
        var bufferedBytes = 0
        var pausedForBackpressure = false
        var bodyWaiter: CheckedContinuation<[UInt8]?, any Error>?
        var end: End?
        var receivedResponseBytes = false

        var hasChunk: Bool { firstChunk < chunks.count }

        mutating func takeChunk() -> [UInt8] {
            let chunk = chunks[firstChunk]
            chunks[firstChunk] = []
            firstChunk += 1
            if firstChunk == chunks.count {
                chunks.removeAll(keepingCapacity: true)
                firstChunk = 0
            }
            bufferedBytes -= chunk.count
            return chunk
        }
    }

    /// The largest chunk made by joining libcurl's writes for a reader that is behind.
    static let coalescedChunkLimit = 64 * 1024

    let id: UInt64
    let url: String
    let highWater: Int
    let lowWater: Int
    private let counters: TransportCounters
    private let inner = Mutex(Inner())
    /// Whether the request body is still held back (see `Transport.start(_:holdingBody:)`).
    private let bodyHeld: Atomic<Bool>

    init(id: UInt64, url: String, highWater: Int, lowWater: Int, counters: TransportCounters, holdingBody: Bool = false) {
        self.id = id
        self.url = url
        self.highWater = highWater
        self.lowWater = lowWater
        self.counters = counters
        self.bodyHeld = Atomic(holdingBody)
    }

    /// Whether the curl thread must not send the request body yet.
    var isBodyHeld: Bool { bodyHeld.load(ordering: .acquiring) }

    /// Lets the body go; returns whether it was held (the curl thread must then be told).
    func releaseBody() -> Bool {
        bodyHeld.exchange(false, ordering: .acquiringAndReleasing)
    }

    // MARK: Curl thread side

    func deliverHead(_ head: Head) {
        let waiter = inner.withLock { inner -> CheckedContinuation<Head, any Error>? in
            guard inner.end == nil, inner.head == nil else { return nil }
            inner.head = head
            inner.receivedResponseBytes = true
            defer { inner.headWaiter = nil }
            return inner.headWaiter
        }
        waiter?.resume(returning: head)
    }

    /// Takes a chunk from libcurl, or asks libcurl to pause when the consumer is too far behind.
    /// A refused chunk is not copied: libcurl delivers it again after the transfer is resumed.
    func admit(_ bytes: UnsafeRawBufferPointer) -> Admission {
        let (admission, waiter, chunk) = inner.withLock {
            inner -> (Admission, CheckedContinuation<[UInt8]?, any Error>?, [UInt8]) in
            inner.receivedResponseBytes = true
            if inner.end != nil {
                return (.accepted, nil, [])  // cancelled: the remove command is on its way
            }
            if let waiter = inner.bodyWaiter {
                inner.bodyWaiter = nil
                return (.accepted, waiter, Array(bytes))
            }
            if inner.bufferedBytes >= highWater {
                inner.pausedForBackpressure = true
                counters.pauses.add(1, ordering: .relaxed)
                return (.pause, nil, [])
            }
            // Coalesce into the last unread chunk while it is small: a reader that fell behind
            // catches up with one wake-up instead of one per libcurl write.
            if inner.hasChunk, inner.chunks[inner.chunks.count - 1].count + bytes.count <= Self.coalescedChunkLimit {
                inner.chunks[inner.chunks.count - 1].append(contentsOf: bytes)
            } else {
                inner.chunks.append(Array(bytes))
            }
            inner.bufferedBytes += bytes.count
            counters.buffered(bytes.count, transferTotal: inner.bufferedBytes)
            return (.accepted, nil, [])
        }
        waiter?.resume(returning: chunk)
        return admission
    }

    /// Ends the transfer: `nil` for success. Buffered chunks stay readable before the end.
    func finish(_ error: TransportError?) {
        let (headWaiter, bodyWaiter, error) = inner.withLock {
            inner -> (CheckedContinuation<Head, any Error>?, CheckedContinuation<[UInt8]?, any Error>?, TransportError?) in
            guard inner.end == nil else { return (nil, nil, nil) }
            var final = error
            if inner.receivedResponseBytes { final?.receivedResponseBytes = true }
            inner.end = final.map(End.failed) ?? .finished
            let headWaiter = inner.headWaiter
            inner.headWaiter = nil
            var bodyWaiter: CheckedContinuation<[UInt8]?, any Error>?
            if !inner.hasChunk {
                bodyWaiter = inner.bodyWaiter
                inner.bodyWaiter = nil
            }
            return (headWaiter, bodyWaiter, final)
        }
        headWaiter?.resume(throwing: error ?? TransportError(
            code: .invalidResponse,
            url: url,
            message: "transfer from \(url) ended without a response"
        ))
        if let bodyWaiter {
            if let error {
                bodyWaiter.resume(throwing: error)
            } else {
                bodyWaiter.resume(returning: nil)
            }
        }
    }

    // MARK: Consumer side

    func awaitHead(_ continuation: CheckedContinuation<Head, any Error>) {
        let result = inner.withLock { inner -> Result<Head, TransportError>? in
            if let head = inner.head { return .success(head) }
            if case .failed(let error) = inner.end { return .failure(error) }
            if case .finished = inner.end {
                return .failure(TransportError(
                    code: .invalidResponse, url: url, message: "transfer from \(url) ended without a response"))
            }
            inner.headWaiter = continuation
            return nil
        }
        if let result { continuation.resume(with: result) }
    }

    /// Hands the next chunk, or `nil` at the end, to `continuation`. Returns true when the caller must ask the curl
    /// thread to unpause the transfer because the buffer drained below the low-water mark.
    func nextChunk(_ continuation: CheckedContinuation<[UInt8]?, any Error>) -> Bool {
        let (result, resume) = inner.withLock { inner -> (Result<[UInt8]?, TransportError>?, Bool) in
            if inner.hasChunk {
                let chunk = inner.takeChunk()
                counters.drained(chunk.count)
                var resume = false
                if inner.pausedForBackpressure, inner.bufferedBytes <= lowWater {
                    inner.pausedForBackpressure = false
                    counters.resumes.add(1, ordering: .relaxed)
                    resume = true
                }
                return (.success(chunk), resume)
            }
            switch inner.end {
            case .finished: return (.success(nil), false)
            case .failed(let error): return (.failure(error), false)
            case nil:
                inner.bodyWaiter = continuation
                return (nil, false)
            }
        }
        if let result { continuation.resume(with: result) }
        return resume
    }

    /// Ends the transfer as cancelled unless it already ended, dropping buffered chunks.
    /// Returns whether the curl thread still has to remove it.
    @discardableResult
    func cancel() -> Bool {
        let (wasRunning, headWaiter, bodyWaiter, error) = inner.withLock {
            inner -> (Bool, CheckedContinuation<Head, any Error>?, CheckedContinuation<[UInt8]?, any Error>?, TransportError) in
            let error = TransportError.cancelled(url: url, receivedResponseBytes: inner.receivedResponseBytes)
            if inner.bufferedBytes > 0 {
                counters.drained(inner.bufferedBytes)
                inner.bufferedBytes = 0
            }
            inner.chunks = []
            inner.firstChunk = 0
            guard inner.end == nil else { return (false, nil, nil, error) }
            inner.end = .failed(error)
            defer {
                inner.headWaiter = nil
                inner.bodyWaiter = nil
            }
            return (true, inner.headWaiter, inner.bodyWaiter, error)
        }
        headWaiter?.resume(throwing: error)
        bodyWaiter?.resume(throwing: error)
        return wasRunning
    }
}
