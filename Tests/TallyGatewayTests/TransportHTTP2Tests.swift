import Foundation
import Glibc
import Testing
@testable import TallyGateway

/// HTTP/2 through a real HTTP/2 server on loopback: `nghttpd` (Debian `nghttp2-server`,
/// installed by Scripts/install-deps) with a throwaway self-signed certificate. Skipped where
/// they are missing, except under `CI=true` (`.ci/run` installs them): there, their absence fails.
@Suite(.timeLimit(.minutes(1)), .enabled(if: HTTP2Upstream.isAvailable || HTTP2Upstream.isRequired, "needs nghttpd and openssl"))
struct TransportHTTP2Tests {
    @Test func anHTTP2UpstreamIsSpokenToInHTTP2AndConcurrentRequestsShareOneConnection() async throws {
        let upstream = try await HTTP2Upstream()
        defer { upstream.stop() }
        let transport = try Transport(configuration: .init(certificateAuthoritiesFile: upstream.certificateFile))

        let first = try await transport.execute(.init(url: upstream.baseURL + "/small.txt"))
        #expect(first.httpVersion == "2")
        #expect(first.status == 200)
        #expect(try await first.collectBody(upTo: 1 << 20) == upstream.small)

        let bodies = try await withThrowingTaskGroup(of: [UInt8].self) { group in
            for _ in 0..<20 {
                group.addTask { try await transport.execute(.init(url: upstream.baseURL + "/small.txt")).collectBody(upTo: 1 << 20) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(bodies.allSatisfy { $0 == upstream.small })
        #expect(await eventually { transport.statistics.newConnections == 1 })
    }

    @Test func aSlowReaderPausesAndResumesAnHTTP2Stream() async throws {
        let upstream = try await HTTP2Upstream()
        defer { upstream.stop() }
        let transport = try Transport(configuration: .init(
            maximumBufferedBytesPerTransfer: 64 * 1024, certificateAuthoritiesFile: upstream.certificateFile))

        let response = try await transport.execute(.init(url: upstream.baseURL + "/big.bin"))
        var total = 0
        var chunks = 0
        for try await chunk in response.body {
            total += chunk.count
            chunks += 1
            if chunks % 8 == 0 { try await Task.sleep(for: .milliseconds(2)) }
        }

        #expect(response.httpVersion == "2")
        #expect(total == upstream.bigSize)
        #expect(transport.statistics.pauses > 0)
        #expect(transport.statistics.peakTransferBufferedBytes <= 64 * 1024 + 64 * 1024)
    }

    @Test func cancellingAnHTTP2StreamRemovesTheTransferAndKeepsTheConnection() async throws {
        let upstream = try await HTTP2Upstream()
        defer { upstream.stop() }
        let transport = try Transport(configuration: .init(certificateAuthoritiesFile: upstream.certificateFile))

        do {
            let response = try await transport.execute(.init(url: upstream.baseURL + "/big.bin"))
            for try await _ in response.body { break }
        }
        #expect(await eventually { transport.statistics.liveTransfers == 0 })

        let next = try await transport.execute(.init(url: upstream.baseURL + "/small.txt"))
        #expect(try await next.collectBody(upTo: 1 << 20) == upstream.small)
        #expect(await eventually { transport.statistics.newConnections == 1 })
    }
}

/// nghttpd serving two files over TLS on an ephemeral loopback port.
final class HTTP2Upstream: Sendable {
    /// Where nghttpd may be; `TALLY_TEST_NGHTTPD` names another place (to check the CI rule).
    static var nghttpdPaths: [String] {
        ProcessInfo.processInfo.environment["TALLY_TEST_NGHTTPD"].map { [$0] } ?? ["/usr/sbin/nghttpd", "/usr/bin/nghttpd"]
    }

    static var isAvailable: Bool {
        nghttpdPaths.contains { FileManager.default.isExecutableFile(atPath: $0) }
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")
    }

    /// Whether the tests must run: in CI (`CI=true`), where Scripts/install-deps installs nghttpd.
    static var isRequired: Bool {
        ProcessInfo.processInfo.environment["CI"]?.lowercased() == "true"
    }

    let port: Int
    let certificateFile: String
    let small: [UInt8]
    let bigSize = 8 * 1024 * 1024
    private let process: Process
    private let directory: URL

    var baseURL: String { "https://127.0.0.1:\(port)" }

    init() async throws {
        guard Self.isAvailable else {
            throw TransportError(
                code: .other, url: "",
                message: "CI=true but nghttpd (\(Self.nghttpdPaths.joined(separator: " or "))) or /usr/bin/openssl is missing: "
                    + "Scripts/install-deps installs them (Debian nghttp2-server, openssl)")
        }
        directory = FileManager.default.temporaryDirectory.appending(path: "tally-h2-\(UUID().uuidString)")
        let docs = directory.appending(path: "docs")
        try FileManager.default.createDirectory(at: docs, withIntermediateDirectories: true)
        small = Array("hello over HTTP/2\n".utf8)
        try Data(small).write(to: docs.appending(path: "small.txt"))
        try Data(repeating: 0x5A, count: bigSize).write(to: docs.appending(path: "big.bin"))
        certificateFile = directory.appending(path: "cert.pem").path
        let key = directory.appending(path: "key.pem").path
        try Self.run("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key, "-out", certificateFile, "-days", "2", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ])
        port = try Self.freePort()
        let nghttpd = Self.nghttpdPaths.first { FileManager.default.isExecutableFile(atPath: $0) }!
        process = Process()
        process.executableURL = URL(filePath: nghttpd)
        process.arguments = ["-a", "127.0.0.1", "-d", docs.path, String(port), key, certificateFile]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let started = await eventually { Self.accepts(port: self.port) }
        guard started else { throw TransportError(code: .other, url: baseURL, message: "nghttpd did not start") }
    }

    func stop() {
        kill(process.processIdentifier, SIGKILL)  // nghttpd does not stop on SIGTERM
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }

    private static func run(_ path: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(filePath: path)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
    }

    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port)).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}
