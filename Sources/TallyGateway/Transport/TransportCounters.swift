import Synchronization

/// Counters the curl thread and consumers update without a lock; read by tests and benchmarks.
final class TransportCounters: Sendable {
    let liveTransfers = Atomic<Int>(0)
    let bufferedBytes = Atomic<Int>(0)
    let peakTransferBufferedBytes = Atomic<Int>(0)
    let pauses = Atomic<Int>(0)
    let resumes = Atomic<Int>(0)
    let newConnections = Atomic<Int>(0)
    let completedTransfers = Atomic<Int>(0)

    func buffered(_ count: Int, transferTotal: Int) {
        bufferedBytes.add(count, ordering: .relaxed)
        var peak = peakTransferBufferedBytes.load(ordering: .relaxed)
        while transferTotal > peak {
            let (exchanged, original) = peakTransferBufferedBytes.compareExchange(
                expected: peak, desired: transferTotal, ordering: .relaxed)
            if exchanged { break }
            peak = original
        }
    }

    func drained(_ count: Int) {
        bufferedBytes.subtract(count, ordering: .relaxed)
    }
}

extension Transport {
    /// A snapshot of the transport's counters, for tests and benchmarks.
    package struct Statistics: Sendable {
        /// Transfers currently added to the multi handle.
        package var liveTransfers: Int
        /// Body bytes received from libcurl and not yet read by a consumer, over all transfers.
        package var bufferedBytes: Int
        /// The most body bytes one transfer ever held buffered.
        package var peakTransferBufferedBytes: Int
        /// How often a transfer was paused because its consumer fell behind.
        package var pauses: Int
        /// How often a paused transfer was resumed.
        package var resumes: Int
        /// TCP (or TLS) connections libcurl opened; fewer than transfers means connections were reused.
        package var newConnections: Int
        /// Transfers that ended, by completion, failure or cancellation.
        package var completedTransfers: Int
    }
}
