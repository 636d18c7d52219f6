import Foundation
import Testing
import TallyTestSupport

/// The throwaway cluster the PostgreSQL ledger tests stand on: it must start, answer, survive a
/// crash-stop and leave nothing behind.
struct PostgresClusterTests {
    @Test func aClusterStartsAnswersRestartsAndIsRemoved() throws {
        let server = try PostgresServer()
        #expect(try server.psql("SELECT 6 * 7") == "42")
        try server.createDatabase("ledger_a")
        try server.psql("CREATE TABLE t (n bigint); INSERT INTO t VALUES (1), (2);", database: "ledger_a")
        try server.restart()
        #expect(try server.psql("SELECT sum(n) FROM t", database: "ledger_a") == "3")
        let error = #expect(throws: PostgresServerError.self) { try server.psql("SELECT * FROM no_such_table") }
        #expect(error?.description.contains("no_such_table") == true)
        server.stop()
        #expect(!FileManager.default.fileExists(atPath: server.folder))
        server.stop()
    }
}
