import Foundation
import Synchronization

/// A one-line progress bar on standard error, redrawn in place, only when standard error is a
/// terminal (a log or a pipe gets nothing); `finish()` ends the line. With a unit it also shows
/// the count and the rate: `[####------] 40% 4,000 of 10,000 rows, 2,150 rows/s`.
final class ProgressBar: Sendable {
    private let label: String
    private let unit: String?
    private let width = 30
    private let lastDrawn = Mutex<Int>(-1)
    private let started = ContinuousClock.now
    let isVisible: Bool

    init(_ label: String, counting unit: String? = nil) {
        self.label = label
        self.unit = unit
        self.isVisible = isatty(STDERR_FILENO) == 1
    }

    /// Draws `done` of `total`; redraws only when the shown percentage changes.
    func update(_ done: Int, of total: Int) {
        guard isVisible, total > 0 else { return }
        let percent = min(100, done * 100 / total)
        let changed = lastDrawn.withLock { last in
            defer { last = percent }
            return last != percent
        }
        guard changed else { return }
        let filled = percent * width / 100
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        var line = "\r\(label) [\(bar)] \(percent)%"
        if let unit {
            let elapsed = (ContinuousClock.now - started).components
            let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
            let rate = seconds > 0 ? Int(Double(done) / seconds) : 0
            line += " \(Self.grouped(done)) of \(Self.grouped(total)) \(unit), \(Self.grouped(rate)) \(unit)/s"
        }
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// 1234567 as "1,234,567".
    private static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return (value < 0 ? "-" : "") + out
    }

    /// Ends the line, if anything was drawn.
    func finish() {
        guard isVisible, lastDrawn.withLock({ $0 >= 0 }) else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }
}
