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
    /// The UTF-8 bytes of this row's text parameters, bound in place (no copy, no allocation
    /// per parameter) just before the statement runs.
    private var text: [UInt8] = []
    private var textParameters: [(index: Int32, offset: Int, count: Int)] = []

    /// SQLite's "copy the bytes now" destructor.
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

    init(_ db: Database, sql: String) throws {
        let statement = try db.cachedStatement(sql: sql)
        guard let connection = db.sqliteConnection else {
            throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "connection closed")
        }
        self.handle = statement.sqliteStatement
        self.connection = connection
        text.reserveCapacity(1024)
        textParameters.reserveCapacity(32)
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
        let offset = text.count
        text.append(contentsOf: value.utf8)
        textParameters.append((index, offset, text.count - offset))
        index += 1
    }

    mutating func bind(_ value: String?) {
        if let value { bind(value) } else {
            sqlite3_bind_null(handle, index)
            index += 1
        }
    }

    /// Runs the statement to completion and readies it for the next bindings.
    mutating func run() throws {
        _ = try step()
    }

    /// Runs the statement to its first row (true) or to completion (false), then resets it.
    mutating func step() throws -> Bool {
        let code: Int32 = text.withUnsafeBufferPointer { bytes in
            for parameter in textParameters {
                if parameter.count == 0 {
                    sqlite3_bind_text(handle, parameter.index, "", 0, Self.transient)
                } else if let base = bytes.baseAddress {
                    // SQLITE_STATIC: the bytes stay put until the step below is done.
                    let start = UnsafeRawPointer(base + parameter.offset).assumingMemoryBound(to: CChar.self)
                    sqlite3_bind_text(handle, parameter.index, start, Int32(parameter.count), nil)
                }
            }
            return sqlite3_step(handle)
        }
        text.removeAll(keepingCapacity: true)
        textParameters.removeAll(keepingCapacity: true)
        index = 1
        if code != SQLITE_DONE && code != SQLITE_ROW {
            let message = String(cString: sqlite3_errmsg(connection))
            sqlite3_reset(handle)
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message)
        }
        // Bindings stay until the next use binds every parameter again, or `clearBindings()`.
        sqlite3_reset(handle)
        return code == SQLITE_ROW
    }

    /// Drops the bound parameters (text is bound in place, from this value's buffer).
    func clearBindings() {
        sqlite3_clear_bindings(handle)
    }

    /// The rowid of the connection's last insert.
    var lastInsertedRowID: Int64 { sqlite3_last_insert_rowid(connection) }

    /// Rows changed by the connection's last statement.
    var changes: Int32 { sqlite3_changes(connection) }
}
