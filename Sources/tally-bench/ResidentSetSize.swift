import Foundation

/// This process's memory, as the benchmarks report it.
enum ResidentSetSize {
    /// Resident set size in bytes of this process, or of process `pid`, from /proc/…/statm; 0
    /// where it cannot be read.
    static func bytes(pid: Int32? = nil) -> Int {
        let file = pid.map { "/proc/\($0)/statm" } ?? "/proc/self/statm"
        guard let statm = try? String(contentsOfFile: file, encoding: .utf8) else { return 0 }
        let fields = statm.split(separator: " ")
        return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
    }
}
