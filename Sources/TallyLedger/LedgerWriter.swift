import Dispatch
import Synchronization
import TallyPricing

/// Appends to the ledger with group commit: one caller's write starts a transaction at once, and
/// writes that arrive while it runs are gathered into the next one.
///
/// No timer delays a lone caller; under load each transaction carries every write that queued
/// meanwhile, so throughput grows with the load. Each caller resumes when its own transaction has
/// committed (or failed: a failed transaction writes nothing and fails every write in it).
final class LedgerWriter: LedgerAppender {
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

    func makeInstanceID() async throws -> String {
        try storage.makeInstanceID()
    }

    func recover(prices: PriceBook?) async throws -> [StoredLedgerEntry] {
        try await storage.recover(prices: prices)
    }

    /// A file needs nothing running: returns at once.
    func run() async {}

    /// Writes `operation` and returns once it is committed.
    ///
    /// A small write (a journal row, one row) that finds the writer idle is committed right here,
    /// on the caller's thread: handing it to the writer's queue and back costs two thread
    /// wake-ups, which on a quiet ledger take longer than the commit itself (a WAL commit with
    /// synchronous=NORMAL does not sync). It never waits for another process's lock there: a
    /// busy file sends it to the queue, which waits. Everything else goes through the queue.
    func submit(_ operation: WriteOperation) async throws -> WriteOutcome {
        if operation.isSmall, state.withLock({ state in
            if state.draining { return false }
            state.draining = true
            return true
        }) {
            let written: [Result<WriteOutcome, LedgerError>]?
            do {
                written = try storage.write([operation], waitingForLock: false)
            } catch {
                handOff()
                throw storage.ledgerError(error)
            }
            if let result = written?.first {
                handOff()
                return try result.get()
            }
            // Another process holds the write lock: wait for it in the queue, which is ours
            // (`draining` is still set).
            return try await withCheckedThrowingContinuation { continuation in
                state.withLock { $0.pending.insert(Pending(operation: operation, continuation: continuation), at: 0) }
                queue.async { self.drain() }
            }
        }
        return try await withCheckedThrowingContinuation { continuation in
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

    /// Ends a write made on a caller's thread: writes that queued meanwhile go to the queue.
    private func handOff() {
        let more = state.withLock { state in
            if state.pending.isEmpty { state.draining = false }
            return state.draining
        }
        if more { queue.async { self.drain() } }
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
            // Journal rows first, in a transaction of their own: each holds a request back from
            // the upstream until it commits, while a finished request's row only delays its caller.
            let journal = group.filter(\.operation.isBegin)
            if !journal.isEmpty, journal.count < group.count {
                commit(journal)
                commit(group.filter { !$0.operation.isBegin })
            } else {
                commit(group)
            }
        }
    }

    /// Commits `group` in one transaction and resumes each caller with its own result.
    private func commit(_ group: [Pending]) {
        do {
            guard let results = try storage.write(group.map(\.operation), waitingForLock: true) else {
                throw LedgerError(.io, location: storage.path, message: "still locked by another process")
            }
            for (index, pending) in group.enumerated() {
                guard index < results.count else {
                    // Never expected: every operation gets a result. No caller may hang on it.
                    pending.continuation.resume(throwing: LedgerError(.io, location: storage.path, message: "the write returned no result"))
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
