import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Names a running process so that a journal row can tell whether its owner is still alive.
///
/// A pid alone is not enough: pids are reused, and a reboot resets them. So a row records the
/// pid, the process's start time in clock ticks since boot (`/proc/PID/stat` field 22), and the
/// kernel's boot id. The owner is alive when the boot id is this boot's and `/proc/PID/stat`
/// exists, shows the same start time, and is not a zombie. This holds for processes on one host
/// in one pid namespace; processes in other pid namespaces sharing one file (containers) would
/// need a shared-host scheme, and several hosts the PostgreSQL backend.
struct ProcessIdentity: Sendable, Hashable {
    var pid: Int64
    var startTicks: Int64
    var bootID: String

    /// This process.
    static let current: ProcessIdentity = {
        let pid = Int64(getpid())
        return ProcessIdentity(
            pid: pid,
            startTicks: startTicks(ofPID: pid)?.start ?? 0,
            bootID: currentBootID
        )
    }()

    /// The kernel's boot id, or "" where there is none.
    static let currentBootID: String = {
        guard let text = try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8) else {
            return ""
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }()

    /// This host's name (`uname` nodename), which a PostgreSQL journal row records beside the
    /// process: a process on another host is never judged from here.
    static let hostName: String = {
        var name = utsname()
        guard uname(&name) == 0 else { return "" }
        return withUnsafeBytes(of: &name.nodename) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
    }()

    /// Whether the process this identity names is still running.
    var isAlive: Bool {
        guard bootID == Self.currentBootID else { return false }
        #if os(Linux)
        guard let stat = Self.startTicks(ofPID: pid) else { return false }
        return stat.start == startTicks && stat.state != "Z" && stat.state != "X"
        #else
        // Without /proc: alive when the pid exists (pid reuse is not detected here).
        return kill(pid_t(pid), 0) == 0 || errno == EPERM
        #endif
    }

    /// The state letter and start time of a process from `/proc/PID/stat`, or nil when it does not exist.
    static func startTicks(ofPID pid: Int64) -> (state: Character, start: Int64)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        // After "pid (comm)": field 3 (state) is at index 0, field 22 (starttime) at index 19.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let state = fields[0].first, let start = Int64(fields[19]) else { return nil }
        return (state, start)
    }
}
