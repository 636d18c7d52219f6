import PostgresNIO

/// Rollup deltas bound for one table, written in one or two statements whatever their number:
/// keys whose bucket is past every bucket the table holds for their grain are new, and go in
/// with `COPY`; the others are added with one `INSERT … SELECT FROM unnest(arrays) ON CONFLICT
/// DO UPDATE` (a statement with a parameter per value is parsed in time growing with it).
///
/// Telling new keys from the others by bucket alone is exact because only appends write rollup
/// rows, one at a time under the append lock: nothing can add a key between the look and the write.
struct RollupColumns {
    let tagged: Bool
    private(set) var deltas: [(key: RollupKey, totals: RollupTotals)] = []

    init(tagged: Bool) {
        self.tagged = tagged
    }

    var table: String { tagged ? "ledger_tag_rollup" : "ledger_rollup" }
    var keyColumns: [String] { tagged ? AppendStatements.tagRollupKeyColumns : AppendStatements.rollupKeyColumns }

    /// Adds one key's delta; each key comes once (the accumulator's keys are distinct, and a
    /// statement touching one row twice fails).
    mutating func append(_ key: RollupKey, _ totals: RollupTotals) {
        deltas.append((key, totals))
    }

    /// The newest bucket of each grain among `deltas` that the table holds, in one round trip.
    func newestBuckets(_ connection: PostgresConnection, logger: Logger) async throws -> [RollupGrain: Int64] {
        let grains = Array(Set(deltas.map(\.key.grain.rawValue)))
        guard !grains.isEmpty else { return [:] }
        let rows = try await connection.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT g.grain, (SELECT max(bucket) FROM \(table) WHERE grain = g.grain)
                    FROM unnest($1::bigint[]) AS g(grain)
                    """,
                binds: { var binds = PostgresBindings(); binds.append(grains); return binds }()
            ),
            logger: logger
        )
        var newest: [RollupGrain: Int64] = [:]
        for try await (grain, bucket) in rows.decode((Int64, Int64?).self) {
            if let grain = RollupGrain(rawValue: grain), let bucket { newest[grain] = bucket }
        }
        return newest
    }

    /// Keys from which telling new ones apart pays for its round trip: a few go in one upsert.
    static let copyFromKeys = 256

    /// Writes every delta: new keys with `COPY`, the rest with one upsert (all of them when they
    /// are few).
    func write(_ connection: PostgresConnection, logger: Logger) async throws {
        guard !deltas.isEmpty else { return }
        guard deltas.count >= Self.copyFromKeys else {
            try await connection.query(upsert(deltas), logger: logger)
            return
        }
        let newest = try await newestBuckets(connection, logger: logger)
        var fresh: [(key: RollupKey, totals: RollupTotals)] = []
        var existing: [(key: RollupKey, totals: RollupTotals)] = []
        for delta in deltas {
            if let bucket = newest[delta.key.grain], delta.key.bucket <= bucket { existing.append(delta) } else { fresh.append(delta) }
        }
        if !fresh.isEmpty { try await copy(fresh, connection, logger: logger) }
        if !existing.isEmpty { try await connection.query(upsert(existing), logger: logger) }
    }

    private func copy(_ deltas: [(key: RollupKey, totals: RollupTotals)], _ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.copyFrom(table: table, columns: keyColumns + AppendStatements.rollupSumColumns, logger: logger) { writer in
            var text = PostgresCopyText()
            for (key, totals) in deltas {
                text.append(key.grain.rawValue)
                text.append(key.bucket)
                if tagged { text.append(key.tag) }
                text.append(key.provider)
                text.append(key.model)
                text.append(key.project)
                text.append(key.user)
                for value in totals.values { text.append(value) }
                text.endRow()
                if text.byteCount >= PostgresLedgerStore.copyChunkBytes { try await writer.write(text.take()) }
            }
            if text.byteCount > 0 { try await writer.write(text.take()) }
        }
    }

    /// One statement adding `deltas` to their keys, creating those that are missing.
    private func upsert(_ deltas: [(key: RollupKey, totals: RollupTotals)]) -> PostgresQuery {
        var grains: [Int64] = [], buckets: [Int64] = [], tags: [String] = []
        var names: [[String]] = Array(repeating: [], count: 4)
        var sums: [[Int64]] = Array(repeating: [], count: RollupTotals.columnCount)
        for (key, totals) in deltas {
            grains.append(key.grain.rawValue)
            buckets.append(key.bucket)
            if tagged { tags.append(key.tag) }
            for (index, name) in [key.provider, key.model, key.project, key.user].enumerated() { names[index].append(name) }
            for (index, value) in totals.values.enumerated() { sums[index].append(value) }
        }
        var binds = PostgresBindings()
        var types = ["bigint[]", "bigint[]"]
        binds.append(grains)
        binds.append(buckets)
        if tagged {
            binds.append(tags)
            types.append("text[]")
        }
        for column in names {
            binds.append(column)
            types.append("text[]")
        }
        for column in sums {
            binds.append(column)
            types.append("bigint[]")
        }
        let arrays = types.enumerated().map { "$\($0.offset + 1)::\($0.element)" }.joined(separator: ", ")
        let columns = keyColumns + AppendStatements.rollupSumColumns
        let update = AppendStatements.rollupSumColumns.map { "\($0) = \(table).\($0) + excluded.\($0)" }.joined(separator: ", ")
        return PostgresQuery(
            unsafeSQL: "INSERT INTO \(table) (\(columns.joined(separator: ", "))) SELECT * FROM unnest(\(arrays)) "
                + "ON CONFLICT (\(keyColumns.joined(separator: ", "))) DO UPDATE SET \(update)",
            binds: binds
        )
    }
}
