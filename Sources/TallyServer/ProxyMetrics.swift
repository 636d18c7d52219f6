import Foundation
import Prometheus
import TallyLedger
import TallyPricing

/// The proxy's Prometheus metrics: requests, tokens and cost by provider and model, upstream
/// latency and time to first token, streams in flight. Never a key, a prompt or a user.
final class ProxyMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let inFlight: Gauge
    private let latencyBuckets: [Duration] = [.milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                                              .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(120)]

    init() {
        inFlight = registry.makeGauge(name: "tally_streams_in_flight", help: "Streams being relayed now.")
    }

    func streamStarted() { inFlight.increment(by: 1) }
    func streamEnded() { inFlight.decrement(by: 1) }

    /// Counts a ledger row.
    func record(_ entry: LedgerEntry) {
        let labels = [("provider", entry.provider), ("model", entry.modelRequested)]
        registry.makeCounter(name: "tally_requests_total", labels: labels + [("outcome", entry.outcome.rawValue)], help: "Requests metered, by outcome.")
            .increment()
        let classes: [(String, Int64)] = [
            ("input", entry.usage.input), ("cached_input", entry.usage.cachedInput), ("cache_write", entry.usage.cacheWrite + entry.usage.cacheWrite1h),
            ("output", entry.usage.output), ("reasoning", entry.usage.reasoning),
        ]
        for (name, tokens) in classes where tokens > 0 {
            registry.makeCounter(name: "tally_tokens_total", labels: labels + [("class", name)], help: "Tokens metered, by class.")
                .increment(by: tokens)
        }
        if let cost = entry.cost, cost.nanoUSD > 0 {
            registry.makeCounter(name: "tally_cost_nano_usd_total", labels: labels, help: "What the requests cost, in nano-USD (1e-9 USD).")
                .increment(by: cost.nanoUSD)
        }
        if let list = entry.listCost, list.nanoUSD > 0 {
            registry.makeCounter(name: "tally_list_cost_nano_usd_total", labels: labels, help: "The same requests at official prices, in nano-USD.")
                .increment(by: list.nanoUSD)
        }
        if let latency = entry.latencyMs {
            registry.makeDurationHistogram(name: "tally_upstream_latency_seconds", labels: [("provider", entry.provider)], buckets: latencyBuckets, help: "From sending upstream to the last byte.")
                .record(.milliseconds(latency))
        }
        if let first = entry.firstTokenMs {
            registry.makeDurationHistogram(name: "tally_time_to_first_token_seconds", labels: [("provider", entry.provider)], buckets: latencyBuckets, help: "From sending upstream to the first token.")
                .record(.milliseconds(first))
        }
    }

    /// The exposition text.
    func render() -> [UInt8] { registry.emitToBuffer() }
}
