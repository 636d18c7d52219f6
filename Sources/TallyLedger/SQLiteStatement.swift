import GRDB
import GRDBSQLite

/// Binds and steps one prepared statement through the SQLite C API: the append path's hot loop,
/// where building GRDB `StatementArguments` per row would cost more than the insert itself.
///
/// The statement comes from GRDB's per-connection cache and is used only inside that
/// connection's write closure, so GRDB's serial writer confines it.
struct SQLiteStatement {
    let handle: OpaquePointer
    let connection: OpaquePointer
    private var index: Int32 = 1

    /// SQLite's "copy the bytes now" destructor.
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

    init(_ db: Database, sql: String) throws {
        let statement = try db.cachedStatement(sql: sql)
        guard let connection = db.sqliteConnection else {
            throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "connection closed")
        }
        self.handle = statement.sqliteStatement
        self.connection = connection
    }

    mutating func bind(_ value: Int64) {
        sqlite3_bind_int64(handle, index, value)
        index += 1
    }

    mutating func bind(_ value: Int64?) {
        if let value { sqlite3_bind_int64(handle, index, value) } else { sqlite3_bind_null(handle, index) }
        index += 1
    }

    mutating func bind(_ value: String) {
        sqlite3_bind_text(handle, index, value, -1, Self.transient)
        index += 1
    }

    mutating func bind(_ value: String?) {
        if let value { sqlite3_bind_text(handle, index, value, -1, Self.transient) } else { sqlite3_bind_null(handle, index) }
        index += 1
    }

    /// Runs the statement to completion and readies it for the next bindings.
    mutating func run() throws {
        let code = sqlite3_step(handle)
        if code != SQLITE_DONE && code != SQLITE_ROW {
            let message = String(cString: sqlite3_errmsg(connection))
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
            index = 1
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message)
        }
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        index = 1
    }

    /// The rowid of the connection's last insert.
    var lastInsertedRowID: Int64 { sqlite3_last_insert_rowid(connection) }

    /// Rows changed by the connection's last statement.
    var changes: Int32 { sqlite3_changes(connection) }
}
