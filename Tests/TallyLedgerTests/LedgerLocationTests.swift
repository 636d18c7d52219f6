import Foundation
import Testing
import TallyLedger

struct LedgerLocationTests {
    @Test func anExplicitPathWinsOverTheEnvironment() {
        #expect(LedgerLocation.resolve(explicit: "/a.sqlite", environment: ["TALLY_LEDGER": "/b.sqlite"]) == "/a.sqlite")
    }

    @Test func theEnvironmentVariableWinsOverTheDataDirectory() {
        #expect(LedgerLocation.resolve(explicit: nil, environment: ["TALLY_LEDGER": "/b.sqlite", "XDG_DATA_HOME": "/x"]) == "/b.sqlite")
    }

    @Test func theDataDirectoryFollowsXDGAndFallsBackToTheHomeDirectory() {
        #expect(LedgerLocation.resolve(explicit: nil, environment: ["XDG_DATA_HOME": "/x", "HOME": "/h"]) == "/x/tally/ledger.sqlite")
        #expect(LedgerLocation.resolve(explicit: nil, environment: ["XDG_DATA_HOME": "relative", "HOME": "/h"]) == "/h/.local/share/tally/ledger.sqlite")
        #expect(LedgerLocation.resolve(explicit: "", environment: ["HOME": "/h"]) == "/h/.local/share/tally/ledger.sqlite")
    }

    @Test(arguments: ["ledger.sqlite", "/var/lib/tally/ledger.sqlite", "./a://b", "spend:2026.sqlite", "1x://odd"])
    func textWithoutAURLSchemeIsAFile(_ text: String) throws {
        #expect(try LedgerLocation(text, environment: [:]) == .file(text))
    }

    @Test func aURLNamesEveryPart() throws {
        let location = try LedgerLocation("postgresql://tally:s3cret@db.internal:6543/spend?sslmode=verify-full&application_name=gw-1", environment: [:])
        guard case .postgres(let address) = location else { Issue.record("not a server: \(location)"); return }
        #expect(address.host == "db.internal")
        #expect(address.port == 6543)
        #expect(address.user == "tally")
        #expect(address.database == "spend")
        #expect(address.password == "s3cret")
        #expect(address.tls == .verifyFull)
        #expect(address.applicationName == "gw-1")
        #expect(address.description == "postgres://tally@db.internal:6543/spend?sslmode=verify-full")
        #expect(!location.description.contains("s3cret"))
    }

    @Test func whatTheURLLeavesOutComesFromLibpqsVariables() throws {
        let environment = ["PGHOST": "pg.example", "PGPORT": "5999", "PGUSER": "meter", "PGPASSWORD": "fromenv", "PGSSLMODE": "require"]
        let address = try PostgresAddress(url: "postgres://", environment: environment)
        #expect(address.host == "pg.example")
        #expect(address.port == 5999)
        #expect(address.user == "meter")
        #expect(address.database == "meter")  // libpq: the database defaults to the user's name
        #expect(address.password == "fromenv")
        #expect(address.tls == .require)
        let bare = try PostgresAddress(url: "postgres:///spend", environment: ["USER": "alice"])
        #expect(bare.host == "localhost")
        #expect(bare.port == 5432)
        #expect(bare.user == "alice")
        #expect(bare.tls == .prefer)
        #expect(bare.password == nil)
    }

    @Test func percentEncodingIPv6AndUnixSocketsReadAsLibpqReadsThem() throws {
        let encoded = try PostgresAddress(url: "postgres://us%40er:p%3Ass@[::1]:5433/my%20db", environment: [:])
        #expect(encoded.user == "us@er")
        #expect(encoded.password == "p:ss")
        #expect(encoded.host == "::1")
        #expect(encoded.port == 5433)
        #expect(encoded.database == "my db")
        #expect(encoded.description == "postgres://us%40er@[::1]:5433/my%20db")
        let socket = try PostgresAddress(url: "postgres:///spend?host=/run/postgresql&user=tally", environment: [:])
        #expect(socket.host == "/run/postgresql")
        #expect(socket.description == "postgres://tally@/spend?host=%2Frun%2Fpostgresql&port=5432")
    }

    @Test func thePasswordComesFromTheURLThenPGPASSWORDThenThePasswordFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = directory.path + "/pgpass"
        let lines = [
            "# host:port:database:user:password",
            "other:5432:*:tally:wrong-host",
            "db.internal:5432:spend:tally:pass\\:with\\\\escapes",
            "*:*:*:*:wildcard",
        ]
        try lines.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        chmod(file, 0o600)
        let url = "postgres://tally@db.internal/spend"
        #expect(try PostgresAddress(url: "postgres://tally:inurl@db.internal/spend", environment: ["PGPASSWORD": "env", "PGPASSFILE": file]).password == "inurl")
        #expect(try PostgresAddress(url: url, environment: ["PGPASSWORD": "env", "PGPASSFILE": file]).password == "env")
        #expect(try PostgresAddress(url: url, environment: ["PGPASSFILE": file]).password == "pass:with\\escapes")
        #expect(try PostgresAddress(url: "postgres://bob@elsewhere:7000/x", environment: ["PGPASSFILE": file]).password == "wildcard")
        #expect(try PostgresAddress(url: url + "?passfile=" + file, environment: [:]).password == "pass:with\\escapes")
        #expect(try PostgresAddress(url: url, environment: ["PGPASSFILE": directory.path + "/absent"]).password == nil)

        chmod(file, 0o644)
        let error = #expect(throws: LedgerError.self) { try PostgresAddress(url: url, environment: ["PGPASSFILE": file]) }
        #expect(error?.code == .permissionDenied)
        #expect(error?.description.contains("chmod 600") == true)
    }

    @Test(arguments: [
        ("mysql://root:hunter2@db/spend", "unknown scheme 'mysql'"),
        ("postgres://u:hunter2@db:99999/spend", "port '99999'"),
        ("postgres://u:hunter2@db:abc/spend", "port 'abc'"),
        ("postgres://u:hunter2@db/spend?sslmode=sometimes", "sslmode 'sometimes'"),
        ("postgres://u:hunter2@db/spend?colour=blue", "unknown URL parameter 'colour'"),
        ("postgres://u@db/spend?password=hunter2&sslmode=nope", "sslmode 'nope'"),
        ("postgres://u:hunter2@a,b/spend", "several hosts"),
        ("postgres://u:hunter2@[::1/spend", "IPv6"),
        ("postgres://u:hunter2@db/spend?connect_timeout=soon", "connect_timeout 'soon'"),
    ])
    func aBadURLIsOneLineWithoutItsPassword(_ url: String, _ reason: String) {
        let error = #expect(throws: LedgerError.self) { try LedgerLocation(url, environment: [:]) }
        #expect(error?.code == .invalidLocation)
        #expect(error?.message.contains(reason) == true, "\(String(describing: error))")
        #expect(error?.description.contains("hunter2") == false, "\(String(describing: error))")
        #expect(error?.description.contains("\n") == false)
    }
}
