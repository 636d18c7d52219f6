import ArgumentParser
import Foundation

/// The exit statuses `tally` documents (sysexits.h, as the README lists them).
enum ExitStatus {
    /// A flag or argument is wrong.
    static let usage: Int32 = 64
    /// An input file (price table, ledger, budget file) holds bad data.
    static let data: Int32 = 65
    /// A service could not be started or reached: `tally serve` could not listen on its address, or a
    /// ledger's PostgreSQL server did not answer.
    static let unavailable: Int32 = 69
    /// A file could not be read or written.
    static let io: Int32 = 74
    /// A ledger's server refused the credentials, or the role lacks a right the command needs.
    static let noPermission: Int32 = 77
}

/// A failure `tally` reports as one line per problem on standard error, then exits with `status`.
struct Failure: Error {
    /// One line per problem, each naming the file, field or flag at fault.
    var lines: [String]
    /// The process exit status.
    var status: Int32

    /// A failure with a single line.
    init(_ line: String, status: Int32) {
        self.lines = [line]
        self.status = status
    }

    /// A failure with one line per problem.
    init(lines: [String], status: Int32) {
        self.lines = lines
        self.status = status
    }
}

/// Runs a command's body, turning a `Failure` into its lines on standard error and its exit status.
func reportingFailures(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let failure as Failure {
        for line in failure.lines {
            FileHandle.standardError.write(Data("tally: \(line)\n".utf8))
        }
        throw ExitCode(failure.status)
    }
}
