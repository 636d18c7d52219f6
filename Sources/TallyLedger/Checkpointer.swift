import Dispatch
import GRDB
import GRDBSQLite
import Synchronization

/// Runs the write-ahead log's checkpoints on a connection of its own, off the append path.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses 1000 log pages, and with
/// synchronous=NORMAL it syncs the log and the database file there: a few milliseconds added
/// to one unlucky append. Here the writer's commit only notes the log's size (a WAL hook, which
/// also turns the automatic checkpoint off), and a PASSIVE checkpoint runs on another thread
/// while appends go on. Under a sustained bulk load a passive checkpoint never catches up and
/// the log would grow without bound (and every read slow down with it): past
/// `restartPages` the checkpoint is a RESTART, which makes writers wait until it is done.
final class Checkpointer: Sendable {
    /// Log pages that trigger a passive checkpoint (SQLite's own default threshold).
    static let thresholdPages: Int32 = 1000
    /// Log pages past which writers wait for the checkpoint (64 MiB of 4 KiB pages).
    static let restartPages: Int32 = 16_384

    private let path: String
    private let running = Atomic<Bool>(false)
    private let connection = Mutex<DatabaseQueue?>(nil)
    private let closed = Atomic<Bool>(false)
    private let queue = DispatchQueue(label: "tally.ledger.checkpoint", qos: .utility)

    init(path: String) {
        self.path = path
    }

    /// Makes the connection report its commits to this checkpointer.
    func install(on db: Database) {
        guard let handle = db.sqliteConnection else { return }
        // The hook outlives no connection of the pool: the checkpointer is retained once per hook.
        let context = Unmanaged.passRetained(self).toOpaque()
        sqlite3_wal_hook(handle, { context, _, _, pages in
            if let context {
                Unmanaged<Checkpointer>.fromOpaque(context).takeUnretainedValue().logGrew(to: pages)
            }
            return SQLITE_OK
        }, context)
    }

    private func logGrew(to pages: Int32) {
        guard pages >= Self.thresholdPages, !closed.load(ordering: .relaxed),
              running.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { return }
        let mode: Database.CheckpointMode = pages >= Self.restartPages ? .restart : .passive
        queue.async {
            self.checkpoint(mode)
            self.running.store(false, ordering: .releasing)
        }
    }

    private func checkpoint(_ mode: Database.CheckpointMode) {
        guard !closed.load(ordering: .relaxed) else { return }
        connection.withLock { connection in
            do {
                if connection == nil {
                    var configuration = Configuration()
                    configuration.busyMode = .timeout(5)
                    configuration.label = "tally.ledger.checkpoint"
                    connection = try DatabaseQueue(path: path, configuration: configuration)
                }
                _ = try connection?.writeWithoutTransaction { db in try db.checkpoint(mode) }
            } catch {
                // A checkpoint that fails is retried at the next threshold; SQLite's log stays valid.
            }
        }
    }

    /// Stops checkpointing and closes the checkpoint connection.
    func close() {
        closed.store(true, ordering: .relaxed)
        queue.sync {}
        connection.withLock { $0 = nil }
    }
}
