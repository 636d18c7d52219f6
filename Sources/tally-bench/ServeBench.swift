import ArgumentParser
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Synchronization
import TallyGateway
import TallyLedger
import TallyPricing
import TallyServer
import TallyTestSupport

/// `tally-bench serve`: the time to first byte `tally serve` adds over calling the upstream
/// directly, and resident memory with many streams open through it. By default the proxy is the
/// real `tally` binary run as a child process (with a ledger in a temporary folder); the fake
/// upstream and the client (a `Transport`) share the bench process. Direct and proxied rounds
/// alternate in one run, with streams back to back and, at more than one stream, paced like a
/// model's.
struct ServeBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "tally serve vs the upstream directly: time to first byte added, and memory with held streams, JSON lines."
    )

    @Option(name: .long, parsing: .upToNextOption, help: "Concurrent streams to measure at.")
    var concurrency: [Int] = [1, 64, 256]

    @Option(name: .long, help: "Requests per measured round, split over the concurrent streams (at least 4 each).")
    var requests: Int = 1024

    @Option(name: .long, help: "Measured rounds per concurrency, each a direct then a proxied run (after a warm-up).")
    var rounds: Int = 5

    @Option(name: .long, help: "Milliseconds between events of the paced runs (at more than one stream); 0 to skip them.")
    var eventInterval: Int = 20

    @Option(name: .long, help: "Requests per stream in each paced round (each stream about a second).")
    var pacedRequests: Int = 4

    @Option(name: .long, help: "Concurrent slow streams held open through the proxy at once (memory check); 0 to skip.")
    var heldStreams: Int = 1000

    /// Where the proxy runs.
    enum Placement: String, ExpressibleByArgument, CaseIterable {
        /// `tally serve` as a child process, as apps run it (the default).
        case process
        /// A `ProxyServer` inside the bench process, sharing its threads with the client and upstream.
        case inProcess = "in-process"
    }

    @Option(help: "Where the proxy runs: process (the tally binary as a child) or in-process.")
    var proxy: Placement = .process

    @Option(help: "The tally executable for --proxy process (default: the one beside tally-bench).")
    var tally: String?

    /// Events per response: a role chunk, 46 content chunks, a finish chunk, the usage chunk and `[DONE]`.
    static let fiftyChunks = FakeUpstream.Reply.openAIChatStream(model: "gpt-4.1", pieces: Array(repeating: "tok", count: 46))

    /// How long `fiftyChunks` lasts streamed one event every `interval`: the spread over which
    /// paced streams start, so that they are evenly staggered.
    static func pacedLength(_ interval: Duration) -> Duration { interval * 50 }

    func run() async throws {
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let folder = FileManager.default.temporaryDirectory.appending(path: "tally-bench-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let book = try PriceBook()
        let ledger = try Ledger(path: folder.appending(path: "ledger.sqlite").path, prices: book)
        let port: Int
        let child: ServeProcess?
        let serving: Task<Void, any Error>?
        switch proxy {
        case .process:
            let executable = tally ?? URL(filePath: CommandLine.arguments[0]).deletingLastPathComponent().appending(path: "tally").path
            let started = try await ServeProcess(
                executable: executable, upstreamBaseURL: upstream.baseURL + "/v1",
                ledgerPath: folder.appending(path: "proxy-ledger.sqlite").path)
            (port, child, serving) = (started.port, started, nil)
        case .inProcess:
            var configuration = ServerConfiguration()
            configuration.upstreams = [
                .init(name: "relay", upstream: Upstream(provider: "holysheep", baseURL: upstream.baseURL + "/v1", dialect: .openAI, apiKey: "sk-bench"),
                      apiKeyEnvironment: nil, models: ["gpt-*"], isDefault: true),
            ]
            var logger = Logger(label: "tally-bench.serve")
            logger.logLevel = .warning
            let server = try ProxyServer(configuration: configuration, ledger: ledger, prices: book, transport: try Transport(), logger: logger)
            let bound = BoundPort()
            let app = server.application(host: "127.0.0.1", port: 0) { port in bound.set(port) }
            serving = Task { try await app.run() }
            port = try await bound.wait()
            child = nil
        }
        defer {
            serving?.cancel()
            if let child { _ = child.stop() }
        }

        // The client: one Transport for both paths, so its own cost is on both sides.
        let client = try Transport()
        let body = #"{"model":"gpt-4.1","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Say hello."}],"stream":true}"#
        let proxied = Transport.Request(
            method: "POST", url: "http://127.0.0.1:\(port)/v1/chat/completions",
            headers: [.contentType: "application/json", .accept: "text/event-stream"], body: Array(body.utf8))
        // The bytes the proxy sends upstream: its key, and include_usage added.
        let direct = Transport.Request(
            method: "POST", url: upstream.baseURL + "/v1/chat/completions",
            headers: [.authorization: "Bearer sk-bench", .contentType: "application/json", .accept: "text/event-stream"],
            body: Array((String(body.dropLast()) + #","stream_options":{"include_usage":true}}"#).utf8))

        // Memory first, while the process is fresh; then the fast stream for the latency rounds.
        if heldStreams > 0 {
            try await heldStreamsMemory(upstream: upstream, client: client, direct: direct, proxied: proxied, child: child)
        }
        upstream.respond(to: "/v1/chat/completions", with: Self.fiftyChunks)
        // A Gateway in process on the same ledger and upstream: what the proxy runs per request,
        // without the HTTP server hop; it splits the added time between the two.
        let gateway = try Gateway(
            upstream: Upstream(provider: "holysheep", baseURL: upstream.baseURL + "/v1", dialect: .openAI, apiKey: "sk-bench"),
            ledger: ledger, prices: book, transport: client)
        for streams in concurrency {
            try await measure(
                "back-to-back", client: client, direct: direct, proxied: proxied, gateway: gateway, body: body,
                streams: streams, requests: max(4, requests / max(1, streams)))
            if streams > 1, eventInterval > 0 {
                // The same 50 events paced like a model, the streams starting evenly over one
                // stream's length: each request meets the others mid-stream.
                upstream.respond(to: "/v1/chat/completions", with: Self.fiftyChunks.streamed(every: .milliseconds(eventInterval)))
                try await measure(
                    "paced", client: client, direct: direct, proxied: proxied, gateway: nil, body: body,
                    streams: streams, requests: pacedRequests, spreadOver: Self.pacedLength(.milliseconds(eventInterval)))
                upstream.respond(to: "/v1/chat/completions", with: Self.fiftyChunks)
            }
        }
        try await serverFloor(client: client, upstream: upstream, port: port)
        if let child {
            let peak = child.peakResidentBytes
            let status = child.stop()
            if status != 0 { FileHandle.standardError.write(Data(child.output.utf8)) }
            let info = try await LedgerReader(path: folder.appending(path: "proxy-ledger.sqlite").path).info()
            emit(["case": "end", "proxy_exit_status": Int(status), "ledger_rows": info.rows ?? -1, "journal_rows": info.journalRows ?? -1,
                  "proxy_peak_rss_mib": Self.rounded(Double(peak) / 1_048_576)])
        } else {
            let info = try await ledger.reader.info()
            emit(["case": "end", "ledger_rows": info.rows ?? -1, "journal_rows": info.journalRows ?? -1])
        }
    }

    /// Warms up, then runs `rounds` rounds of `requests` per stream at `streams` concurrent
    /// streams: direct, proxied, and through `gateway` in process when given; one line per
    /// round and one pooling every round.
    private func measure(
        _ events: String, client: Transport, direct: Transport.Request, proxied: Transport.Request,
        gateway: Gateway?, body: String, streams: Int, requests: Int, spreadOver spread: Duration = .zero
    ) async throws {
        _ = try await ttfb(client, request: direct, streams: streams, requests: 2, spreadOver: spread)
        _ = try await ttfb(client, request: proxied, streams: streams, requests: 2, spreadOver: spread)
        if let gateway { _ = try await LatencySamples.throughGateway(gateway, body: body, streams: streams, requests: 2) }
        var allDirect: [Duration] = []
        var allProxied: [Duration] = []
        for round in 1...max(1, rounds) {
            let viaUpstream = try await ttfb(client, request: direct, streams: streams, requests: requests, spreadOver: spread)
            let viaProxy = try await ttfb(client, request: proxied, streams: streams, requests: requests, spreadOver: spread)
            allDirect += viaUpstream.sorted
            allProxied += viaProxy.sorted
            let line: [String: Any] = ["case": "ttfb", "events": events, "streams": streams, "round": round]
            emit(line.merging(["path": "direct"]) { $1 }.merging(viaUpstream.summary) { $1 })
            emit(line.merging(["path": "proxied"]) { $1 }.merging(viaProxy.summary) { $1 })
            if let gateway {
                let viaGateway = try await LatencySamples.throughGateway(gateway, body: body, streams: streams, requests: requests)
                emit(line.merging(["path": "gateway-in-process"]) { $1 }.merging(viaGateway.summary) { $1 })
            }
            emit(Self.added(direct: viaUpstream, proxied: viaProxy).merging(line) { $1 }.merging(["case": "ttfb-added"]) { $1 })
        }
        let pooledDirect = LatencySamples(allDirect)
        let pooledProxied = LatencySamples(allProxied)
        emit(Self.added(direct: pooledDirect, proxied: pooledProxied).merging([
            "case": "ttfb-added-all-rounds", "events": events, "streams": streams, "samples": pooledProxied.sorted.count,
            "direct_p50_us": pooledDirect.percentile(0.5), "direct_p99_us": pooledDirect.percentile(0.99),
            "proxied_p50_us": pooledProxied.percentile(0.5), "proxied_p99_us": pooledProxied.percentile(0.99),
            "target_p50_added_us": 300, "target_p99_added_us": 2000,
        ]) { $1 })
    }

    /// The HTTP server's own share: time to first byte of `GET /healthz` from the proxy (routing
    /// and one small response, no upstream, no ledger) against a small JSON answer from the fake
    /// upstream, alternating request by request.
    private func serverFloor(client: Transport, upstream: FakeUpstream, port: Int) async throws {
        upstream.respond(to: "/healthz", with: .json(#"{"status":"ok"}"#))
        let viaProxy = Transport.Request(url: "http://127.0.0.1:\(port)/healthz")
        let viaUpstream = Transport.Request(url: upstream.baseURL + "/healthz")
        var proxy: [Duration] = []
        var direct: [Duration] = []
        for index in 0..<(requests * 2) {
            for (request, isProxy) in [(viaProxy, true), (viaUpstream, false)] {
                let (first, _) = try await LatencySamples.firstChunk(through: client, request: request)
                if index >= 10 { if isProxy { proxy.append(first) } else { direct.append(first) } }
            }
        }
        let proxied = LatencySamples(proxy)
        let upstreamOnly = LatencySamples(direct)
        emit([
            "case": "server-floor", "samples": proxy.count,
            "proxy_healthz_p50_us": proxied.percentile(0.5), "upstream_json_p50_us": upstreamOnly.percentile(0.5),
            "p50_added_us": Self.rounded(proxied.percentile(0.5) - upstreamOnly.percentile(0.5)),
        ])
    }

    /// The difference of the proxied and direct percentiles, in microseconds.
    private static func added(direct: LatencySamples, proxied: LatencySamples) -> [String: Any] {
        [
            "p50_added_us": ((proxied.percentile(0.5) - direct.percentile(0.5)) * 10).rounded() / 10,
            "p99_added_us": ((proxied.percentile(0.99) - direct.percentile(0.99)) * 10).rounded() / 10,
        ]
    }

    /// Time to first body byte of `requests` sequential requests on each of `streams` concurrent
    /// tasks, from just before `execute` to the first body chunk; each body is read to its end.
    /// With a `spread`, the tasks start evenly over it instead of all at once.
    private func ttfb(
        _ client: Transport, request: Transport.Request, streams: Int, requests: Int, spreadOver spread: Duration = .zero
    ) async throws -> LatencySamples {
        try await withThrowingTaskGroup(of: [Duration].self) { group in
            for index in 0..<streams {
                group.addTask {
                    if spread > .zero { try await Task.sleep(for: spread / streams * index) }
                    var samples: [Duration] = []
                    samples.reserveCapacity(requests)
                    for _ in 0..<requests {
                        let (first, status) = try await LatencySamples.firstChunk(through: client, request: request)
                        guard status == 200 else { throw ValidationError("HTTP \(status) from \(request.url)") }
                        samples.append(first)
                    }
                    return samples
                }
            }
            return LatencySamples(try await group.reduce(into: []) { $0 += $1 })
        }
    }

    /// Holds `heldStreams` slow streams (the same 50 events, 40 ms apart: two seconds each) open
    /// at once, first directly (client and upstream alone), then through the proxy, and reports
    /// resident memory at each peak: the bench process's, and the proxy's own when it is a child
    /// process (in process, the proxied peak is only an upper bound for the proxy).
    private func heldStreamsMemory(
        upstream: FakeUpstream, client: Transport, direct: Transport.Request, proxied: Transport.Request, child: ServeProcess?
    ) async throws {
        upstream.respond(to: "/v1/chat/completions", with: .openAIChatStream(
            model: "gpt-4.1", pieces: Array(repeating: "tok", count: 46), delay: .milliseconds(40)))
        let before = ResidentSetSize.bytes()
        for (path, request) in [("direct", direct), ("proxied", proxied)] {
            let start = ContinuousClock.now
            let gauge = HeldStreamsGauge(resident: ResidentSetSize.bytes())
            let proxyBefore = child?.residentBytes ?? 0
            let bytes = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<heldStreams {
                    group.addTask {
                        defer { gauge.finished() }
                        let response = try await client.execute(request)
                        guard response.status == 200 else { throw ValidationError("HTTP \(response.status) from \(request.url)") }
                        var count = 0
                        var opened = false
                        for try await chunk in response.body {
                            if !opened { opened = true; gauge.opened() }
                            count += chunk.count
                        }
                        if opened { gauge.closed() }
                        return count
                    }
                }
                group.addTask {
                    while gauge.finishedCount < heldStreams {
                        gauge.record(resident: ResidentSetSize.bytes(), proxy: child?.residentBytes ?? 0)
                        try await Task.sleep(for: .milliseconds(50))
                    }
                    return 0
                }
                return try await group.reduce(0, +)
            }
            var fields: [String: Any] = [
                "case": "held-streams-memory", "path": path, "streams": heldStreams, "peak_open_streams": gauge.peakOpen,
                "bytes": bytes, "seconds": Self.rounded((ContinuousClock.now - start) / .seconds(1)),
                "bench_rss_start_mib": Self.rounded(Double(before) / 1_048_576),
                "bench_rss_peak_mib": Self.rounded(Double(gauge.peakResident) / 1_048_576),
            ]
            if let child, path == "proxied" {
                fields["proxy_rss_start_mib"] = Self.rounded(Double(proxyBefore) / 1_048_576)
                fields["proxy_rss_peak_mib"] = Self.rounded(Double(gauge.peakProxyResident) / 1_048_576)
                fields["proxy_vmhwm_mib"] = Self.rounded(Double(child.peakResidentBytes) / 1_048_576)
                fields["target_proxy_rss_mib"] = 200
            }
            emit(fields)
        }
    }

    private static func rounded(_ value: Double) -> Double { (value * 10).rounded() / 10 }

    private func emit(_ object: [String: Any]) {
        var object = object
        object["suite"] = "serve"
        if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
            print(String(decoding: data, as: UTF8.self))
        }
    }
}

/// The port the proxy bound, handed from its `onServerRunning` to the bench.
private final class BoundPort: Sendable {
    private let port = Mutex<Int?>(nil)

    func set(_ value: Int) { port.withLock { $0 = value } }

    func wait() async throws -> Int {
        for _ in 0..<500 {
            if let port = port.withLock({ $0 }) { return port }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw ValidationError("tally serve did not start listening within 5 s")
    }
}

/// The held streams: how many have their first byte and not yet their end (and the most at
/// once), how many are finished, and the highest resident sizes seen (the bench's and the proxy's).
private final class HeldStreamsGauge: Sendable {
    private struct Counts {
        var open = 0
        var peakOpen = 0
        var finished = 0
        var peakResident: Int
        var peakProxyResident = 0
    }

    private let counts: Mutex<Counts>

    init(resident: Int) { counts = Mutex(Counts(peakResident: resident)) }

    func opened() { counts.withLock { $0.open += 1; $0.peakOpen = max($0.peakOpen, $0.open) } }
    func closed() { counts.withLock { $0.open -= 1 } }
    func finished() { counts.withLock { $0.finished += 1 } }
    func record(resident: Int, proxy: Int) {
        counts.withLock {
            $0.peakResident = max($0.peakResident, resident)
            $0.peakProxyResident = max($0.peakProxyResident, proxy)
        }
    }

    var peakOpen: Int { counts.withLock { $0.peakOpen } }
    var finishedCount: Int { counts.withLock { $0.finished } }
    var peakResident: Int { counts.withLock { $0.peakResident } }
    var peakProxyResident: Int { counts.withLock { $0.peakProxyResident } }
}

