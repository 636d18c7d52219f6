import Foundation
import PostgresNIO
import TallyPricing

extension PostgresLedgerStore: LedgerAppender {
    func submit(_ operation: WriteOperation) async throws -> WriteOutcome {
        guard let result = try await apply([operation]).first else {
            throw LedgerError(.io, location: location, message: "the write returned no result")
        }
        return try result.get()
    }

    /// Applies the operations in one transaction, as the SQLite store does: a failing
    /// transaction throws and writes nothing; a `complete` whose journal row is gone, or an
    /// adjustment of a row that is not there, fails alone, with the others committed.
    func apply(_ operations: [WriteOperation]) async throws(LedgerError) -> [Result<WriteOutcome, LedgerError>] {
        try await writeTransaction { connection, sums in
            try await apply(operations, connection, into: &sums)
        }
    }

    /// Turns journal rows of this host's processes that are gone into `interrupted` rows
    /// (``InFlightRequest/interruptedEntry(prices:)``), in one transaction holding the journal
    /// rows it takes, so two processes never recover a row twice. Rows of other hosts are never
    /// judged from here: whether their process lives cannot be seen from this one.
    func recover(prices: PriceBook?) async throws -> [StoredLedgerEntry] {
        let host = ProcessIdentity.hostName
        let location = self.location
        return try await writeTransaction { connection, sums in
            let rows = try await connection.query(
                """
                SELECT seq, id, ts_ms, provider, model_requested, endpoint, streamed, estimated_input_tokens,
                    project, user_name, tags, owner_pid, owner_start, owner_boot
                FROM ledger_journal WHERE owner_host = \(host) ORDER BY seq FOR UPDATE
                """,
                logger: Self.logger
            )
            var liveness: [ProcessIdentity: Bool] = [:]
            var operations: [WriteOperation] = []
            for try await row in rows {
                let columns = row.makeRandomAccess()
                let owner = ProcessIdentity(
                    pid: try columns[11].decode(Int64.self), startTicks: try columns[12].decode(Int64.self),
                    bootID: try columns[13].decode(String.self)
                )
                let alive = liveness[owner] ?? owner.isAlive
                liveness[owner] = alive
                if alive { continue }
                var request = InFlightRequest(
                    id: try columns[1].decode(String.self), timestamp: Date(timeIntervalSince1970: 0),
                    provider: try columns[3].decode(String.self), model: try columns[4].decode(String.self),
                    endpoint: try columns[5].decode(String.self), streamed: try columns[6].decode(Int.self) != 0,
                    estimatedInputTokens: try columns[7].decode(Int64.self),
                    attribution: Attribution(
                        project: try columns[8].decode(String?.self), user: try columns[9].decode(String?.self),
                        tags: try columns[10].decode(String.self).split(separator: "\u{1F}").map(String.init)
                    )
                )
                request.timestampMs = try columns[2].decode(Int64.self)
                operations.append(.complete(journalSeq: try columns[0].decode(Int64.self), entry: request.interruptedEntry(prices: prices)))
            }
            var recovered: [StoredLedgerEntry] = []
            for (operation, result) in zip(operations, try await apply(operations, connection, into: &sums)) {
                if case .complete(_, let entry) = operation, case .success(.appended(let seqs)) = result, let seq = seqs.first {
                    recovered.append(StoredLedgerEntry(seq: seq, entry: entry))
                } else if case .failure(let error) = result {
                    throw LedgerError(error.code, location: location, message: "recovering the journal: \(error.message)")
                }
            }
            return recovered
        }
    }

    func makeInstanceID() async throws -> String {
        try await writeTransaction { connection, _ in
            let fresh = UUID().uuidString.lowercased()
            try await connection.query(
                "INSERT INTO ledger_instance (id, created_ms) SELECT \(fresh), \(Int64(Date().timeIntervalSince1970 * 1000)) WHERE NOT EXISTS (SELECT 1 FROM ledger_instance)",
                logger: Self.logger
            )
            let rows = try await connection.query("SELECT id FROM ledger_instance", logger: Self.logger)
            for try await id in rows.decode(String.self) { return id }
            throw LedgerError(.io, location: location, message: "the instance id was not kept")
        }
    }

    /// The operations in order on `connection`, inside the caller's transaction; the rows'
    /// rollup sums go into `sums`.
    private func apply(
        _ operations: [WriteOperation], _ connection: PostgresConnection, into sums: inout RollupAccumulator
    ) async throws -> [Result<WriteOutcome, LedgerError>] {
        var results: [Result<WriteOutcome, LedgerError>] = []
        results.reserveCapacity(operations.count)
        for operation in operations {
            switch operation {
            case .begin(let request):
                results.append(.success(.begun(journalSeq: try await insertJournal(request, connection))))
            case .complete(let journalSeq, let entry):
                if let missing = try await missingAdjustedRow([entry], connection) {
                    results.append(.failure(missing))
                    continue
                }
                let deleted = try await connection.query("DELETE FROM ledger_journal WHERE seq = \(journalSeq) RETURNING seq", logger: Self.logger)
                var found = false
                for try await _ in deleted.decode(Int64.self) { found = true }
                guard found else {
                    results.append(.failure(LedgerError(
                        .invalidValue, location: location,
                        message: "request \(entry.id) is no longer in flight (already finished or recovered)"
                    )))
                    continue
                }
                results.append(.success(.appended(try await insert([entry], connection, into: &sums))))
            case .append(let entries):
                // Checked before any row of the batch is written: the batch goes in whole or not at all.
                if let missing = try await missingAdjustedRow(entries, connection) {
                    results.append(.failure(missing))
                    continue
                }
                results.append(.success(.appended(try await insert(entries, connection, into: &sums))))
            case .ship(let instance, let rows):
                results.append(try await ship(rows, from: instance, connection, into: &sums))
            }
        }
        return results
    }

    /// Appends the rows of `instance`'s spool past how far it has shipped, with their origins.
    private func ship(
        _ rows: [StoredLedgerEntry], from instance: String, _ connection: PostgresConnection, into sums: inout RollupAccumulator
    ) async throws -> Result<WriteOutcome, LedgerError> {
        var through: Int64 = 0
        for try await max in try await connection.query(
            "SELECT coalesce(max(origin_seq), 0) FROM ledger_origins WHERE instance = \(instance)", logger: Self.logger
        ).decode(Int64.self) { through = max }
        let pending = rows.filter { $0.seq > through }
        var shipped: [Int64: Int64] = [:]
        let adjusted = Array(Set(pending.compactMap(\.entry.adjusts)))
        if !adjusted.isEmpty {
            let found = try await connection.query(
                "SELECT origin_seq, seq FROM ledger_origins WHERE instance = \(instance) AND origin_seq = ANY(\(adjusted))",
                logger: Self.logger
            )
            for try await (originSeq, seq) in found.decode((Int64, Int64).self) { shipped[originSeq] = seq }
        }
        switch ShipBatch.entries(pending, instance: instance, shipped: shipped, location: location) {
        case .failure(let error):
            return .failure(error)
        case .success(let entries):
            let seqs = try await insert(entries, connection, into: &sums)
            if !entries.isEmpty {
                try await connection.query(
                    "INSERT INTO ledger_origins (seq, instance, origin_seq) SELECT s, \(instance), o FROM unnest(\(Array(seqs)), \(pending.map(\.seq))) AS t(s, o)",
                    logger: Self.logger
                )
            }
            return .success(.appended(seqs))
        }
    }

    /// Inserts rows under new, consecutive sequence numbers; returns them.
    private func insert(_ entries: [LedgerEntry], _ connection: PostgresConnection, into sums: inout RollupAccumulator) async throws -> Range<Int64> {
        guard !entries.isEmpty else { return 0..<0 }
        let seqs = try await allocateSeqs(entries.count, connection)
        try await insertRows(entries, seqs: seqs, connection, into: &sums)
        return seqs[0]..<(seqs[seqs.count - 1] + 1)
    }

    /// The first adjustment among `entries` whose row is not in the ledger, as the error it fails with.
    private func missingAdjustedRow(_ entries: [LedgerEntry], _ connection: PostgresConnection) async throws -> LedgerError? {
        let adjusted = entries.compactMap(\.adjusts)
        guard !adjusted.isEmpty else { return nil }
        let rows = try await connection.query("SELECT seq FROM ledger_rows WHERE seq = ANY(\(adjusted))", logger: Self.logger)
        var present = Set<Int64>()
        for try await seq in rows.decode(Int64.self) { present.insert(seq) }
        guard let entry = entries.first(where: { $0.adjusts.map { !present.contains($0) } ?? false }), let seq = entry.adjusts else { return nil }
        return LedgerError(.invalidValue, location: location, message: "adjustment \(entry.id) names row \(seq), which does not exist; nothing of its batch was written")
    }

    /// Records an in-flight request, owned by this process on this host; returns its journal sequence number.
    private func insertJournal(_ request: InFlightRequest, _ connection: PostgresConnection) async throws -> Int64 {
        let owner = ProcessIdentity.current
        let tags = request.attribution.tags.joined(separator: "\u{1F}")
        let rows = try await connection.query(
            """
            INSERT INTO ledger_journal (
                id, ts_ms, provider, model_requested, endpoint, streamed, estimated_input_tokens,
                project, user_name, tags, owner_pid, owner_start, owner_boot, owner_host
            ) VALUES (
                \(request.id), \(request.timestampMs), \(request.provider), \(request.model), \(request.endpoint),
                \(request.streamed ? 1 : 0), \(request.estimatedInputTokens), \(request.attribution.project),
                \(request.attribution.user), \(tags), \(owner.pid), \(owner.startTicks), \(owner.bootID), \(ProcessIdentity.hostName)
            ) RETURNING seq
            """,
            logger: Self.logger
        )
        for try await seq in rows.decode(Int64.self) { return seq }
        throw LedgerError(.io, location: location, message: "the journal returned no row")
    }
}
