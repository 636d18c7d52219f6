import Foundation

/// This process's memory, as the benchmarks report it.
enum ResidentSetSize {
    /// Resident set size in bytes, from /proc/self/statm; 0 where it cannot be read.
    static func bytes() -> Int {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = statm.split(separator: " ")
        return fields.count > 1 ? (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE))) : 0
    }
}
