import Foundation
import GRDB
import GRDBSQLite
import TallyPricing
import TallyUsage
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The ledger on one SQLite file: the only place that knows SQLite or holds a connection to it.
///
/// `LedgerReader` reads it through ``LedgerStore``, as it reads a PostgreSQL database; the
/// writer and `Ledger` append to it with group commit, a detail of this store.
final class SQLiteLedgerStorage: LedgerStore {
    enum Mode: Sendable {
        /// Open for appending: create the file (mode 0600) when missing, migrate, recover.
        case write
        /// Open read-only; the schema must be current.
        case read
        /// Open read-only whatever the (non-newer) schema, to describe the file.
        case inspect
    }

    /// How long a write waits for another process's lock before failing.
    static let busyTimeoutSeconds = 5

    let path: String
    var location: String { path }
    let migrator: Migrator
    let reader: any DatabaseReader
    /// The file as it was when opened `immutable` (no `-wal` file, so no locks are taken); nil
    /// for an ordinary open. Each read checks the file is still so (see ``read(_:)``).
    private let immutableSnapshot: FileSnapshot?
    let writer: (any DatabaseWriter)?
    /// The schema version recorded in the file when it was opened (after migrating, in write mode).
    let schemaVersion: Int
    /// Checkpoints the write-ahead log off the append path (write mode only).
    private let checkpointer: Checkpointer?

    /// Opens the file; `maximumPageCount` caps its size (tests use it to make the disk "fill").
    init(
        path: String, mode: Mode, migrations: [Migration] = Migration.sqlite, maximumPageCount: Int? = nil,
        migrationProgress: (@Sendable (_ done: Int, _ of: Int) -> Void)? = nil
    ) throws {
        let migrator = Migrator(migrations: migrations, path: path)
        let checkpointer = mode == .write ? Checkpointer(path: path) : nil
        self.checkpointer = checkpointer
        self.path = path
        self.migrator = migrator
        do {
            try Self.checkPath(path, mode: mode)
            var configuration = Configuration()
            configuration.busyMode = .timeout(TimeInterval(Self.busyTimeoutSeconds))
            configuration.label = "tally.ledger"
            switch mode {
            case .write:
                // Check an existing file read-only first: opening a pool switches the file to WAL
                // and writes to it, which a refused file (another application's database, a
                // newer ledger) must never see.
                if Self.fileSize(path) > 0 {
                    var readOnly = configuration
                    readOnly.readonly = true
                    _ = try DatabaseQueue(path: path, configuration: readOnly).read { db in
                        try migrator.checkedRecord(db, creating: false)
                    }
                }
                configuration.prepareDatabase { db in
                    // WAL with synchronous=NORMAL: a commit survives the process crashing at
                    // any point; only an OS crash or power loss can lose the last commits.
                    // 8 KiB pages for a new file (a no-op on an existing one): about 8% more
                    // rows per second in bulk than 4 KiB, at a still small write per commit.
                    // Foreign keys are left unenforced: tags are written with their row, and an
                    // adjustment's row is checked before its batch (a violation found by SQLite
                    // would fail every caller grouped into the same transaction).
                    try db.execute(sql: "PRAGMA page_size = 8192; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536; PRAGMA journal_size_limit = 67108864")
                    checkpointer?.install(on: db)
                    if let maximumPageCount {
                        _ = try Int.fetchOne(db, sql: "PRAGMA max_page_count = \(maximumPageCount)")
                    }
                }
                let pool = try Self.openPool(path: path, configuration: configuration)
                try migrator.migrate(pool, progress: migrationProgress)
                self.writer = pool
                self.reader = pool
                self.immutableSnapshot = nil
                self.schemaVersion = migrator.latestVersion
            case .read, .inspect:
                configuration.readonly = true
                let (queue, snapshot) = try Self.openReadOnly(path: path, configuration: configuration)
                self.immutableSnapshot = snapshot
                let recorded = try queue.read { db in try migrator.checkedRecord(db, creating: false) }
                let version = recorded.last?.version ?? 0
                if mode == .read, version < migrator.latestVersion {
                    throw LedgerError(
                        .needsMigration, location: path,
                        message: "ledger schema version \(version) is older than this tally's (\(migrator.latestVersion)); run `tally ledger migrate`"
                    )
                }
                self.writer = nil
                self.reader = queue
                self.schemaVersion = version
            }
        } catch {
            throw Self.ledgerError(error, path: path)
        }
    }

    /// Opens the file for reading without writing anything beside it. With no `-wal` file no
    /// process has the ledger open for writing and every row is in the file itself, so it is
    /// opened `immutable`: SQLite then creates no `-wal`/`-shm` files (which a reader without
    /// write access to the folder cannot create, and which another user's read would leave
    /// behind, owned by that user). With a `-wal` file its rows are read through the log, which
    /// needs its `-shm` file to exist or be creatable.
    ///
    /// Returns the file's snapshot when it was opened immutable, for ``read(_:)`` to check.
    private static func openReadOnly(path: String, configuration: Configuration) throws -> (DatabaseQueue, FileSnapshot?) {
        let snapshot = FileSnapshot(path: path)
        guard FileManager.default.fileExists(atPath: path + "-wal") else {
            return (try DatabaseQueue(path: immutableURI(path), configuration: configuration), snapshot)
        }
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            // The log is opened at the first read, not at the open.
            _ = try queue.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") }
            return (queue, nil)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_READONLY || error.resultCode == .SQLITE_CANTOPEN {
            throw LedgerError(
                .io, location: path,
                message: "its write-ahead log \(path)-wal holds rows not yet in the file, and its -shm file cannot be created here (read-only folder); run a tally command that writes once, with write access, or read a copy"
            )
        }
    }

    /// Runs a read. On a file opened immutable, SQLite takes no locks, so a writer that started
    /// since and checkpointed its log into the file could have changed pages under the read: the
    /// file's size, time and inode are compared after every read, and a changed file is one line
    /// asking to run again, never a report of torn pages. (A writer's rows still in its log are
    /// simply not seen: the read is of the file as it was.)
    ///
    /// The read runs on GRDB's reader, never blocking the caller's thread: the cooperative pool
    /// goes on with other work while SQLite reads.
    func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        guard let snapshot = immutableSnapshot else { return try await reader.read(body) }
        let result: Result<T, any Error>
        do {
            result = .success(try await reader.read(body))
        } catch {
            result = .failure(error)
        }
        guard FileSnapshot(path: path) == snapshot else {
            throw LedgerError(
                .io, location: path,
                message: "a process wrote the ledger while it was read without locks (it had no -wal file when opened); run the command again"
            )
        }
        return try result.get()
    }

    /// A SQLite URI filename that opens `path` read-only and immutable.
    static func immutableURI(_ path: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#%")
        let encoded = path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path
        return "file:\(encoded)?mode=ro&immutable=1"
    }

    /// Opens the write pool, which switches the file to WAL. When several processes open a new
    /// ledger at once, SQLite can answer one of them `PRAGMA journal_mode = WAL` with
    /// SQLITE_BUSY at once instead of waiting (waiting could deadlock); that opener tries again,
    /// after a short random pause, until the busy timeout has passed.
    private static func openPool(path: String, configuration: Configuration) throws -> DatabasePool {
        let deadline = ContinuousClock.now + .seconds(busyTimeoutSeconds)
        while true {
            do {
                return try DatabasePool(path: path, configuration: configuration)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY && ContinuousClock.now < deadline {
                usleep(UInt32.random(in: 2_000...20_000))
            }
        }
    }

    /// Refuses a directory, a missing file (when reading) or an unwritable one (when writing), and
    /// creates a missing ledger with mode 0600 before SQLite sees it.
    private static func checkPath(_ path: String, mode: Mode) throws {
        var info = stat()
        if stat(path, &info) == 0 {
            if (info.st_mode & S_IFMT) == S_IFDIR {
                throw LedgerError(.io, location: path, message: "is a directory, not a ledger file")
            }
            let wanted = mode == .write ? R_OK | W_OK : R_OK
            if access(path, wanted) != 0 {
                throw LedgerError(.io, location: path, message: mode == .write ? "not writable: \(errnoText())" : "not readable: \(errnoText())")
            }
            return
        }
        guard errno == ENOENT else {
            throw LedgerError(.io, location: path, message: "cannot reach the file: \(errnoText())")
        }
        guard mode == .write else {
            throw LedgerError(.io, location: path, message: "no ledger at this path")
        }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            do {
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]
                )
            } catch {
                throw LedgerError(.io, location: path, message: "cannot create the directory \(directory)")
            }
        }
        let descriptor = open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0o600)
        if descriptor < 0 {
            if errno == EEXIST { return }  // another process created it first
            throw LedgerError(.io, location: path, message: "cannot create the ledger: \(errnoText())")
        }
        close(descriptor)
    }

    private static func fileSize(_ path: String) -> Int64 {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : 0
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }

    /// Maps any error to a `LedgerError` naming this file: SQLite's codes never reach a user.
    static func ledgerError(_ error: any Error, path: String) -> LedgerError {
        if let error = error as? LedgerError { return error }
        guard let error = error as? DatabaseError else {
            return LedgerError(.io, location: path, message: "\(error)")
        }
        let detail = error.message ?? "\(error.resultCode)"
        switch error.resultCode {
        case .SQLITE_NOTADB:
            return LedgerError(.notALedger, location: path, message: "not a SQLite database")
        case .SQLITE_CORRUPT:
            return LedgerError(.notALedger, location: path, message: "the database is corrupted (\(detail))")
        case .SQLITE_FULL:
            return LedgerError(.io, location: path, message: "disk full; nothing of the failed batch was written")
        case .SQLITE_READONLY:
            return LedgerError(.io, location: path, message: "read-only: \(detail)")
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return LedgerError(.io, location: path, message: "still locked by another process after 5 s")
        case .SQLITE_CANTOPEN, .SQLITE_IOERR, .SQLITE_PERM, .SQLITE_NOMEM:
            return LedgerError(.io, location: path, message: "cannot read or write: \(detail)")
        default:
            return LedgerError(.notALedger, location: path, message: "unexpected database error: \(detail)")
        }
    }

    func ledgerError(_ error: any Error) -> LedgerError { Self.ledgerError(error, path: path) }

    deinit {
        checkpointer?.close()
    }

    private func requireWriter() throws -> any DatabaseWriter {
        guard let writer else { throw LedgerError(.io, location: path, message: "opened read-only") }
        return writer
    }

    // MARK: - Writing

    /// Applies the operations in one transaction. A failing transaction throws and writes nothing;
    /// a `finish` whose journal row is gone fails alone, with the others committed.
    ///
    /// Returns nil, having written nothing, when another process holds the write lock and
    /// `waitingForLock` is false; otherwise waits for it up to the busy timeout.
    func write(_ operations: [WriteOperation], waitingForLock: Bool) throws -> [Result<WriteOutcome, LedgerError>]? {
        let writer = try requireWriter()
        do {
            return try writer.writeWithoutTransaction { db in
                if !waitingForLock, let handle = db.sqliteConnection {
                    sqlite3_busy_timeout(handle, 0)
                }
                defer {
                    if !waitingForLock, let handle = db.sqliteConnection {
                        sqlite3_busy_timeout(handle, Int32(Self.busyTimeoutSeconds * 1000))
                    }
                }
                var results: [Result<WriteOutcome, LedgerError>] = []
                do {
                    try db.inTransaction(.immediate) {
                        results = try apply(operations, in: db)
                        return .commit
                    }
                } catch let error as DatabaseError where !waitingForLock && error.resultCode == .SQLITE_BUSY {
                    return nil
                }
                return results
            }
        } catch {
            throw ledgerError(error)
        }
    }

    private func apply(_ operations: [WriteOperation], in db: Database) throws -> [Result<WriteOutcome, LedgerError>] {
        var statements = try AppendStatements(db)
        defer { statements.releaseBindings() }
        var rollup = RollupAccumulator()
        // Rollup sums of large batches, added up on another core while their rows are inserted.
        var concurrentSums: [ConcurrentRollupSum] = []
        var results: [Result<WriteOutcome, LedgerError>] = []
        results.reserveCapacity(operations.count)
        for operation in operations {
            switch operation {
            case .begin(let request):
                results.append(.success(.begun(journalSeq: try statements.insertJournal(request, owner: .current))))
            case .complete(let journalSeq, let entry):
                if let missing = try statements.missingAdjustedRow([entry]) {
                    results.append(.failure(missingRowError(missing)))
                    continue
                }
                guard try statements.deleteJournal(journalSeq) else {
                    results.append(.failure(LedgerError(
                        .invalidValue, location: path,
                        message: "request \(entry.id) is no longer in flight (already finished or recovered)"
                    )))
                    continue
                }
                let seqs = try statements.insert([entry][...])
                rollup.add(entry)
                results.append(.success(.appended(seqs)))
            case .append(let entries):
                // Checked before any row of the batch is written: the batch goes in whole or not at all.
                if let missing = try statements.missingAdjustedRow(entries) {
                    results.append(.failure(missingRowError(missing)))
                    continue
                }
                if entries.count >= ConcurrentRollupSum.minimumRows {
                    concurrentSums.append(ConcurrentRollupSum(entries))
                } else {
                    for index in entries.indices { rollup.add(entries[index]) }
                }
                let seqs = try statements.insert(entries[...])
                results.append(.success(.appended(seqs)))
            case .ship(let instance, let rows):
                let through = try Int64.fetchOne(
                    db, sql: "SELECT max(origin_seq) FROM ledger_origins WHERE instance = ?", arguments: [instance]
                ) ?? 0
                let pending = rows.filter { $0.seq > through }
                let shipped = try Self.shippedSeqs(instance, of: pending.compactMap(\.entry.adjusts), in: db)
                switch ShipBatch.entries(pending, instance: instance, shipped: shipped, location: path) {
                case .failure(let error):
                    results.append(.failure(error))
                case .success(let entries):
                    for index in entries.indices { rollup.add(entries[index]) }
                    let seqs = try statements.insert(entries[...])
                    for (seq, row) in zip(seqs, pending) {
                        try db.execute(
                            sql: "INSERT INTO ledger_origins (seq, instance, origin_seq) VALUES (?, ?, ?)",
                            arguments: [seq, instance, row.seq]
                        )
                    }
                    results.append(.success(.appended(seqs)))
                }
            }
        }
        try statements.flushTags()
        var sums: [(key: RollupKey, totals: RollupTotals)] = []
        rollup.forEach { sums.append(($0, $1)) }
        for sum in concurrentSums {
            sum.wait().forEach { sums.append(($0, $1)) }
        }
        try statements.upsert(sums)
        return results
    }

    /// This ledger's instance id as a spool, made (a random UUID) and kept the first time.
    func makeInstanceID() throws -> String {
        let writer = try requireWriter()
        do {
            return try writer.write { db in
                if let id = try String.fetchOne(db, sql: "SELECT id FROM ledger_instance") { return id }
                let id = UUID().uuidString.lowercased()
                try db.execute(
                    sql: "INSERT INTO ledger_instance (id, created_ms) VALUES (?, ?)",
                    arguments: [id, Int64(Date().timeIntervalSince1970 * 1000)]
                )
                return id
            }
        } catch {
            throw ledgerError(error)
        }
    }

    /// The numbers here of `originSeqs`, rows of `instance`'s spool shipped earlier.
    private static func shippedSeqs(_ instance: String, of originSeqs: [Int64], in db: Database) throws -> [Int64: Int64] {
        var shipped: [Int64: Int64] = [:]
        for originSeq in Set(originSeqs) {
            if let seq = try Int64.fetchOne(
                db, sql: "SELECT seq FROM ledger_origins WHERE instance = ? AND origin_seq = ?", arguments: [instance, originSeq]
            ) {
                shipped[originSeq] = seq
            }
        }
        return shipped
    }

    private func missingRowError(_ missing: (id: String, adjusts: Int64)) -> LedgerError {
        LedgerError(.invalidValue, location: path, message: "adjustment \(missing.id) names row \(missing.adjusts), which does not exist; nothing of its batch was written")
    }

    /// Turns journal rows whose owning process is gone into `interrupted` rows with estimated
    /// usage, priced with `prices`; rows of live processes (this one included) are left alone.
    /// Selection and appends share one transaction, so two processes never recover a row twice.
    func recover(prices: PriceBook?) throws -> [StoredLedgerEntry] {
        let writer = try requireWriter()
        do {
            return try writer.writeWithoutTransaction { db in try recover(db, prices: prices) }
        } catch {
            throw ledgerError(error)
        }
    }

    /// ``recover(prices:)`` on GRDB's writer, without blocking the caller's thread.
    func recover(prices: PriceBook?) async throws -> [StoredLedgerEntry] {
        let writer = try requireWriter()
        do {
            return try await writer.writeWithoutTransaction { [self] db in try recover(db, prices: prices) }
        } catch {
            throw ledgerError(error)
        }
    }

    private func recover(_ db: Database, prices: PriceBook?, isAlive: (ProcessIdentity) -> Bool = { $0.isAlive }) throws -> [StoredLedgerEntry] {
        var recovered: [StoredLedgerEntry] = []
        try db.inTransaction(.immediate) {
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM ledger_journal ORDER BY seq")
            var liveness: [ProcessIdentity: Bool] = [:]
            var operations: [WriteOperation] = []
            for row in rows {
                let owner = ProcessIdentity(pid: row["owner_pid"], startTicks: row["owner_start"], bootID: row["owner_boot"])
                let alive = liveness[owner] ?? isAlive(owner)
                liveness[owner] = alive
                if alive { continue }
                let tagText: String = row["tags"]
                let request = InFlightRequest(
                    id: row["id"],
                    timestamp: Date(timeIntervalSince1970: TimeInterval(row["ts_ms"] as Int64) / 1000),
                    provider: row["provider"],
                    model: row["model_requested"],
                    endpoint: row["endpoint"],
                    streamed: row["streamed"],
                    estimatedInputTokens: row["estimated_input_tokens"],
                    attribution: Attribution(
                        project: row["project"], user: row["user_name"],
                        tags: tagText.split(separator: "\u{1F}").map(String.init)
                    )
                )
                operations.append(.complete(journalSeq: row["seq"], entry: request.interruptedEntry(prices: prices)))
            }
            let results = try apply(operations, in: db)
            for (operation, result) in zip(operations, results) {
                if case .complete(_, let entry) = operation, case .success(.appended(let seqs)) = result, let seq = seqs.first {
                    recovered.append(StoredLedgerEntry(seq: seq, entry: entry))
                }
            }
            return .commit
        }
        return recovered
    }
}

extension LedgerEntry {
    /// The row of a request that never finished: estimated input only, outcome `interrupted`.
    init(interrupted request: InFlightRequest) {
        self.init(
            id: request.id,
            timestamp: request.timestamp,
            provider: request.provider,
            modelRequested: request.model,
            endpoint: request.endpoint,
            streamed: request.streamed,
            outcome: .interrupted,
            httpStatus: nil,
            attempts: 1,
            usage: Usage(input: request.estimatedInputTokens),
            usageSource: .estimated,
            pricing: nil,
            attribution: request.attribution
        )
        self.timestampMs = request.timestampMs
    }
}

/// What `stat` says of a file that changes when SQLite writes pages into it.
struct FileSnapshot: Sendable, Hashable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    var modifiedSeconds: Int
    var modifiedNanoseconds: Int

    /// The file's snapshot; nil when it cannot be read.
    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modifiedSeconds = info.st_mtim.tv_sec
        modifiedNanoseconds = info.st_mtim.tv_nsec
    }
}
