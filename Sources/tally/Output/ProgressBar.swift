import Foundation
import Synchronization

/// A one-line progress bar on standard error, redrawn in place, only when standard error is a
/// terminal (a log or a pipe gets nothing); `finish()` ends the line.
final class ProgressBar: Sendable {
    private let label: String
    private let width = 30
    private let lastDrawn = Mutex<Int>(-1)
    let isVisible: Bool

    init(_ label: String) {
        self.label = label
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
        FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(percent)%".utf8))
    }

    /// Ends the line, if anything was drawn.
    func finish() {
        guard isVisible, lastDrawn.withLock({ $0 >= 0 }) else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }
}
