import GRDB
import GRDBSQLite

/// Steps through a query's result rows with the SQLite C API, reading each column in place.
///
/// Reports add up tens of thousands of rollup rows a query, where decoding each through GRDB's
/// `Row` costs more than stepping to it. Used only inside the read that holds the connection.
struct SQLiteRows {
    /// Keeps the prepared statement alive while its handle is stepped.
    private let statement: Statement
    private let handle: OpaquePointer
    private let connection: OpaquePointer

    init(_ db: Database, sql: String, arguments: StatementArguments) throws {
        statement = try db.makeStatement(sql: sql)
        try statement.setArguments(arguments)
        guard let connection = db.sqliteConnection else {
            throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "connection closed")
        }
        self.handle = statement.sqliteStatement
        self.connection = connection
    }

    /// Moves to the next row: false after the last one, when the statement is reset.
    func next() throws -> Bool {
        let code = sqlite3_step(handle)
        if code == SQLITE_ROW { return true }
        let message = code == SQLITE_DONE ? nil : String(cString: sqlite3_errmsg(connection))
        sqlite3_reset(handle)
        if let message { throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message) }
        return false
    }

    /// Column `column` of this row as an integer (0 for NULL).
    func int64(_ column: Int32) -> Int64 {
        sqlite3_column_int64(handle, column)
    }

    /// Column `column` of this row as an integer, nil for NULL.
    func optionalInt64(_ column: Int32) -> Int64? {
        sqlite3_column_type(handle, column) == SQLITE_NULL ? nil : sqlite3_column_int64(handle, column)
    }

    /// Column `column` of this row as text, nil for NULL.
    func text(_ column: Int32) -> String? {
        guard let bytes = sqlite3_column_text(handle, column) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }
}
