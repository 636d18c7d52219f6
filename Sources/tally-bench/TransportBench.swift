import ArgumentParser
internal import CCurl
import Foundation
import Synchronization
import TallyGateway
import TallyTestSupport

/// `tally-bench transport`: time to first byte and throughput through `Transport` against the
/// in-process fake upstream, side by side with bare libcurl easy transfers (one thread and one
/// reused easy handle per stream) of the same responses.
struct TransportBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transport",
        abstract: "Transport vs bare libcurl: time to first byte and throughput, JSON lines."
    )

    @Option(name: .long, parsing: .upToNextOption, help: "Concurrent streams to measure at.")
    var concurrency: [Int] = [1, 256]

    @Option(name: .long, help: "Requests per stream for the time-to-first-byte runs.")
    var requests: Int = 40

    @Option(name: .long, help: "MiB per throughput run, split over the concurrent streams.")
    var mebibytes: Int = 256

    @Option(name: .long, help: "MiB a slow reader reads from an endless stream (memory check); 0 to skip.")
    var slowReaderMebibytes: Int = 1024

    @Option(name: .long, help: "Concurrent slow SSE streams held open at once (memory check); 0 to skip.")
    var heldStreams: Int = 1000

    func run() async throws {
        let upstream = try FakeUpstream()
        upstream.respond(to: "/sse", with: .openAIChatStream(pieces: ["Hello", " there", "!"]))
        let transport = try Transport()

        for streams in concurrency {
            // Warm both clients' connections, then measure each twice, interleaved.
            _ = try await transportTTFB(transport, url: upstream.baseURL + "/sse", streams: streams, requests: 2)
            _ = bareTTFB(url: upstream.baseURL + "/sse", streams: streams, requests: 2)
            for round in 1...2 {
                let viaTransport = try await transportTTFB(transport, url: upstream.baseURL + "/sse", streams: streams, requests: requests)
                let bare = bareTTFB(url: upstream.baseURL + "/sse", streams: streams, requests: requests)
                emit(["case": "ttfb", "client": "transport", "streams": streams, "round": round] .merging(viaTransport.summary) { $1 })
                emit(["case": "ttfb", "client": "bare-libcurl", "streams": streams, "round": round] .merging(bare.summary) { $1 })
            }

            let perStream = max(1, mebibytes * 1024 * 1024 / streams / 65536)
            let part = [UInt8](repeating: UInt8(ascii: "x"), count: 65536)
            upstream.respond(to: "/bulk", with: .init(status: 200, parts: Array(repeating: part, count: perStream), chunked: true))
            let bytes = perStream * 65536 * streams
            let viaTransport = try await transportThroughput(transport, url: upstream.baseURL + "/bulk", streams: streams)
            let bare = bareThroughput(url: upstream.baseURL + "/bulk", streams: streams)
            for (client, seconds) in [("transport", viaTransport), ("bare-libcurl", bare)] {
                emit([
                    "case": "throughput", "client": client, "streams": streams, "bytes": bytes,
                    "seconds": rounded(seconds, places: 4), "mib_per_s": rounded(Double(bytes) / 1_048_576 / seconds),
                ])
            }
        }
        if slowReaderMebibytes > 0 {
            try await slowReaderMemory(transport, upstream: upstream)
        }
        if heldStreams > 0 {
            try await heldStreamsMemory(transport, upstream: upstream)
        }
        for _ in 0..<100 where transport.statistics.liveTransfers > 0 {
            try await Task.sleep(for: .milliseconds(10))  // a dropped response is removed asynchronously
        }
        let stats = transport.statistics
        emit(["case": "end", "live_transfers": stats.liveTransfers, "new_connections": stats.newConnections])
    }

    // MARK: Transport

    private func transportTTFB(_ transport: Transport, url: String, streams: Int, requests: Int) async throws -> Samples {
        try await withThrowingTaskGroup(of: [Duration].self) { group in
            for _ in 0..<streams {
                group.addTask {
                    var samples: [Duration] = []
                    for _ in 0..<requests {
                        let start = ContinuousClock.now
                        let response = try await transport.execute(.init(url: url))
                        var first: Duration?
                        for try await _ in response.body where first == nil {
                            first = ContinuousClock.now - start
                        }
                        samples.append(first ?? .zero)
                    }
                    return samples
                }
            }
            return Samples(try await group.reduce(into: []) { $0 += $1 })
        }
    }

    private func transportThroughput(_ transport: Transport, url: String, streams: Int) async throws -> Double {
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<streams {
                group.addTask {
                    let response = try await transport.execute(.init(url: url))
                    for try await _ in response.body {}
                }
            }
            try await group.waitForAll()
        }
        return (ContinuousClock.now - start).seconds
    }

    /// Reads an endless stream slower than it arrives and reports resident memory: it must
    /// stay flat, since the transfer is paused whenever the reader is 256 KiB behind.
    private func slowReaderMemory(_ transport: Transport, upstream: FakeUpstream) async throws {
        upstream.respond(to: "/endless", with: .endless(chunkSize: 64 * 1024))
        let target = slowReaderMebibytes * 1_048_576
        let before = ResidentSetSize.bytes()
        var peak = before
        var read = 0
        var sinceNap = 0
        let start = ContinuousClock.now
        let response = try await transport.execute(.init(url: upstream.baseURL + "/endless"))
        for try await chunk in response.body {
            read += chunk.count
            sinceNap += chunk.count
            if sinceNap >= 256 * 1024 {
                sinceNap = 0
                peak = max(peak, ResidentSetSize.bytes())
                try await Task.sleep(for: .milliseconds(1))
            }
            if read >= target { break }
        }
        let stats = transport.statistics
        emit([
            "case": "slow-reader-memory", "bytes": read, "seconds": rounded((ContinuousClock.now - start).seconds, places: 2),
            "rss_before_mib": rounded(Double(before) / 1_048_576), "rss_peak_mib": rounded(Double(peak) / 1_048_576),
            "peak_transfer_buffer_kib": rounded(Double(stats.peakTransferBufferedBytes) / 1024),
            "pauses": stats.pauses, "resumes": stats.resumes,
        ])
    }

    /// Holds many slow SSE streams open at once (an OpenAI-style stream of 40 events, 25 ms
    /// apart) and reports resident memory at the peak. The fake upstream's threads (one per
    /// connection) are in the same process, so the figure is an upper bound for the Transport.
    private func heldStreamsMemory(_ transport: Transport, upstream: FakeUpstream) async throws {
        upstream.respond(to: "/held", with: .openAIChatStream(pieces: Array(repeating: "token", count: 36), delay: .milliseconds(25)))
        let before = ResidentSetSize.bytes()
        let peak = PeakGauge(before)
        let start = ContinuousClock.now
        let bytes = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<heldStreams {
                group.addTask {
                    let response = try await transport.execute(.init(url: upstream.baseURL + "/held"))
                    var count = 0
                    for try await chunk in response.body { count += chunk.count }
                    return count
                }
            }
            group.addTask {
                while transport.statistics.liveTransfers > 0 || ContinuousClock.now - start < .milliseconds(200) {
                    let now = ResidentSetSize.bytes()
                    peak.record(now)
                    try await Task.sleep(for: .milliseconds(50))
                }
                return 0
            }
            return try await group.reduce(0, +)
        }
        emit([
            "case": "held-streams-memory", "streams": heldStreams, "bytes": bytes,
            "seconds": rounded((ContinuousClock.now - start).seconds, places: 2),
            "rss_before_mib": rounded(Double(before) / 1_048_576),
            "rss_peak_mib": rounded(Double(peak.value) / 1_048_576),
        ])
    }

    // MARK: Bare libcurl

    private func bareTTFB(url: String, streams: Int, requests: Int) -> Samples {
        let all = Mutex<[Duration]>([])
        runThreads(streams) {
            let client = BareClient(url: url)
            var samples: [Duration] = []
            for _ in 0..<requests { samples.append(client.perform().firstByte) }
            all.withLock { $0 += samples }
        }
        return Samples(all.withLock { $0 })
    }

    private func bareThroughput(url: String, streams: Int) -> Double {
        let start = ContinuousClock.now
        runThreads(streams) { _ = BareClient(url: url).perform() }
        return (ContinuousClock.now - start).seconds
    }

    private func runThreads(_ count: Int, _ body: @escaping @Sendable () -> Void) {
        let done = DispatchGroup()
        for _ in 0..<count {
            done.enter()
            let thread = Thread {
                body()
                done.leave()
            }
            thread.stackSize = 512 * 1024
            thread.start()
        }
        done.wait()
    }

    // MARK: Output

    private func emit(_ object: [String: Any]) {
        var object = object
        object["suite"] = "transport"
        if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
            print(String(decoding: data, as: UTF8.self))
        }
    }
}

/// The largest value recorded, from any task.
private final class PeakGauge: Sendable {
    private let peak: Mutex<Int>

    init(_ initial: Int) { peak = Mutex(initial) }

    var value: Int { peak.withLock { $0 } }

    func record(_ value: Int) { peak.withLock { $0 = max($0, value) } }
}

/// Latency samples and their percentiles in microseconds.
private struct Samples {
    var sorted: [Duration]

    init(_ samples: [Duration]) { sorted = samples.sorted() }

    func percentile(_ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let index = min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))
        return rounded(sorted[index].seconds * 1e6)
    }

    var summary: [String: Any] {
        ["samples": sorted.count, "p50_us": percentile(0.5), "p90_us": percentile(0.9), "p99_us": percentile(0.99)]
    }
}

/// One easy handle, reused for every request of one thread so its connection is reused too.
private final class BareClient {
    let easy: UnsafeMutableRawPointer?
    var start = ContinuousClock.now
    var firstByte: Duration?

    init(url: String) {
        easy = curl_easy_init()
        _ = url.withCString { tally_curl_easy_setopt_pointer(easy, CURLOPT_URL, $0) }
        _ = tally_curl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        _ = tally_curl_easy_setopt_write_callback(easy, CURLOPT_WRITEFUNCTION, bareWrite)
        _ = tally_curl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit { curl_easy_cleanup(easy) }

    func perform() -> (code: CURLcode, firstByte: Duration) {
        start = .now
        firstByte = nil
        let code = curl_easy_perform(easy)
        return (code, firstByte ?? .zero)
    }
}

private let bareWrite: curl_write_callback = { _, size, count, userdata in
    guard let userdata else { return 0 }
    let client = Unmanaged<BareClient>.fromOpaque(userdata).takeUnretainedValue()
    if client.firstByte == nil { client.firstByte = ContinuousClock.now - client.start }
    return size * count
}

private func rounded(_ value: Double, places: Int = 1) -> Double {
    let scale = pow(10, Double(places))
    return (value * scale).rounded() / scale
}

extension Duration {
    fileprivate var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
