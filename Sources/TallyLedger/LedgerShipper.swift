package import Foundation
import Synchronization

/// Moves a spool's rows into a shared ledger exactly once (`tally ledger ship`, and the
/// gateways' shippers to come).
///
/// A spool is a SQLite ledger with an instance id of its own. Each batch goes in one transaction
/// of the target (rows, tags, rollups, and each row's origin: the instance id and its sequence
/// number in the spool); the target skips rows at or below the largest origin it holds for the
/// instance, and the shipper starts from that mark, read back from the target, so a batch sent
/// twice (a retry, two shippers at once, a lost local mark) is written once and none is skipped.
package struct LedgerShipper: Sendable {
    /// What one run did.
    package struct Outcome: Sendable, Hashable {
        /// The spool's instance id.
        package var instance: String
        /// Rows this run wrote into the target.
        package var shipped: Int64
        /// The spool's last row now in the target (0: none).
        package var through: Int64
    }

    /// How far a spool is behind its target.
    package struct Backlog: Sendable, Hashable {
        /// The spool's instance id (nil: the spool never made one, so nothing of it has shipped).
        package var instance: String?
        /// The spool's last row in the target (0: none).
        package var through: Int64
        /// Rows of the spool not in the target.
        package var rows: Int64
        /// When the oldest of them was written (nil: none).
        package var oldest: Date?
    }

    /// Rows per transaction at most; a batch also ends before an adjustment of one of its own rows.
    package var batchRows = 20_000
    package var spool: Ledger
    package var target: Ledger
    /// The spool's instance id, when known (else read, or made, at the start of each run).
    package var instance: String?

    /// A shipper from `spool` to `target`.
    package init(spool: Ledger, target: Ledger) {
        self.spool = spool
        self.target = target
    }

    /// Ships every row of the spool the target lacks; `progress` hears rows shipped so far.
    package func run(progress: @Sendable (_ shipped: Int64) -> Void = { _ in }) async throws -> Outcome {
        let instance: String
        if let known = self.instance { instance = known } else { instance = try await spool.makeInstanceID() }
        var through = try await target.reader.store.shippedThrough(instance: instance)
        var shipped: Int64 = 0
        while true {
            let rows = try await spool.reader.entries(after: through, limit: batchRows)
            guard !rows.isEmpty else { break }
            let batch = Self.prefixShippableTogether(rows)
            let written = try await target.ship(batch, from: instance)
            shipped += Int64(written.count)
            through = batch[batch.count - 1].seq
            progress(shipped)
        }
        return Outcome(instance: instance, shipped: shipped, through: through)
    }

    /// How far `spool` is behind `target`, without writing either.
    package static func backlog(spool: LedgerReader, target: LedgerReader) async throws -> Backlog {
        guard let instance = try await spool.store.instanceID() else {
            return try await backlog(spool: spool, instance: nil, through: 0)
        }
        return try await backlog(spool: spool, instance: instance, through: target.store.shippedThrough(instance: instance))
    }

    /// The spool's rows after `through`, the last row known shipped, read from the spool alone.
    static func backlog(spool: LedgerReader, instance: String?, through: Int64) async throws -> Backlog {
        let oldest = try await spool.entries(after: through, limit: 1).first
        let rows = try await spool.store.countRows(after: through)
        return Backlog(instance: instance, through: through, rows: rows, oldest: oldest?.entry.timestamp)
    }

    /// The longest prefix of `rows` in which no adjustment names a row of the same prefix: the
    /// target learns a shipped row's number only once it is written, and an adjustment there must
    /// name it. Never empty for non-empty `rows`.
    static func prefixShippableTogether(_ rows: [StoredLedgerEntry]) -> [StoredLedgerEntry] {
        guard let first = rows.first?.seq else { return rows }
        let end = rows.indices.dropFirst().first { index in
            rows[index].entry.adjusts.map { $0 >= first } ?? false
        }
        return end.map { Array(rows[..<$0]) } ?? rows
    }
}

/// The rows of a shipped batch as the target writes them (shared by both stores' `.ship`).
enum ShipBatch {
    /// `pending`'s entries with each adjustment's `adjusts` turned from the spool's number into
    /// the target's (`shipped`: spool number → target number); fails, writing nothing, when an
    /// adjustment names a spool row the target does not hold.
    static func entries(
        _ pending: [StoredLedgerEntry], instance: String, shipped: [Int64: Int64], location: String
    ) -> Result<[LedgerEntry], LedgerError> {
        var entries: [LedgerEntry] = []
        entries.reserveCapacity(pending.count)
        for row in pending {
            var entry = row.entry
            if let adjusts = entry.adjusts {
                guard let seq = shipped[adjusts] else {
                    return .failure(LedgerError(
                        .invalidValue, location: location,
                        message: "adjustment \(entry.id) names row \(adjusts) of spool \(instance), which has not been shipped; nothing of its batch was written"
                    ))
                }
                entry.adjusts = seq
            }
            entries.append(entry)
        }
        return .success(entries)
    }
}

/// A spool shipped into its ledger until asked to stop (`tally serve --spool`): a pass every
/// `interval`; when the ledger cannot be opened or written (at start, or while its server is
/// down), the next try waits 1, 2, 4 … up to 30 s. Rows wait in the spool meanwhile, and
/// `report` says what failed: the first failure after a success, then at most once a minute.
/// Asked to stop, it makes one last pass, so rows of requests that finished during a graceful
/// shutdown ship too.
package struct SpoolShipping: Sendable {
    package var spool: Ledger
    package var target: LedgerLocation
    package var interval: Duration = .seconds(1)
    package var report: @Sendable (String) -> Void
    /// Hears the backlog after every pass, and while the ledger cannot be reached (counted then
    /// from the spool alone, after the last row known shipped).
    package var observeBacklog: @Sendable (LedgerShipper.Backlog) -> Void = { _ in }

    /// Ships `spool` into the ledger at `target`.
    package init(spool: Ledger, target: LedgerLocation, report: @escaping @Sendable (String) -> Void) {
        self.spool = spool
        self.target = target
        self.report = report
    }

    /// Ships until `stop` is raised (then makes a last pass) or the task is cancelled; returns
    /// how many of the spool's rows the ledger lacks at the end (nil: it could not be asked).
    package func run(until stop: ShippingStop) async -> Int64? {
        var failures = 0
        var lastReport: ContinuousClock.Instant?
        var shippedThrough: Int64 = 0
        while !Task.isCancelled {
            let stopping = stop.isRaised
            do {
                let instance = try await spool.makeInstanceID()
                let ledger = try await Ledger.open(target)
                return try await ledger.whileRunning {
                    while true {
                        let last = stop.isRaised
                        var shipper = LedgerShipper(spool: spool, target: ledger)
                        shipper.instance = instance
                        let outcome = try await shipper.run()
                        shippedThrough = outcome.through
                        observeBacklog(try await LedgerShipper.backlog(spool: spool.reader, instance: instance, through: outcome.through))
                        if failures > 0 {
                            report("shipping to \(ledger.location) resumed: \(outcome.shipped) row(s) shipped, through spool row \(outcome.through)")
                            failures = 0
                        }
                        if last || Task.isCancelled {
                            return try await LedgerShipper.backlog(spool: spool.reader, instance: instance, through: outcome.through).rows
                        }
                        await stop.wait(for: interval)
                    }
                }
            } catch {
                if Task.isCancelled { return nil }
                failures += 1
                let now = ContinuousClock.now
                if failures == 1 || stopping || lastReport.map({ now - $0 >= .seconds(60) }) ?? true {
                    lastReport = now
                    let message = (error as? LedgerError).map { "\($0.location): \($0.message)" } ?? "\(error)"
                    report("shipping the spool failed, rows wait in \(spool.location)\(stopping ? "" : " and shipping will be tried again"): \(message)")
                }
                if stopping { return nil }
                if let instance = try? await spool.reader.store.instanceID(),
                   let backlog = try? await LedgerShipper.backlog(spool: spool.reader, instance: instance, through: shippedThrough) {
                    observeBacklog(backlog)
                }
                await stop.wait(for: .seconds(min(30, 1 << min(failures - 1, 5))))
            }
        }
        return nil
    }
}

/// Asks a ``SpoolShipping`` to make its last pass and stop; waits between passes end early when it is raised.
package final class ShippingStop: Sendable {
    private let raised = Atomic(false)

    package init() {}

    /// Whether a stop was asked for.
    package var isRaised: Bool { raised.load(ordering: .acquiring) }

    /// Asks for the stop.
    package func raise() { raised.store(true, ordering: .releasing) }

    /// Waits `duration`, or less once the stop is raised (checked every 50 ms) or the task is cancelled.
    func wait(for duration: Duration) async {
        let end = ContinuousClock.now + duration
        while !isRaised, !Task.isCancelled, ContinuousClock.now < end {
            try? await Task.sleep(for: min(.milliseconds(50), end - ContinuousClock.now))
        }
    }
}
