import Dispatch
import Synchronization

/// Appends to the ledger with group commit: one caller's write starts a transaction at once, and
/// writes that arrive while it runs are gathered into the next one.
///
/// No timer delays a lone caller; under load each transaction carries every write that queued
/// meanwhile, so throughput grows with the load. Each caller resumes when its own transaction has
/// committed (or failed: a failed transaction writes nothing and fails every write in it).
final class LedgerWriter: Sendable {
    private struct Pending: Sendable {
        var operation: WriteOperation
        var continuation: CheckedContinuation<WriteOutcome, any Error>
    }

    private struct State: Sendable {
        var pending: [Pending] = []
        var draining = false
    }

    private let storage: SQLiteLedgerStorage
    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "tally.ledger.writer", qos: .userInitiated)

    init(storage: SQLiteLedgerStorage) {
        self.storage = storage
    }

    /// Queues one write and returns once it is committed.
    func submit(_ operation: WriteOperation) async throws -> WriteOutcome {
        try await withCheckedThrowingContinuation { continuation in
            let startDraining = state.withLock { state in
                state.pending.append(Pending(operation: operation, continuation: continuation))
                if state.draining { return false }
                state.draining = true
                return true
            }
            if startDraining {
                queue.async { self.drain() }
            }
        }
    }

    /// Commits queued writes, one transaction per gathered group, until none are left.
    private func drain() {
        while true {
            let group: [Pending] = state.withLock { state in
                if state.pending.isEmpty {
                    state.draining = false
                    return []
                }
                defer { state.pending.removeAll(keepingCapacity: true) }
                return state.pending
            }
            if group.isEmpty { return }
            do {
                let results = try storage.write(group.map(\.operation))
                for (index, pending) in group.enumerated() {
                    guard index < results.count else {
                        // Never expected: every operation gets a result. No caller may hang on it.
                        pending.continuation.resume(throwing: LedgerError(.io, path: storage.path, message: "the write returned no result"))
                        continue
                    }
                    pending.continuation.resume(with: results[index].mapError { $0 as any Error })
                }
            } catch {
                let failure = storage.ledgerError(error)
                for pending in group { pending.continuation.resume(throwing: failure) }
            }
        }
    }
}
