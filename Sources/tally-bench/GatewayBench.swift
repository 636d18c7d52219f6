import ArgumentParser
import Foundation
import HTTPTypes
import Synchronization
import TallyGateway
import TallyLedger
import TallyPricing
import TallyTestSupport
import TallyUsage

/// `tally-bench gateway`: time to first byte through `Gateway.stream` (adapter, tokenizer
/// estimate, journal row, usage hiding) against a bare `Transport` transfer of the same stream,
/// both against the in-process fake upstream, interleaved in one run: streams back to back
/// (all starting at once) and, at more than one stream, paced like a model's.
struct GatewayBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Gateway.stream vs a bare Transport transfer: time to first byte, JSON lines."
    )

    @Option(name: .long, parsing: .upToNextOption, help: "Concurrent streams to measure at.")
    var concurrency: [Int] = [1, 256]

    @Option(name: .long, help: "Requests per stream in each measured round.")
    var requests: Int = 40

    @Option(name: .long, help: "Measured rounds per concurrency (each after a warm-up).")
    var rounds: Int = 3

    @Option(name: .long, help: "Milliseconds between events of the paced runs (at more than one stream); 0 to skip them.")
    var eventInterval: Int = 20

    @Option(name: .long, help: "Requests per stream in each paced round (each stream about a second).")
    var pacedRequests: Int = 4

    @Option(name: .long, help: "Concurrent slow streams through one Gateway at once (memory check); 0 to skip.")
    var heldStreams: Int = 1000

    func run() async throws {
        let upstream = try FakeUpstream()
        upstream.respond(to: "/v1/chat/completions", with: .openAIChatStream(model: "gpt-4.1", pieces: ["Hello", " there", "!"]))
        let transport = try Transport()
        let directory = NSTemporaryDirectory() + "tally-bench-gateway-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let ledger = try Ledger(path: directory + "/ledger.sqlite")
        let gateway = try Gateway(
            upstream: Upstream(provider: "holysheep", baseURL: upstream.baseURL + "/v1", dialect: .openAI, apiKey: "sk-bench"),
            ledger: ledger, prices: try PriceBook(), transport: transport)
        let body = #"{"model":"gpt-4.1","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Say hello."}],"stream":true}"#
        // The same bytes the gateway sends: include_usage added.
        let bare = Transport.Request(
            method: "POST", url: upstream.baseURL + "/v1/chat/completions",
            headers: [.authorization: "Bearer sk-bench", .contentType: "application/json", .accept: "text/event-stream"],
            body: Array((String(body.dropLast()) + #","stream_options":{"include_usage":true}}"#).utf8))

        // The same stream paced like a model (first event at once, then one every
        // `eventInterval`), on its own path, the streams starting evenly over one stream's
        // length: each request meets the others mid-stream, not all at their first byte at once.
        upstream.respond(to: "/paced/v1/chat/completions", with: ServeBench.fiftyChunks.streamed(every: .milliseconds(eventInterval)))
        let pacedGateway = try Gateway(
            upstream: Upstream(provider: "holysheep", baseURL: upstream.baseURL + "/paced/v1", dialect: .openAI, apiKey: "sk-bench"),
            ledger: ledger, prices: try PriceBook(), transport: transport)
        var pacedBare = bare
        pacedBare.url = upstream.baseURL + "/paced/v1/chat/completions"

        for streams in concurrency {
            try await measure("back-to-back", gateway: gateway, bare: bare, body: body, transport: transport, streams: streams, requests: requests)
            if streams > 1, eventInterval > 0 {
                try await measure(
                    "paced", gateway: pacedGateway, bare: pacedBare, body: body, transport: transport, streams: streams, requests: pacedRequests,
                    spreadOver: ServeBench.pacedLength(.milliseconds(eventInterval)))
            }
        }
        try await breakdown(gateway: gateway, ledger: ledger, body: body)
        if heldStreams > 0 {
            try await heldStreamsMemory(upstream: upstream, transport: transport, ledger: ledger, body: body)
        }
        let info = try await ledger.reader.info()
        emit(["case": "end", "ledger_rows": info.rows ?? -1, "journal_rows": info.journalRows ?? -1,
              "live_transfers": transport.statistics.liveTransfers])
    }

    /// Warms up, then runs `rounds` interleaved rounds at `streams` concurrent streams of the
    /// given event pacing, one line per round and one pooling every round.
    private func measure(
        _ events: String, gateway: Gateway, bare: Transport.Request, body: String, transport: Transport, streams: Int, requests: Int,
        spreadOver spread: Duration = .zero
    ) async throws {
        _ = try await interleavedTTFB(gateway: gateway, body: body, transport: transport, bare: bare, streams: streams, requests: 2, spreadOver: spread)
        var allGateway: [Duration] = []
        var allTransport: [Duration] = []
        for round in 1...max(1, rounds) {
            let (viaGateway, viaTransport) = try await interleavedTTFB(
                gateway: gateway, body: body, transport: transport, bare: bare, streams: streams, requests: requests, spreadOver: spread)
            allGateway += viaGateway.sorted
            allTransport += viaTransport.sorted
            emit(["case": "ttfb", "client": "gateway", "events": events, "streams": streams, "round": round].merging(viaGateway.summary) { $1 })
            emit(["case": "ttfb", "client": "transport", "events": events, "streams": streams, "round": round].merging(viaTransport.summary) { $1 })
            emit([
                "case": "ttfb-overhead", "events": events, "streams": streams, "round": round,
                "p50_delta_us": ((viaGateway.percentile(0.5) - viaTransport.percentile(0.5)) * 10).rounded() / 10,
            ])
        }
        let pooledGateway = LatencySamples(allGateway)
        let pooledTransport = LatencySamples(allTransport)
        emit([
            "case": "ttfb-overhead-all-rounds", "events": events, "streams": streams, "samples": allGateway.count,
            "gateway_p50_us": pooledGateway.percentile(0.5), "transport_p50_us": pooledTransport.percentile(0.5),
            "p50_delta_us": ((pooledGateway.percentile(0.5) - pooledTransport.percentile(0.5)) * 10).rounded() / 10,
            "target_p50_delta_us": 100,
        ])
    }

    /// What the gateway does before the request leaves, timed alone at one stream: the
    /// tokenizer's prompt estimate and the journal row (`ledger.begin`, a SQLite commit). Timed
    /// back to back (warm caches), then each after 20 ms idle, as a request on a quiet machine
    /// meets them.
    private func breakdown(gateway: Gateway, ledger: Ledger, body: String) async throws {
        let bytes = Array(body.utf8)
        for idleMilliseconds in [0, 20] {
            var estimates: [Duration] = []
            var begins: [Duration] = []
            for _ in 0..<(idleMilliseconds == 0 ? max(requests, 200) : 200) {
                if idleMilliseconds > 0 { try await Task.sleep(for: .milliseconds(idleMilliseconds)) }
                var start = ContinuousClock.now
                let tokens = gateway.estimator.inputTokens(ofRequest: bytes, endpoint: .chatCompletions, model: "gpt-4.1")
                estimates.append(ContinuousClock.now - start)
                start = ContinuousClock.now
                let ticket = try await ledger.begin(InFlightRequest(
                    timestamp: Date(), provider: "holysheep", model: "gpt-4.1", endpoint: "chat/completions",
                    streamed: true, estimatedInputTokens: tokens))
                begins.append(ContinuousClock.now - start)
                try await ledger.append(completing: ticket, with: LedgerEntry(
                    id: ticket.request.id, timestamp: ticket.request.timestamp, provider: "holysheep", modelRequested: "gpt-4.1",
                    endpoint: "chat/completions", usage: Usage(input: tokens), pricing: nil))
            }
            emit(["case": "breakdown", "step": "tokenizer-estimate", "idle_before_ms": idleMilliseconds].merging(LatencySamples(estimates).summary) { $1 })
            emit(["case": "breakdown", "step": "ledger-begin", "idle_before_ms": idleMilliseconds].merging(LatencySamples(begins).summary) { $1 })
        }
    }

    /// Holds many slow streams open at once through one Gateway (40 events, 25 ms apart, usage
    /// hidden from the caller) and reports resident memory at the peak. The fake upstream's
    /// threads (one per connection) are in the same process, so the figure is an upper bound.
    private func heldStreamsMemory(upstream: FakeUpstream, transport: Transport, ledger: Ledger, body: String) async throws {
        upstream.respond(to: "/held/v1/chat/completions", with: .openAIChatStream(model: "gpt-4.1", pieces: Array(repeating: "token", count: 36), delay: .milliseconds(25)))
        let gateway = try Gateway(
            upstream: Upstream(provider: "holysheep", baseURL: upstream.baseURL + "/held/v1", dialect: .openAI, apiKey: "sk-bench"),
            ledger: ledger, prices: try PriceBook(), transport: transport)
        let rowsBefore = try await ledger.reader.info().rows ?? 0
        let before = ResidentSetSize.bytes()
        let peak = ResidentPeak(before)
        let start = ContinuousClock.now
        let events = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<heldStreams {
                group.addTask {
                    try await gateway.stream(GatewayRequest(endpoint: .chatCompletions, json: body)) { stream in
                        var count = 0
                        for try await _ in stream.events { count += 1 }
                        return count
                    }
                }
            }
            group.addTask {
                while ContinuousClock.now - start < .milliseconds(200) || transport.statistics.liveTransfers > 0 {
                    peak.record(ResidentSetSize.bytes())
                    try await Task.sleep(for: .milliseconds(50))
                }
                return 0
            }
            return try await group.reduce(0, +)
        }
        let info = try await ledger.reader.info()
        emit([
            "case": "held-streams-memory", "streams": heldStreams, "events": events,
            "seconds": ((ContinuousClock.now - start).components.seconds),
            "rss_before_mib": Double(before / 1024) / 1024, "rss_peak_mib": Double(peak.value / 1024) / 1024,
            "ledger_rows_added": (info.rows ?? 0) - rowsBefore, "journal_rows": info.journalRows ?? -1,
        ])
    }

    /// Time to first byte through the gateway and through a bare transfer, the two alternating
    /// request by request on each of `streams` concurrent tasks, so both see the same machine.
    /// With a `spread`, the tasks start evenly over it instead of all at once.
    private func interleavedTTFB(
        gateway: Gateway, body: String, transport: Transport, bare: Transport.Request, streams: Int, requests: Int,
        spreadOver spread: Duration = .zero
    ) async throws -> (gateway: LatencySamples, transport: LatencySamples) {
        try await withThrowingTaskGroup(of: ([Duration], [Duration]).self) { group in
            for index in 0..<streams {
                group.addTask {
                    if spread > .zero { try await Task.sleep(for: spread / streams * index) }
                    var viaGateway: [Duration] = []
                    var viaTransport: [Duration] = []
                    for _ in 0..<requests {
                        viaGateway.append(try await LatencySamples.firstChunk(through: gateway, body: body))
                        viaTransport.append(try await LatencySamples.firstChunk(through: transport, request: bare).0)
                    }
                    return (viaGateway, viaTransport)
                }
            }
            var viaGateway: [Duration] = []
            var viaTransport: [Duration] = []
            for try await (gatewaySamples, transportSamples) in group {
                viaGateway += gatewaySamples
                viaTransport += transportSamples
            }
            return (LatencySamples(viaGateway), LatencySamples(viaTransport))
        }
    }

    private func emit(_ object: [String: Any]) {
        var object = object
        object["suite"] = "gateway"
        if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
            print(String(decoding: data, as: UTF8.self))
        }
    }
}

/// The highest resident size seen, shared with the task that samples it.
private final class ResidentPeak: Sendable {
    private let peak: Mutex<Int>

    init(_ initial: Int) { peak = Mutex(initial) }

    func record(_ bytes: Int) { peak.withLock { $0 = max($0, bytes) } }

    var value: Int { peak.withLock { $0 } }
}
