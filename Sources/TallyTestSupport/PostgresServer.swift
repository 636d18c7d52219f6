import Foundation
import Glibc

/// A throwaway PostgreSQL cluster on a free loopback port, for tests: `initdb` into a temporary
/// folder, `pg_ctl start`, and `stop()` (also from `deinit`) removes it all.
///
/// PostgreSQL refuses to run as root, so under root the cluster belongs to the `postgres` user
/// (Debian's package creates it), else to `nobody`. The superuser `tally` logs in over TCP with
/// `password` (SCRAM), as a real deployment would.
package final class PostgresServer: @unchecked Sendable {
    /// The TCP port on 127.0.0.1.
    package let port: Int
    /// The superuser's name.
    package let superuser = "tally"
    /// The superuser's password.
    package let password: String
    /// The cluster's folder: data, socket and log.
    package let folder: String
    private let binaries: String
    private let owner: String?
    private let lock = NSLock()
    private var running = true
    /// Whether commits are flushed to disk (a benchmark's cluster); tests run with `fsync=off`.
    private let durable: Bool

    /// Starts a new cluster; throws with `initdb`'s or `pg_ctl`'s log when either fails. A
    /// `durable` cluster flushes its commits as a real server does, with 1 GiB of shared buffers.
    package init(durable: Bool = false) throws {
        self.durable = durable
        binaries = try Self.binaryFolder()
        owner = geteuid() == 0 ? (getpwnam("postgres") != nil ? "postgres" : "nobody") : nil
        password = "pw-" + UUID().uuidString.prefix(8)
        folder = NSTemporaryDirectory() + "tally-pg-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data(password.utf8).write(to: URL(fileURLWithPath: folder + "/pwfile"))
        if let owner, let account = getpwnam(owner) {
            chown(folder, account.pointee.pw_uid, account.pointee.pw_gid)
            chown(folder + "/pwfile", account.pointee.pw_uid, account.pointee.pw_gid)
        }
        port = try Self.freePort()
        do {
            try run(
                "initdb", ["-D", folder + "/data", "-U", superuser, "--pwfile=" + folder + "/pwfile", "--auth-local=trust",
                           "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync"],
                log: "initdb.log"
            )
            try start()
        } catch {
            try? FileManager.default.removeItem(atPath: folder)
            throw error
        }
    }

    deinit { stop() }

    /// A `postgres://` URL for `database`, as `user` (the superuser when `nil`) with `password`
    /// (the superuser's when `nil`); `sslmode=disable`, since the test cluster has no certificate.
    package func url(database: String = "postgres", user: String? = nil, password: String? = nil) -> String {
        "postgres://\(user ?? superuser):\(password ?? self.password)@127.0.0.1:\(port)/\(database)?sslmode=disable"
    }

    /// Runs SQL through `psql` as the superuser over the Unix socket, and returns what it printed
    /// (unaligned, tuples only); throws with psql's output when a statement fails.
    @discardableResult
    package func psql(_ sql: String, database: String = "postgres") throws -> String {
        let script = folder + "/script-\(UUID().uuidString).sql"
        try Data(sql.utf8).write(to: URL(fileURLWithPath: script))
        defer { try? FileManager.default.removeItem(atPath: script) }
        chmod(script, 0o644)
        let output = try run(
            "psql", ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", folder, "-p", String(port), "-U", superuser,
                     "-d", database, "-f", script],
            log: "psql-\(UUID().uuidString).out"
        )
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Creates an empty database.
    package func createDatabase(_ name: String) throws {
        try psql("CREATE DATABASE \"\(name)\"")
    }

    /// Stops the server at once (`immediate`, as a crash or a power cut would), then starts it again
    /// on the same port and data.
    package func restart() throws {
        try run("pg_ctl", ["-D", folder + "/data", "-m", "immediate", "-w", "stop"], log: "stop.log")
        try start()
    }

    /// Stops the server at once and leaves it stopped, its data kept, until ``resume()``: a
    /// database host that went away.
    package func pause() throws {
        try run("pg_ctl", ["-D", folder + "/data", "-m", "immediate", "-w", "stop"], log: "stop.log")
    }

    /// Starts a server ``pause()`` stopped, on the same port and data.
    package func resume() throws {
        try start()
    }

    /// Stops the server and removes its folder; safe to call twice.
    package func stop() {
        lock.lock()
        let wasRunning = running
        running = false
        lock.unlock()
        guard wasRunning else { return }
        _ = try? run("pg_ctl", ["-D", folder + "/data", "-m", "immediate", "-w", "stop"], log: "stop.log")
        try? FileManager.default.removeItem(atPath: folder)
    }

    private func start() throws {
        let tuning = durable ? "-c shared_buffers=1GB -c max_wal_size=8GB" : "-c fsync=off"
        let options = "-c listen_addresses=127.0.0.1 -c port=\(port) -c unix_socket_directories=\(folder) \(tuning) -c max_connections=200"
        try run("pg_ctl", ["-D", folder + "/data", "-l", folder + "/server.log", "-o", options, "-w", "-t", "60", "start"], log: "start.log")
    }

    /// Runs one of the server's programs (as the cluster's owner under root) with standard input
    /// from /dev/null and its output in `log` under the folder; returns the output.
    @discardableResult
    private func run(_ program: String, _ arguments: [String], log: String) throws -> String {
        let logPath = folder + "/" + log
        var argv = [binaries + "/" + program] + arguments
        if let owner { argv = ["/usr/sbin/runuser", "-u", owner, "--"] + argv }
        let status = try Self.spawnAndWait(argv, output: logPath)
        let output = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: logPath)
        guard status == 0 else {
            let server = (try? String(contentsOfFile: folder + "/server.log", encoding: .utf8)) ?? ""
            throw PostgresServerError("\(program) exited with \(status): \(output)\(server.isEmpty ? "" : "\nserver log:\n" + server)")
        }
        return output
    }

    /// `posix_spawn` and `waitpid`, not Foundation's `Process`: `pg_ctl start` leaves a daemon
    /// behind that inherits the child's descriptors, so the output goes to a file and every other
    /// descriptor is closed, and nothing waits on a pipe the daemon holds open.
    private static func spawnAndWait(_ argv: [String], output: String) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o666)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else open here reaches the child, or the server daemon it leaves behind: a pipe
        // another thread just made for its own child would stay open in the daemon, and whoever
        // reads that pipe to its end would wait forever.
        Self.closeFrom(3, in: &actions)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own process group: a test runner's signal to ours does not reach the server first.
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        var pointers: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { pointers.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, &attributes, &pointers, environ)
        guard spawned == 0 else { throw PostgresServerError("cannot start \(argv[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw PostgresServerError("waitpid: \(String(cString: strerror(errno)))") }
        }
        if status & 0x7f == 0 { return (status >> 8) & 0xff }
        return 128 + (status & 0x7f)
    }

    /// Adds "close every descriptor from `lowest` up" to the actions: glibc's
    /// `posix_spawn_file_actions_addclosefrom_np` (2.34 and later, looked up at run time since
    /// Swift's Glibc module leaves GNU extensions out), else a close of each descriptor open now.
    private static func closeFrom(_ lowest: Int32, in actions: inout posix_spawn_file_actions_t) {
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, lowest)
            return
        }
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for descriptor in open.compactMap(Int32.init) where descriptor >= lowest {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
    }

    /// The newest installed server's programs: Debian keeps them in /usr/lib/postgresql/N/bin.
    private static func binaryFolder() throws -> String {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        if let newest = versions.last, FileManager.default.isExecutableFile(atPath: "\(root)/\(newest)/bin/initdb") {
            return "\(root)/\(newest)/bin"
        }
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        where FileManager.default.isExecutableFile(atPath: "\(folder)/initdb") {
            return String(folder)
        }
        throw PostgresServerError("PostgreSQL's server programs (initdb, pg_ctl) are not installed; Scripts/install-deps installs them")
    }

    /// A loopback port free now: bound by the kernel's choice, then released for the server.
    private static func freePort() throws -> Int {
        let (socket, address) = try LoopbackSocket.bound(reuseAddress: true)
        close(socket)
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A test cluster that could not be started or used, with the program's output.
package struct PostgresServerError: Error, CustomStringConvertible {
    package var description: String
    init(_ description: String) { self.description = description }
}
