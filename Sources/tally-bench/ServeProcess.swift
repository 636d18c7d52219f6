import ArgumentParser
import Foundation
import Synchronization

/// A real `tally serve` child process, as an app would run it: its own address space, threads
/// and scheduling, so the bench measures the proxy's memory and latency and not the client's.
final class ServeProcess: Sendable {
    private let process: Process
    /// What the proxy printed on standard error: its port, and any failure.
    private let transcript = Transcript()
    /// The port it listens on (127.0.0.1).
    let port: Int

    var pid: Int32 { process.processIdentifier }

    /// Starts `tally serve --listen 127.0.0.1:0` with one OpenAI-dialect upstream at `upstreamBaseURL`
    /// and waits (up to 10 s) for the line that names its port.
    init(executable: String, upstreamBaseURL: String, ledgerPath: String) async throws {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw ValidationError("--tally \(executable): no tally executable there; build it with `swift build -c release --product tally`")
        }
        let process = Process()
        process.executableURL = URL(filePath: executable)
        process.arguments = ["serve", "--listen", "127.0.0.1:0", "--ledger", ledgerPath]
        var environment = ProcessInfo.processInfo.environment
        environment["OPENAI_BASE_URL"] = upstreamBaseURL
        environment["OPENAI_API_KEY"] = "sk-bench"
        environment["TALLY_PRICING"] = nil
        process.environment = environment
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        let transcript = self.transcript
        errors.fileHandleForReading.readabilityHandler = { handle in
            transcript.append(handle.availableData)
        }
        try process.run()
        self.process = process

        var found: Int?
        for _ in 0..<1000 where found == nil && process.isRunning {
            found = Self.port(in: transcript.text)
            if found == nil { try await Task.sleep(for: .milliseconds(10)) }
        }
        guard let found else {
            process.terminate()
            throw ValidationError("tally serve did not report a port within 10 s: \(transcript.text)")
        }
        self.port = found
    }

    /// The port in "tally serve: listening on http://127.0.0.1:PORT (…".
    private static func port(in text: String) -> Int? {
        guard let range = text.range(of: "listening on http://127.0.0.1:") else { return nil }
        return Int(text[range.upperBound...].prefix { $0.isNumber })
    }

    /// The proxy's resident set size now, in bytes.
    var residentBytes: Int { ResidentSetSize.bytes(pid: pid) }

    /// The proxy's peak resident set size so far (VmHWM), in bytes; 0 where it cannot be read.
    var peakResidentBytes: Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
        let kibibytes = line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return kibibytes * 1024
    }

    /// Stops the proxy with SIGTERM (it writes every ledger row) and returns its exit status.
    func stop() -> Int32 {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        return process.terminationStatus
    }

    /// Everything the proxy printed on standard error.
    var output: String { transcript.text }
}

/// Text a child process writes, gathered from its pipe's handler thread.
private final class Transcript: Sendable {
    private let buffer = Mutex("")

    func append(_ data: Data) { buffer.withLock { $0 += String(decoding: data, as: UTF8.self) } }

    var text: String { buffer.withLock { $0 } }
}
